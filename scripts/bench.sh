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
# median_ms CMD: runs CMD (a shell string) once to warm up, then 3 times; prints the median in ms
median_ms() {
  sh -c "$1" >/dev/null
  t=""
  for _ in 1 2 3; do
    s=$(now); sh -c "$1" >/dev/null; e=$(now)
    t="$t $(( (e - s) / 1000000 ))"
  done
  echo $t | tr ' ' '\n' | sort -n | sed -n 2p
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

report="$work/report.txt"
: > "$report"
line() { echo "$*" | tee -a "$report"; }

line "# make bench — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, tree ${size_mb} MB ($(find "$tree" | wc -l) entries)"

ours=$(median_ms "'$flox_node' store hash '$tree'")
nix=$(median_ms "nix-store --dump '$tree' | sha256sum")
line "NAR dump+hash: flox-node store hash ${ours} ms, nix-store --dump | sha256sum ${nix} ms, ratio $(ratio "$ours" "$nix") (target <= 1.0)"

nix-store --dump "$tree" > "$work/tree.nar"
ours=$(median_ms "rm -rf '$work/u1' && '$flox_node' store restore '$work/u1' < '$work/tree.nar'")
nix=$(median_ms "rm -rf '$work/u2' && nix-store --restore '$work/u2' < '$work/tree.nar'")
line "NAR unpack:    flox-node store restore ${ours} ms, nix-store --restore ${nix} ms, ratio $(ratio "$ours" "$nix") (target <= 1.0)"
chmod -R u+w "$work/u1" "$work/u2" 2>/dev/null || true
rm -rf "$work/u1" "$work/u2" "$work/tree.nar"

echo "bench: report in $report"
