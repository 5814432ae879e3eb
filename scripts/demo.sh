#!/bin/sh
# The product end to end on one machine, as root, with nothing but what 'make' installs (no
# registry, no internet, no Docker, no cluster):
#   1. a FloxHub (embedded defaults: SQLite + files under .demo/hub) with user alice, org acme, a token;
#   2. alice publishes two packages with 'flox publish' (busybox, and echoip: a script whose shebang
#      is busybox's store path) and pushes the environment acme/echoip;
#   3. a private containerd whose 'flox' runtime handler is flox-container-runtime, with a sandbox
#      image built from a directory and flox/empty:1.0.0 imported, no registry;
#   4. a pod from Flox's documentation runs echoip from the environment, then the environment gets a
#      new generation on the hub and a restarted pod picks it up with no image change;
#   5. everything is cleaned up on exit (also on failure or Ctrl-C), so the demo can run again.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work="$top/.demo"
bin="$top/bin"
bridge=flox-demo0              # the CNI bridge of the demo's pods (10.199.77.0/24)
cns="$work/containerd"         # containerd's config, root, state and socket
sock="$cns/containerd.sock"
export PATH="$bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
step=0
say() { step=$((step + 1)); printf '\n\033[1m==> %d. %s\033[0m\n' "$step" "$*"; }
note() { printf '\033[2m    %s\033[0m\n' "$*"; }
# show CMD ARGS...: prints the command line (arguments with spaces quoted), then runs it
show() {
  line=""
  for a in "$@"; do case $a in *[[:space:]\;\$]*) line="$line '$a'" ;; *) line="$line $a" ;; esac; done
  printf '\033[36m$%s\033[0m\n' "$line"
  "$@"
}
# brief CMD ARGS...: as show, but prints only the first line of the command's output
brief() {
  out=$(show "$@") || { printf '%s\n' "$out"; return 1; }
  printf '%s\n' "$out" | head -n 2
}
die() { printf '\033[31mdemo: %s\033[0m\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root: the demo starts containerd, which mounts overlayfs and runs runc"
for tool in containerd ctr containerd-shim-runc-v2 runc gcc busybox bwrap ip; do
  command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-deps.sh (make demo does)"
done
[ -x /usr/lib/cni/bridge ] || die "/usr/lib/cni/bridge is missing: apt-get install containernetworking-plugins"
[ -x "$bin/flox" ] && [ -x "$bin/flox-node" ] && [ -x "$bin/floxhub" ] || die "bin/ has no launchers: run make build"

# A pid recorded in FILE, if that process is still one of ours (its command line names .demo): for
# the clean-up of an earlier run, whose pids may belong to other processes by now. (Not for a process
# this run just started: until it has exec'd, its command line is this script's.)
ours() {
  [ -f "$1" ] || return 1
  p=$(cat "$1")
  tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "$work" && echo "$p"
}
stop_pid() {
  p=$1
  kill "$p" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$p" 2>/dev/null || true
}
cleanup() {
  set +e
  if c=$(ours "$work/containerd.pid"); then
    # as kubelet would: stop and remove the pods (their containers, mounts and network)
    flox-node pod rm echoip --containerd-socket "$sock" >/dev/null 2>&1
    stop_pid "$c"
  fi
  # runc shims outlive containerd: end those of this containerd (their command line names its socket)
  for d in /proc/[0-9]*; do
    case $(cat "$d/comm" 2>/dev/null) in containerd-shim*) ;; *) continue ;; esac
    tr '\0' ' ' < "$d/cmdline" 2>/dev/null | grep -q "$sock" && kill -9 "${d#/proc/}" 2>/dev/null
  done
  # mounts under .demo (container root file systems, sandbox shm), deepest first
  awk -v p="$work/" 'index($5, p) == 1 { print length($5), $5 }' /proc/self/mountinfo | sort -rn | cut -d' ' -f2- |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  ip link show "$bridge" >/dev/null 2>&1 && ip link delete "$bridge" 2>/dev/null
  if h=$(ours "$work/floxhub.pid"); then stop_pid "$h"; fi
  rm -f "$work/containerd.pid" "$work/floxhub.pid"
}
trap 'rc=$?; trap - EXIT; cleanup; [ $rc -eq 0 ] || printf "\033[31mdemo failed (exit %d); logs in %s\033[0m\n" $rc "$work" >&2; exit $rc' EXIT
trap 'exit 130' INT TERM

# A previous run that was killed hard leaves processes, mounts and the bridge: undo them first.
cleanup
rm -rf --one-file-system "$work"
mkdir -p "$work"

# ---------------------------------------------------------------------------------------------
say "FloxHub on embedded defaults (SQLite and files in $work/hub)"
hubdata="$work/hub"
floxhub serve --data "$hubdata" --listen 127.0.0.1:0 2> "$work/floxhub.log" &
echo $! > "$work/floxhub.pid"
hub=""
for _ in $(seq 150); do
  hub=$(sed -n 's|.* on \(http://127\.0\.0\.1:[0-9]*\) .*|\1|p' "$work/floxhub.log" | head -n 1)
  [ -n "$hub" ] && break
  kill -0 "$(cat "$work/floxhub.pid")" 2>/dev/null || die "floxhub exited: $(tail -n 5 "$work/floxhub.log")"
  sleep 0.2
done
[ -n "$hub" ] || die "floxhub did not start; see $work/floxhub.log"
note "floxhub serving at $hub"
printf 'alice-demo-password\n' > "$work/alice.password"
show floxhub admin user create alice --data "$hubdata" --password-file "$work/alice.password"
show floxhub admin org create acme --data "$hubdata"
show floxhub admin org add-member acme alice owner --data "$hubdata"
token=$(floxhub admin token create alice --name demo --expires 30d --data "$hubdata" 2>/dev/null)
note "a personal token for alice (floxhub admin token create), kept in her flox.toml"
cache_key=$(floxhub admin cache-key --data "$hubdata")
note "the hub's cache signing key (nodes trust it): $cache_key"

# ---------------------------------------------------------------------------------------------
say "alice publishes packages and pushes the environment acme/echoip with bin/flox"
export HOME="$work/alice"
unset XDG_CONFIG_HOME XDG_CACHE_HOME XDG_DATA_HOME FLOX_FLOXHUB_URL FLOX_FLOXHUB_TOKEN FLOX_DATA_DIR FLOX_CACHE_DIR
export FLOX_CONFIG_DIR="$HOME/.config/flox" FLOX_STORE_DIR="$HOME/store" FLOX_DISABLE_METRICS=true
mkdir -p "$FLOX_CONFIG_DIR"
printf 'floxhub_url = "%s"\nfloxhub_token = "%s"\n' "$hub" "$token" > "$FLOX_CONFIG_DIR/flox.toml"

bb_version=$(busybox 2>&1 | sed -n 's/^BusyBox v\([0-9.]*\).*/\1/p' | head -n 1)
mkdir -p "$work/src/busybox" && cd "$work/src/busybox"
brief flox init -n busybox
cat >> .flox/env/manifest.toml <<EOF

[build.busybox]
description = "BusyBox from Debian's busybox-static, every applet linked"
version = "$bb_version"
command = '''
  mkdir -p \$out/bin
  cp /bin/busybox \$out/bin/busybox
  for applet in \$(/bin/busybox --list); do
    [ "\$applet" = busybox ] || ln -s busybox "\$out/bin/\$applet"
  done
'''
EOF
note "[build.busybox] copies /bin/busybox and its applet links into \$out"
show flox publish -o acme busybox

mkdir -p "$work/src/echoip" && cd "$work/src/echoip"
brief flox init -n echoip-build
show flox install acme/busybox
cat >> .flox/env/manifest.toml <<'EOF'

[build.echoip]
description = "Prints the container's IP address, then stays up"
version = "1.0.0"
command = '''
  # busybox's store path, from the activated environment: the script refers to it, so publish
  # finds it as a reference and it travels with echoip's closure
  bb=$(dirname "$(readlink -f "$FLOX_ENV/bin/busybox")")
  mkdir -p $out/bin
  cat > $out/bin/echoip <<SCRIPT
#!$bb/sh
addr=\$($bb/ip -4 -o addr show scope global | $bb/awk '{ sub("/.*", "", \$4); print \$4 }')
echo "echoip: my IP address is \${addr:-unknown} (pod \$($bb/hostname))"
echo "echoip: environment \$FLOX_ENV_DESCRIPTION, view \$FLOX_ENV"
exec $bb/sleep 2147483647
SCRIPT
  chmod +x $out/bin/echoip
'''
EOF
note "[build.echoip] writes bin/echoip with busybox's store path in its shebang"
show flox publish -o acme echoip

mkdir -p "$work/src/deploy" && cd "$work/src/deploy"
brief flox init -n echoip
show flox install acme/echoip
show flox push -o acme
cd "$work"

# ---------------------------------------------------------------------------------------------
say "a node: private containerd with the 'flox' runtime handler (flox-container-runtime)"
mkdir -p "$cns/cni/net.d" "$work/node/store" "$work/node/state" "$work/pod-logs" "$work/pod-volumes"
cat > "$work/node/node.toml" <<EOF
hub_url = "$hub"
trusted_keys = ["$cache_key"]
store_dir = "$work/node/store"
state_dir = "$work/node/state"
node_name = "demo-node"
EOF
pause_image=docker.io/imageless/pause:demo
brief flox-node containerd config "$cns" --sandbox-image "$pause_image" --runtime flox="$bin/flox-container-runtime" \
  --bridge "$bridge" --subnet 10.199.77.0/24
note "node.toml:"; sed 's/^/      /' "$work/node/node.toml"
note "containerd.toml (the flox handler):"
sed -n '/runtimes.flox\]/,/BinaryName/p' "$cns/config.toml" | sed 's/^/      /'
FLOX_NODE_CONFIG="$work/node/node.toml" containerd --config "$cns/config.toml" > "$work/containerd.log" 2>&1 &
echo $! > "$work/containerd.pid"
for _ in $(seq 150); do
  [ -S "$sock" ] && ctr -a "$sock" version >/dev/null 2>&1 && break
  kill -0 "$(cat "$work/containerd.pid")" 2>/dev/null || die "containerd exited: $(tail -n 5 "$work/containerd.log")"
  sleep 0.2
done
[ -S "$sock" ] || die "containerd did not open $sock; see $work/containerd.log"

note "the sandbox (pause) image, built from a directory: a static pause binary compiled here"
mkdir -p "$work/pause-root"
gcc -static -Os -o "$work/pause-root/pause" "$top/node/src/test/resources/org/imageless/node/testing/pause.c"
show flox-node image build -t "$pause_image" --entrypoint /pause "$work/pause-root" --containerd-socket "$sock"
show flox-node image import --containerd-socket "$sock"
note "the node's images (no registry was asked):"
ctr -a "$sock" -n k8s.io images ls -q | grep -v '^sha256:' | sed 's/^/      /'

# ---------------------------------------------------------------------------------------------
say "the pod from Flox's documentation runs acme/echoip (image flox/empty:1.0.0)"
cat > "$work/pod.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: echoip
  annotations:
    flox.dev/environment: "acme/echoip"
spec:
  runtimeClassName: flox
  containers:
    - name: empty
      image: flox/empty:1.0.0
      command: ["echoip"]
EOF
sed 's/^/      /' "$work/pod.yaml"
pod_run() {
  show flox-node pod run "$work/pod.yaml" --containerd-socket "$sock" --log-dir "$work/pod-logs" --volume-dir "$work/pod-volumes"
}
pod_logs() {
  for _ in $(seq 100); do
    out=$(flox-node pod logs echoip --containerd-socket "$sock" 2>&1 || true)
    case $out in *"view "*) break ;; esac
    sleep 0.2
  done
  printf '\033[36m$ flox-node pod logs echoip\033[0m\n%s\n' "$out"
  case $out in *"my IP address is 10.199.77."*) ;; *) die "the pod did not print its address; see $work/containerd.log" ;; esac
}
pod_run
pod_logs
note "only echoip's closure is visible in the container, at /nix/store:"
bb=""
for d in "$work/node/store/"*-busybox-*; do [ -f "$d/bin/busybox" ] && bb="/nix/store/${d##*/}/bin"; done
[ -n "$bb" ] || die "busybox is not in the node store"
show flox-node pod exec echoip --containerd-socket "$sock" -- "$bb/sh" -c 'echo "FLOX_ENV=$FLOX_ENV"; echo "PATH=$PATH"; ls /nix/store'
note "the node store ($work/node/store) holds them once for every pod on the node:"
ls "$work/node/store" | sed 's/^/      /'

# ---------------------------------------------------------------------------------------------
say "a new generation on the hub: busybox's commands into acme/echoip, no image rebuilt"
cd "$work"
show flox install -r acme/echoip acme/busybox
show flox push -r acme/echoip
show flox-node pod rm echoip --containerd-socket "$sock"
pod_run
pod_logs
note "the restarted pod runs generation 2: busybox's commands are on PATH now"
show flox-node pod exec echoip --containerd-socket "$sock" -- sh -c 'echo "FLOX_ENV=$FLOX_ENV"; which ip; ls /nix/store'
note "the node's images are the same two as before: nothing was built, pulled or pushed"
ctr -a "$sock" -n k8s.io images ls -q | grep -v '^sha256:' | sed 's/^/      /'

say "who changed what: the environment's history"
show flox generations history -r acme/echoip
note "the same on the hub's web UI, $hub/envs/acme/echoip/history (tabs: packages, generations, running, ...):"
# the rows of a web UI table, one line each, cells separated by ' | '
rows() {
  curl -fsS "$1" | sed 's#</tr>#</tr>\n#g' | grep '<td>' | sed -e 's#</td><td>#  |  #g' -e 's/<[^>]*>//g' -e 's/^ *//' \
    -e 's/&#39;/'"'"'/g' -e 's/&quot;/"/g' -e 's/&amp;/\&/g' | sed 's/^/      /'
}
echo "    generations (generation | created | author | host | change | last live | running):"; rows "$hub/envs/acme/echoip/generations"
echo "    running now (activation reports sent by the node's runtime):"; rows "$hub/envs/acme/echoip/running"
if [ -n "${DEMO_KEEP:-}" ]; then
  printf '\nThe hub (%s), containerd (%s) and the pod keep running: press Enter to clean up. ' "$hub" "$sock"
  read -r _ || true
fi

say "demo complete; cleaning up (pods, containerd and its shims, mounts, the bridge, the hub)"
