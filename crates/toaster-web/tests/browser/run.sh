#!/usr/bin/env bash
# Browser tests of bake's Toaster web interface: records three builds of
# testdata/build-hello with bake itself (the example, a no-op rebuild, a build whose
# sayhello do_compile fails), serves the database with `toaster-manage runserver`, and
# runs toaster.test.mjs (node's test runner, playwright-core driving Debian's headless
# chromium). Screenshots go to $SCREENSHOT_DIR (default: screenshots/ beside this file).
# Fails, never skips, when chromium or playwright-core is missing: .ci/browser-setup
# installs them.
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
cargo build -q -p bake -p toaster-manage
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bake="$target/debug/bake"
manage="$target/debug/toaster-manage"

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The example as bake's own tests lay it out: meta/ beside testdata/build-hello.
mkdir -p "$work/testdata"
cp -r "$repo/meta" "$work/meta"
cp -r "$repo/testdata/build-hello" "$work/testdata/build-hello"
build="$work/testdata/build-hello"
cat "$repo/testdata/toaster/local.conf.append" >> "$build/conf/local.conf"
run_bake() {
  (cd "$build" && PWD="$build" BAKE_NO_PROGRESS=1 env -u BBPATH -u TOASTER_DIR "$bake" "$@") > "$work/bake.log" 2>&1
}
run_bake sayhello || { cat "$work/bake.log"; echo "FAILED: the example build failed" >&2; exit 1; }
run_bake sayhello || { cat "$work/bake.log"; echo "FAILED: the no-op rebuild failed" >&2; exit 1; }
cat "$repo/testdata/toaster/fail.append" >> "$build/meta-hello/recipes-hello/sayhello/sayhello_1.0.bb"
if run_bake -k sayhello; then
  echo "FAILED: the build with a failing task succeeded" >&2
  exit 1
fi
db="$build/toaster.sqlite"
"$manage" --database "$db" buildslist

"$manage" --database "$db" runserver 127.0.0.1:0 > "$work/server.log" 2>&1 &
server=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's|^Starting server at \(http://[^/]*\)/.*|\1|p' "$work/server.log")
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  cat "$work/server.log" >&2
  echo "FAILED: the web server did not start" >&2
  exit 1
fi
echo "serving $db at $url"
export TOASTER_URL="$url" CHROMIUM="$chromium"
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$here/screenshots}"
mkdir -p "$SCREENSHOT_DIR"
cd "$here"
status=0
node --test --test-reporter=spec toaster.test.mjs || status=$?
if [ -s "$work/server.log" ] && grep -q "toaster-web:" "$work/server.log"; then
  echo "the server logged errors:" >&2
  grep "toaster-web:" "$work/server.log" >&2
  status=1
fi
exit $status
