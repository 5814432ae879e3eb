#!/bin/sh
# Benchmarks, reported as ratios against real nix measured in the same run on the same data.
# Each command runs once to warm the page cache, then 3 times; the median wall time is used.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work="$top/.bench"
mkdir -p "$work"
export NIX_CONFIG="experimental-features = nix-command
substituters =
sandbox = false"
size_mb=${BENCH_TREE_MB:-500}
tree="$work/tree-$size_mb"
if [ ! -d "$tree" ]; then
  echo "bench: writing a ${size_mb} MB test tree to $tree"
  "$JAVA_HOME/bin/java" "$top/scripts/MakeTree.java" "$tree" "$size_mb"
fi
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

line "# make bench — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, tree ${size_mb} MB ($(find "$tree" | wc -l) entries)"

compare ours "'$flox_node' store hash '$tree'" nix "nix-store --dump '$tree' | sha256sum"
line "NAR dump+hash: flox-node store hash ${ms_a} ms, nix-store --dump | sha256sum ${ms_b} ms, ratio $(ratio "$ms_a" "$ms_b") (target <= 1.0)"

nix-store --dump "$tree" > "$work/tree.nar"
clean="chmod -R u+w '$work/u' 2>/dev/null; rm -rf '$work/u'"
compare ours "'$flox_node' store restore '$work/u' < '$work/tree.nar'" nix "nix-store --restore '$work/u' < '$work/tree.nar'" "$clean"
line "NAR unpack:    flox-node store restore ${ms_a} ms, nix-store --restore ${ms_b} ms, ratio $(ratio "$ms_a" "$ms_b") (target <= 1.0)"
sh -c "$clean"
rm -f "$work/tree.nar"
line "(medians of 5 alternating runs after a warm-up; JVM start-up included; each run's own output removed and synced untimed; runs in $report.detail)"

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

echo "bench: report in $report"
