#!/usr/bin/env bash
# Browser tests of the project pages, end to end (issue 16): a layer index served on
# loopback (testdata/layerindex/v1, its meta-hello pointing at a git repository made
# here of testdata/build-hello/meta-hello, plus a recipe that takes long), imported
# with lsupdates; the web server and `toaster-manage runbuilds` running the real bake;
# projects.test.mjs drives headless chromium through creating a project, adding the
# layer, setting MACHINE and a variable, building sayhello, cancelling a long build,
# and a build whose layer cannot be found. Fails, never skips, when chromium or
# playwright-core is missing (.ci/browser-setup installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "FAILED: browser tests need $chromium (bash .ci/browser-setup installs it)" >&2
  exit 1
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "FAILED: browser tests need playwright-core in $here/node_modules (bash .ci/browser-setup installs it)" >&2
  exit 1
fi
cd "$repo"
cargo build -q -p bake -p toaster-manage -p lsupdates
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target/debug"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The layer's git repository: meta-hello and a recipe whose do_compile takes minutes.
git_repo="$work/hello-git"
mkdir -p "$git_repo"
cp -r "$repo/testdata/build-hello/meta-hello" "$git_repo/meta-hello"
mkdir -p "$git_repo/meta-hello/recipes-hello/slowhello"
cat > "$git_repo/meta-hello/recipes-hello/slowhello/slowhello_1.0.bb" <<'BB'
SUMMARY = "A build that takes long (the cancel test)"
LICENSE = "MIT"
do_compile() {
	sleep 300
}
BB
git -C "$git_repo" init -q -b main
git -C "$git_repo" add -A
git -C "$git_repo" -c user.name=test -c user.email=test@example.invalid commit -q -m "meta-hello"

# The layer index, served on loopback: branch `master` renamed to `main` (the branch of
# the `bake` release) and meta-hello's URL pointing at the repository above.
api="$work/index/api"
mkdir -p "$api"
for f in "$repo"/testdata/layerindex/v1/*.json; do
  sed -e "s|@HELLO_GIT@|file://$git_repo|" -e 's|"name": "master"|"name": "main"|' "$f" > "$api/$(basename "$f")"
done
(cd "$work/index" && exec python3 -m http.server --bind 127.0.0.1 0) > "$work/index.log" 2>&1 &
pids+=($!)
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/index.log" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/index.log" >&2; echo "FAILED: the index server did not start" >&2; exit 1; }
python3 - "$api" "$port" <<'PY'
import json, sys
api, port = sys.argv[1], sys.argv[2]
names = ["branches", "layerItems", "layerBranches", "layerDependencies", "recipes", "machines", "distros"]
json.dump({n: f"http://127.0.0.1:{port}/api/{n}.json" for n in names}, open(f"{api}/index.html", "w"))
PY

toaster="$work/toaster"
mkdir -p "$toaster"
db="$toaster/toaster.sqlite"
"$bin/toaster-manage" --database "$db" checksettings
"$bin/lsupdates" --database "$db" --url "http://127.0.0.1:$port/api/"

"$bin/toaster-manage" --database "$db" runserver 127.0.0.1:0 > "$work/server.log" 2>&1 &
pids+=($!)
"$bin/toaster-manage" --database "$db" runbuilds --bake "$bin/bake" --poll-ms 300 > "$work/runbuilds.log" 2>&1 &
pids+=($!)
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's|^Starting server at \(http://[^/]*\)/.*|\1|p' "$work/server.log")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/server.log" >&2; echo "FAILED: the web server did not start" >&2; exit 1; }
echo "serving $db at $url"
export TOASTER_URL="$url" CHROMIUM="$chromium" TOASTER_DIR_UNDER_TEST="$toaster" HELLO_GIT_URL="file://$git_repo"
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$here/screenshots}"
mkdir -p "$SCREENSHOT_DIR"
cd "$here"
status=0
node --test --test-reporter=spec projects.test.mjs || status=$?
if grep -q "toaster-web:" "$work/server.log"; then
  echo "the server logged errors:" >&2
  grep "toaster-web:" "$work/server.log" >&2
  status=1
fi
if [ $status -ne 0 ]; then
  echo "--- runbuilds log" >&2; cat "$work/runbuilds.log" >&2
  for l in "$toaster"/build-toaster-*/toaster_ui.log; do echo "--- $l" >&2; tail -20 "$l" >&2; done
fi
if ls /tmp/pwned-e2e 2>/dev/null; then
  echo "FAILED: a value reached a shell" >&2
  status=1
fi
exit $status
