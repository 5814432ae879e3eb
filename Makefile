# Imageless Kubernetes — build, test, demo, bench.
# Every target that runs something installs what it needs first (scripts/install-deps.sh).

JAVA_HOME ?= /usr/lib/jvm/temurin-25-jdk-amd64
export JAVA_HOME
export PATH := $(JAVA_HOME)/bin:$(PATH)

# Maven 3.8 itself (its bundled Guava) trips JDK 25's sun.misc.Unsafe warning; silence that, not ours.
export MAVEN_OPTS ?= --sun-misc-unsafe-memory-access=allow
MVN := mvn -B -ntp -Dstyle.color=never
LAUNCHERS := flox-node floxhub flox-container-runtime flox

.PHONY: all build test demo bench fuzz deps clean

all: build

deps:
	@scripts/install-deps.sh

## build: compile, package, and put the launchers in bin/
build: deps
	$(MVN) -q package -DskipTests
	@scripts/make-launchers.sh $(LAUNCHERS)

## test: every test, including oracle tests against real nix and a short fuzz run
test: deps
	$(MVN) verify
	@scripts/make-launchers.sh $(LAUNCHERS)

## demo: the product end to end (hub, flox publish/push, containerd with the flox handler, a pod), as root
demo: build
	@scripts/demo.sh

## bench: ratios against real nix, measured in the same run
bench: build
	@scripts/bench.sh

## fuzz: a longer fuzzing run of the NAR reader and the narinfo parser
fuzz: deps
	$(MVN) -pl nix verify -Pfuzz-long

clean:
	$(MVN) -q clean
	rm -rf bin
