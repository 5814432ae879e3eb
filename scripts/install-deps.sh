#!/bin/sh
# Installs, idempotently, every Debian package the build, the tests and the demo need.
# Run by 'make test', 'make demo' and 'make bench'; safe to run again.
set -eu

PACKAGES="nix-bin busybox-static xz-utils zstd bzip2 curl postgresql chromium chromium-driver containerd runc containernetworking-plugins iproute2 gcc libc6-dev"
# flox activate mounts the user's store at /nix/store in a user namespace without root
PACKAGES="$PACKAGES bubblewrap"
# mksh-static: the statically linked shell the runtime's launcher runs with (scripts/make-launchers.sh)
PACKAGES="$PACKAGES mksh"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
  echo "install-deps: installing$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "25'; then
  echo "install-deps: JDK 25 not found at $JAVA_HOME (this machine kind ships Temurin 25 there; set JAVA_HOME to a JDK 25)" >&2
  exit 1
fi
command -v mvn >/dev/null || { echo "install-deps: Maven (mvn) is required" >&2; exit 1; }
