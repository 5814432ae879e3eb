#!/bin/sh
# The demo, as far as the project goes today (the node store and binary cache path of issue 2):
#   1. real nix makes a small closure (busybox, and a script and a greeting that reference it),
#      signs it and writes a binary cache with 'nix copy --to file://…?compression=xz';
#   2. the cache is served over HTTP on loopback (the JDK's jwebserver);
#   3. flox-node realises the closure over HTTP into a fresh node store, verifying signatures and
#      hashes, then verifies the store and shows that every path dumps to the same NAR as nix's;
#   4. the realised closure is mounted at /nix/store in a private mount namespace and run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work="$top/.demo"
rm -rf "$work"
mkdir -p "$work/src"
export NIX_CONFIG="experimental-features = nix-command
substituters =
sandbox = false"
root="$work/nix-root"
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "1. real nix builds a closure in a private store ($root)"
mkdir -p "$work/src/busybox/bin"
cp "$(command -v busybox)" "$work/src/busybox/bin/busybox"
for t in sh echo cat ls wc; do ln -s busybox "$work/src/busybox/bin/$t"; done
busybox=$(nix-store --store "$root" --add "$work/src/busybox")
greeting=$(nix-instantiate --store "$root" --eval --read-write-mode --expr \
  "builtins.toFile \"greeting\" \"Hello from a closure realised by flox-node (shell: \${builtins.storePath $busybox}/bin/sh)\"" | tr -d '"')
app=$(nix-instantiate --store "$root" --eval --read-write-mode --expr \
  "builtins.toFile \"hello-app\" \"#!\${builtins.storePath $busybox}/bin/sh\nexport PATH=\${builtins.storePath $busybox}/bin\necho \\\"\$(cat \${builtins.storePath $greeting})\\\"\nls /nix/store | wc -l | (read n; echo \\\"store paths visible: \$n\\\")\n\"" | tr -d '"')
echo "app:      $app"
echo "closure:"; nix-store --store "$root" -qR "$app" | sed 's/^/  /'

nix-store --generate-binary-cache-key demo-1 "$work/key.sec" "$work/key.pub"
nix store sign --store "$root" --key-file "$work/key.sec" -r "$app"
nix copy --store "$root" --to "file://$work/cache?compression=xz" "$app"
echo "cache:    $(ls "$work/cache" | wc -l) entries, signed by $(cat "$work/key.pub")"

say "2. serve the cache over HTTP on loopback"
port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 ))
"$JAVA_HOME/bin/jwebserver" -b 127.0.0.1 -p "$port" -d "$work/cache" >"$work/http.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/nix-cache-info" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/nix-cache-info"

say "3. flox-node realises the closure into a node store"
store="$work/node-store"
"$top/bin/flox-node" store copy-from "http://127.0.0.1:$port" "$app" --store "$store" --trusted-key "$(cat "$work/key.pub")"
"$top/bin/flox-node" store ls -l --store "$store"
"$top/bin/flox-node" store verify --store "$store"
echo "NAR of every path, flox-node vs nix-store --dump:"
for p in $(nix-store --store "$root" -qR "$app"); do
  ours=$("$top/bin/flox-node" store dump "$store/${p#/nix/store/}" | sha256sum | cut -c1-16)
  theirs=$(nix-store --dump "$root$p" | sha256sum | cut -c1-16)
  [ "$ours" = "$theirs" ] && verdict=same || verdict=DIFFERENT
  echo "  $ours $theirs $verdict  ${p#/nix/store/}"
  [ "$verdict" = same ] || exit 1
done

say "4. run the app with the node store mounted at /nix/store (private mount namespace)"
if unshare -m true 2>/dev/null || unshare -r -m true 2>/dev/null; then
  flag=""; unshare -m true 2>/dev/null || flag="-r"
  mkdir -p "$work/view"
  # only the app's closure is visible: bind each path of it into an empty directory
  unshare $flag -m sh -c "
    mount -t tmpfs tmpfs '$work/view' &&
    for p in \$('$top/bin/flox-node' store ls --store '$store'); do
      b=\${p#/nix/store/}; if [ -d '$store'/\$b ]; then mkdir '$work/view'/\$b; else touch '$work/view'/\$b; fi
      mount --bind -o ro '$store'/\$b '$work/view'/\$b
    done &&
    mount --rbind '$work/view' /nix/store &&
    $busybox/bin/sh $app"
else
  echo "(skipped: this machine does not allow mount namespaces; the closure is realised and verified above)"
fi
say "demo complete"
