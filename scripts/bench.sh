#!/bin/sh
# Benchmarks, reported as ratios against real nix measured in the same run on the same data.
# Each command runs once to warm the page cache, then 3 times; the median wall time is used.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work="$top/.bench"
mkdir -p "$work"
export NIX_CONFIG="experimental-features = nix-command
substituters =
sandbox = false
build-users-group ="
size_mb=${BENCH_TREE_MB:-500}
tree="$work/tree-$size_mb"
flox_node="$top/bin/flox-node"

now() { date +%s%N; }
# compare NAME_A CMD_A NAME_B CMD_B [PREPARE]: runs each command once to warm up, then 5 times,
# alternating A and B; PREPARE (e.g. removing the previous output) runs untimed before every run,
# followed by sync so that one run's writeback is not billed to the next. Sets ms_a and ms_b to
# the medians in milliseconds.
compare() {
  prep=${5:-true}
  ta=""; tb=""
  for i in 0 1 2 3 4 5; do
    sh -c "$prep"; sync; s=$(now); sh -c "$2" >/dev/null; e=$(now)
    [ "$i" -gt 0 ] && ta="$ta $(( (e - s) / 1000000 ))"
    sh -c "$prep"; sync; s=$(now); sh -c "$4" >/dev/null; e=$(now)
    [ "$i" -gt 0 ] && tb="$tb $(( (e - s) / 1000000 ))"
  done
  ms_a=$(echo $ta | tr ' ' '\n' | sort -n | sed -n 3p)
  ms_b=$(echo $tb | tr ' ' '\n' | sort -n | sed -n 3p)
  echo "  $1 runs (ms):$ta; $3 runs (ms):$tb" >> "$report.detail"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

report="$work/report.txt"
: > "$report"
: > "$report.detail"
line() { echo "$*" | tee -a "$report"; }

# BENCH_PARTS picks what to run (default: all of them).
parts=" ${BENCH_PARTS:-nar hub cli runc runtime} "
wants() { case "$parts" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

line "# make bench — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores"

if wants nar; then
if [ ! -d "$tree" ]; then
  echo "bench: writing a ${size_mb} MB test tree to $tree"
  "$JAVA_HOME/bin/java" "$top/scripts/MakeTree.java" "$tree" "$size_mb"
fi
line "NAR benches on a ${size_mb} MB tree ($(find "$tree" | wc -l) entries)"
compare ours "'$flox_node' store hash '$tree'" nix "nix-store --dump '$tree' | sha256sum"
line "NAR dump+hash: flox-node store hash ${ms_a} ms, nix-store --dump | sha256sum ${ms_b} ms, ratio $(ratio "$ms_a" "$ms_b") (target <= 1.0)"

nix-store --dump "$tree" > "$work/tree.nar"
clean="chmod -R u+w '$work/u' 2>/dev/null; rm -rf '$work/u'"
compare ours "'$flox_node' store restore '$work/u' < '$work/tree.nar'" nix "nix-store --restore '$work/u' < '$work/tree.nar'" "$clean"
line "NAR unpack:    flox-node store restore ${ms_a} ms, nix-store --restore ${ms_b} ms, ratio $(ratio "$ms_a" "$ms_b") (target <= 1.0)"
sh -c "$clean"
rm -f "$work/tree.nar"
line "(medians of 5 alternating runs after a warm-up; JVM start-up included; each run's own output removed and synced untimed; runs in $report.detail)"
fi

# --- Hub: narinfo lookups at a fixed rate, and NAR serving against the disk -------------------
# A real 'floxhub serve' on loopback; real nix uploads a store path (compression=none, so the
# served NAR and the file on disk are the same bytes) that is published in the catalog, so that
# anonymous callers may read it. scripts/LoadGen.java drives the narinfo lookups open-loop.
if wants hub; then
hub_rate=${BENCH_HUB_RATE:-500}
hub_seconds=${BENCH_HUB_SECONDS:-20}
nar_mb=${BENCH_NAR_MB:-512}
hubdir="$work/hub"
rm -rf "$hubdir"; mkdir -p "$hubdir/src"
floxhub="$top/bin/floxhub"
printf 'bench-password\n' > "$hubdir/password"
"$floxhub" admin user create bench --data "$hubdir/data" --password-file "$hubdir/password" >/dev/null
token=$("$floxhub" admin token create bench --data "$hubdir/data" --expires 30d 2>/dev/null)
"$floxhub" serve --data "$hubdir/data" --listen 127.0.0.1:0 2> "$hubdir/hub.log" &
hub_pid=$!
trap 'kill $hub_pid 2>/dev/null || true' EXIT
# served_url NAME LOG SED-SCRIPT: waits (up to 20 s) for a server's URL in its log and prints it.
served_url() {
  for _ in $(seq 1 100); do
    u=$(sed -n "$3" "$2" | head -n 1)
    [ -n "$u" ] && { echo "$u"; return 0; }
    sleep 0.2
  done
  echo "bench: $1 did not start; see $2" >&2
  exit 1
}
hub_url=$(served_url floxhub "$hubdir/hub.log" 's|.* on \(http://127\.0\.0\.1:[0-9]*\) .*|\1|p') || exit 1
head -c $((nar_mb * 1024 * 1024)) /dev/urandom > "$hubdir/src/blob"
printf 'machine 127.0.0.1\nlogin bench\npassword %s\n' "$token" > "$hubdir/netrc"
blob=$(nix-store --store "$hubdir/nix" --add "$hubdir/src/blob")
NIX_CONFIG="$NIX_CONFIG
netrc-file = $hubdir/netrc" nix copy --store "$hubdir/nix" --to "$hub_url/cache?compression=none" "$blob"
curl -sS --fail-with-body -X POST -H "Authorization: bearer $token" -H 'Content-Type: application/json' \
  -d "{\"version\": \"1.0\", \"systems\": {\"x86_64-linux\": {\"outputs\": {\"out\": \"$blob\"}}}}" \
  -o "$hubdir/publish.json" "$hub_url/api/v1/catalog/bench/packages/blob/versions" \
  || { echo "bench: could not publish $blob in the hub catalog: $(cat "$hubdir/publish.json")" >&2; exit 1; }
hash_part=$(basename "$blob" | cut -c1-32)
narinfo_url="$hub_url/cache/$hash_part.narinfo"
nar_url="$hub_url/cache/$(curl -fsS "$narinfo_url" | sed -n 's/^URL: //p')"
nar_file=$(find "$hubdir/data" -type f -name "$(basename "$nar_url")" | head -n 1)
[ -n "$nar_file" ] || { echo "bench: cannot find the NAR of $blob in $hubdir/data" >&2; exit 1; }

# The reference: the JDK's own file server (jwebserver) serving the same bytes on the same loopback,
# measured in the same run, so that what the machine itself adds (a shared VM's stolen CPU time
# above all, reported with each run) is visible beside the hub's figures.
ref="$hubdir/ref"
mkdir -p "$ref"
curl -fsS -o "$ref/$hash_part.narinfo" "$narinfo_url"
ln "$nar_file" "$ref/$(basename "$nar_file")" 2>/dev/null || cp "$nar_file" "$ref/"
"$JAVA_HOME/bin/jwebserver" -b 127.0.0.1 -p 0 -d "$ref" -o none > "$hubdir/jwebserver.log" 2>&1 &
ref_pid=$!
trap 'kill $hub_pid $ref_pid 2>/dev/null || true' EXIT
ref_url=$(served_url jwebserver "$hubdir/jwebserver.log" 's|^URL \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p') || exit 1

# cpu_ticks: "steal total" from /proc/stat; steal_pct BEFORE AFTER: the share of CPU time the
# hypervisor took from this machine in between.
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat; }
steal_pct() { echo "$1 $2" | awk '{ d = $4 - $2; printf "%.0f", (d > 0 ? 100 * ($3 - $1) / d : 0) }'; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
loadgen() {
  before=$(cpu_ticks)
  load=$("$JAVA_HOME/bin/java" -XX:+UseSerialGC "$top/scripts/LoadGen.java" "$1" "$hub_rate" "$hub_seconds")
  steal=$(steal_pct "$before" "$(cpu_ticks)")
  echo "  narinfo load on $1: $load steal=${steal}%" >> "$report.detail"
}
# Three runs against each, alternating; the run with the median p99 is reported.
hub_runs=""; ref_runs=""
for _ in 1 2 3; do
  loadgen "$narinfo_url"
  hub_runs="$hub_runs$(field "$load" p99_ms) $(field "$load" p50_ms) $(field "$load" rate) $(field "$load" errors) $steal
"
  loadgen "$ref_url/$hash_part.narinfo"
  ref_runs="$ref_runs$(field "$load" p99_ms) $(field "$load" p50_ms) $(field "$load" rate) $(field "$load" errors) $steal
"
done
median_run() { printf '%s' "$1" | sort -n | sed -n 2p; }
set -- $(median_run "$hub_runs")
line "Hub narinfo:   ${hub_rate} req/s for ${hub_seconds} s (open loop): held $3 req/s, p50 $2 ms, p99 $1 ms, errors $4, CPU stolen by the hypervisor $5% (target: p99 < 5 ms at 500 req/s)"
set -- $(median_run "$ref_runs")
line "               the same load on jwebserver serving the same narinfo from a file: p50 $2 ms, p99 $1 ms, errors $4, CPU stolen $5% (the machine's own floor)"
quietest() { printf '%s' "$1" | sort -n -k5 | sed -n 1p; }
set -- $(quietest "$hub_runs")
hub_quiet="p99 $1 ms at $5% stolen"
set -- $(quietest "$ref_runs")
line "               the run with the least CPU stolen: hub $hub_quiet, jwebserver p99 $1 ms at $5% stolen"
line "               (median-p99 run of 3 each, alternating; all runs in $report.detail)"

nar_bytes=$(wc -c < "$nar_file")
mbps() { awk -v b="$nar_bytes" -v ms="$1" 'BEGIN { printf "%.0f", b / 1048576 / (ms / 1000) }'; }
ref_nar="$ref_url/$(basename "$nar_file")"
# From disk (the target): the page cache is dropped before every run, so each reads the file from the disk.
if [ -w /proc/sys/vm/drop_caches ]; then
  drop="sync; echo 1 > /proc/sys/vm/drop_caches"
  compare hub "curl -fsS -o /dev/null '$nar_url'" disk "cat '$nar_file'" "$drop"
  hub_ms=$ms_a; disk_ms=$ms_b
  compare jwebserver "curl -fsS -o /dev/null '$ref_nar'" disk "cat '$nar_file'" "$drop"
  line "Hub NAR:       from disk: served $(mbps "$hub_ms") MB/s (curl over loopback), read $(mbps "$disk_ms") MB/s (cat of the same file), ratio $(ratio "$disk_ms" "$hub_ms") (target >= 0.8; ${nar_mb} MB NAR, page cache dropped before each run)"
  line "               jwebserver serving the same file: $(mbps "$ms_a") MB/s, ratio to cat $(ratio "$ms_b" "$ms_a"); the hub against it: $(ratio "$ms_a" "$hub_ms")"
else
  line "Hub NAR:       from disk: not measured (dropping the page cache needs root)"
fi
# From memory (no disk at all): the HTTP path's own ceiling against cat of a cached file.
cat "$nar_file" > /dev/null
compare hub "curl -fsS -o /dev/null '$nar_url'" disk "cat '$nar_file'"
hub_ms=$ms_a; disk_ms=$ms_b
compare jwebserver "curl -fsS -o /dev/null '$ref_nar'" disk "cat '$nar_file'"
line "Hub NAR:       page cache warm: served $(mbps "$hub_ms") MB/s, cat $(mbps "$disk_ms") MB/s, ratio $(ratio "$disk_ms" "$hub_ms"); jwebserver $(mbps "$ms_a") MB/s (no target; the cost of HTTP over loopback itself)"
kill $ref_pid 2>/dev/null || true
kill $hub_pid 2>/dev/null || true
wait $hub_pid 2>/dev/null || true
trap - EXIT
fi

if wants cli; then
# flox activate -- true: the CLI's whole activation path (config, environment, lock, view, bubblewrap
# mounting the store at /nix/store, exec) with the closure already present, against running true.
fx="$work/flox-activate"
rm -rf "$fx"
mkdir -p "$fx/home" "$fx/project"
fenv="HOME='$fx/home' FLOX_FLOXHUB_URL=http://127.0.0.1:9 FLOX_STORE_DIR='$fx/store'"
sh -c "cd '$fx/project' && $fenv '$top/bin/flox' init >/dev/null && $fenv '$top/bin/flox' activate -- true"
compare flox "cd '$fx/project' && $fenv '$top/bin/flox' activate -- true" true "true"
[ "$ms_b" -gt 0 ] || ms_b=1
line "flox activate: flox activate -- true ${ms_a} ms, true ${ms_b} ms, ratio $(ratio "$ms_a" "$ms_b") (one JVM start; view remembered per lock; empty environment, closure present)"
fi

# --- runc: create+start and exec of one bundle, flox-container-runtime against plain runc --------
# The real runc (as root), the real hub and packages built by real nix, set up by the runtime's test
# fixtures (RuntimeBench, a test-scope main); the launcher is bin/flox-container-runtime of make build.
# Medians of BENCH_RUNTIME_RUNS alternating runs, without and then with the resident daemon.
if wants runc; then
rm -f "$report.runtime"
(cd "$top" && mvn -B -ntp -o -q -pl runtime -am test -Dtest=RuntimeBench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbench.launcher="$top/bin/flox-container-runtime" -Dbench.runs="${BENCH_RUNTIME_RUNS:-11}" -Dbench.report="$report.runtime" \
  > "$work/runtime-bench.log" 2>&1) || { echo "bench: the runtime bench failed; see $work/runtime-bench.log" >&2; exit 1; }
grep -v '^  ' "$report.runtime" | while IFS= read -r l; do line "$l"; done
grep '^  ' "$report.runtime" >> "$report.detail" || true
fi

# --- Runtime: flox pods against plain runc on one private containerd, through the CRI ------------
# e2e's RuntimeBench (JUnit tag "bench"): a private containerd + runc, a loopback hub with packages
# uploaded by real nix, and the launcher 'make build' wrote (bin/flox-container-runtime, AOT cache).
if wants runtime; then
runtime_runs="${BENCH_RUNTIME_RUNS:-25}"
(cd "$top" && mvn -B -ntp -o -q -Dstyle.color=never -pl e2e -am test -Dgroups=bench -DexcludedGroups=fuzz-long \
   -Dtest=RuntimeBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench.runs="$runtime_runs" \
   -Dbench.daemon.warmup="${BENCH_DAEMON_WARMUP:-60}" -Dbench.jvm.runs="${BENCH_JVM_RUNS:-$runtime_runs}" \
   -Dbench.hub.warmup="${BENCH_HUB_WARMUP:-3000}" \
   -Dbench.cold.mb="${BENCH_COLD_MB:-100}" -Dbench.report="$work/runtime.txt" \
   -De2e.launcher="$top/bin/flox-container-runtime" -De2e.runtime.timings=true) >> "$report.detail" 2>&1 \
  || { echo "bench: the runtime bench failed; see $report.detail and e2e/target/surefire-reports" >&2; exit 1; }
while IFS= read -r l; do
  case $l in
    " "*) echo "$l" >> "$report.detail" ;;
    *) line "$l" ;;
  esac
done < "$work/runtime.txt"
line "(runtime: medians of $runtime_runs runs after a warm-up; CreateContainer+StartContainer and ExecSync 'true' timed at the CRI client; runs in $report.detail)"
fi

echo "bench: report in $report"
