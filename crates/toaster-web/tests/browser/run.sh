#!/usr/bin/env bash
# Browser tests of bake's Toaster web interface: records three builds of
# testdata/build-hello with bake itself (the example, a no-op rebuild, a build whose
# sayhello do_compile fails), serves the database with `toaster-manage runserver`; a
# second database holds the synthetic 10,000-task build and then a build of the example
# whose tasks wait for gate files, which bake records while the browser follows it (the
# test opens the gates and interrupts it with SIGINT, as Ctrl-C); a third holds `bake core-image-tiny` (packages,
# the image's packages, files and image files); then runs toaster.test.mjs (node's test runner, playwright-core driving Debian's headless
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
cargo build -q -p toaster-web --example synthetic
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bake="$target/debug/bake"
manage="$target/debug/toaster-manage"
synthetic="$target/debug/examples/synthetic"

work=$(mktemp -d)
# Every server started (killed on exit even when the script stops half-way).
servers=""
live_bake=""
cleanup() {
  # A live build still waiting at its gate ends now.
  if [ -n "${live:-}" ] && [ -d "$live" ]; then touch "$live/gate1" "$live/gate2" "$live/gate3"; fi
  for p in $servers $live_bake; do
    kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
  done
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

# serve DB LOG: starts a server on DB, sets $started_pid and $started_url.
serve() {
  : > "$2"
  "$manage" --database "$1" runserver 127.0.0.1:0 > "$2" 2>&1 &
  started_pid=$!
  servers="$servers $started_pid"
  started_url=""
  for _ in $(seq 1 100); do
    started_url=$(sed -n 's|^Starting server at \(http://[^/]*\)/.*|\1|p' "$2")
    [ -n "$started_url" ] && break
    sleep 0.1
  done
  if [ -z "$started_url" ]; then
    cat "$2" >&2
    echo "FAILED: the web server did not start on $1" >&2
    exit 1
  fi
  echo "serving $1 at $started_url"
}
serve "$db" "$work/server.log"
url=$started_url

# A third database: `bake core-image-tiny` (issue 15's image) recorded from scratch in
# another copy of the example: packages, their files and dependencies, the image's
# installed packages, its file tree and image files. Its root filesystem stays for the
# test to compare with.
mkdir -p "$work/image/testdata"
cp -r "$repo/meta" "$work/image/meta"
cp -r "$repo/testdata/build-hello" "$work/image/testdata/build-hello"
image_build="$work/image/testdata/build-hello"
cat "$repo/testdata/toaster/local.conf.append" >> "$image_build/conf/local.conf"
premirror=${BAKE_PREMIRROR:-$repo/../shared/premirror}
echo "SOURCE_MIRROR_DIR = \"$premirror\"" >> "$image_build/conf/local.conf"
t0=$(date +%s)
(cd "$image_build" && PWD="$image_build" BAKE_NO_PROGRESS=1 env -u BBPATH -u TOASTER_DIR "$bake" core-image-tiny) > "$work/image.log" 2>&1 || {
  tail -40 "$work/image.log"; echo "FAILED: bake core-image-tiny failed" >&2; exit 1; }
echo "bake core-image-tiny: $(( $(date +%s) - t0 )) s"
image_rootfs=$(ls -d "$image_build"/tmp/work/core-image-tiny/*/rootfs)
serve "$image_build/toaster.sqlite" "$work/image-server.log"
image_url=$started_url

# The second database: the synthetic 10,000-task build (build 1), then the example with
# tasks that wait for gate files (build 2), recorded while the test watches: it opens
# the gates one at a time, sends bake SIGINT (Ctrl-C) and opens the last one.
mkdir -p "$work/live"
cp -r "$repo/meta" "$work/live/meta"
mkdir -p "$work/live/testdata"
cp -r "$repo/testdata/build-hello" "$work/live/testdata/build-hello"
live="$work/live/testdata/build-hello"
cat "$repo/testdata/toaster/local.conf.append" >> "$live/conf/local.conf"
cat "$repo/testdata/toaster/gate-libhello.append" >> "$live/meta-hello/recipes-hello/libhello/libhello_1.0.bb"
cat "$repo/testdata/toaster/gate-sayhello.append" >> "$live/meta-hello/recipes-hello/sayhello/sayhello_1.0.bb"
live_db="$live/toaster.sqlite"
"$synthetic" "$live_db" big
serve "$live_db" "$work/live-server.log"
live_url=$started_url
(cd "$live" && PWD="$live" BAKE_NO_PROGRESS=1 exec env -u BBPATH -u TOASTER_DIR "$bake" sayhello) > "$work/live-bake.log" 2>&1 &
live_bake=$!
echo "recording a slow build (bake pid $live_bake) into $live_db"

export TOASTER_IMAGE_URL="$image_url" IMAGE_ROOTFS="$image_rootfs"
export TOASTER_URL="$url" TOASTER_LIVE_URL="$live_url" BAKE_LIVE_PID="$live_bake" BAKE_LIVE_GATES="$live" CHROMIUM="$chromium"
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$here/screenshots}"
mkdir -p "$SCREENSHOT_DIR"
cd "$here"
status=0
node --test --test-reporter=spec toaster.test.mjs || status=$?
for log in "$work/server.log" "$work/live-server.log" "$work/image-server.log"; do
  if [ -s "$log" ] && grep -q "toaster-web:" "$log"; then
    echo "the server logged errors ($log):" >&2
    grep "toaster-web:" "$log" >&2
    status=1
  fi
done
if [ $status -ne 0 ]; then
  echo "the live build's output:" >&2
  cat "$work/live-bake.log" >&2
fi
exit $status
