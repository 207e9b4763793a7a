#!/usr/bin/env bash
# Regenerates expected/*.txt: what real Toaster records for the example build directory
# (testdata/build-hello) with bitbake -u toasterui. Not run by CI; needs:
#   BITBAKE_DIR  a checkout of openembedded/bitbake (its lib/toaster and bin/bitbake)
#   OE_CORE      a checkout of openembedded-core (its toaster and buildstats classes and
#                its meta/lib, used in the scratch copy only, never committed)
#   TOASTER_PY   a python3 with Django 4.2 (pip install 'Django>4.2,<4.3'
#                beautifulsoup4 pytz django-log-viewer==1.1.7, in a venv outside the project)
# Runs in a scratch directory; the en_US.UTF-8 locale must exist (see
# ../shared/tools/run-bitbake.sh).
set -euo pipefail
: "${BITBAKE_DIR:?}" "${OE_CORE:?}" "${TOASTER_PY:?}"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# A scratch tree laid out like the repository: meta/ and testdata/<dir>.
setup() { # $1: directory name under testdata
  local b="$scratch/$1/testdata/build-hello"
  mkdir -p "$scratch/$1/testdata"
  cp -r "$top/meta" "$scratch/$1/meta"
  cp -r "$top/testdata/build-hello" "$b"
  rm -rf "$b/tmp" "$b/cache" "$b"/toaster.sqlite* "$b/.toaster"
  # The oracle's recorder needs oe-core's toaster class (layer information events) and
  # buildstats (task statistics), which needs oe-core's Python library.
  cp "$OE_CORE/meta/classes/toaster.bbclass" "$scratch/$1/meta/classes/"
  cp "$OE_CORE/meta/classes-global/buildstats.bbclass" "$scratch/$1/meta/classes/"
  printf '\naddpylib %s/meta/lib oe\n' "$OE_CORE" >> "$scratch/$1/meta/conf/layer.conf"
  cat "$here/local.conf.append" >> "$b/conf/local.conf"
  # Last, so that the lines above keep the numbers bake's copy gives them.
  printf 'INHERIT += "buildstats"\n' >> "$b/conf/local.conf"
  mkdir -p "$b/toaster_logs"
  (cd "$BITBAKE_DIR/lib/toaster" && TOASTER_DIR="$b" BUILDDIR="$b" "$TOASTER_PY" manage.py migrate >/dev/null)
}
toaster() { # $1: build dir, rest: bitbake arguments
  local b=$1; shift
  (cd "$b" && env LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 HOME="${HOME:-/root}" \
     PATH="$(dirname "$TOASTER_PY"):$BITBAKE_DIR/bin:/usr/bin:/bin" \
     TOASTER_DIR="$b" BUILDDIR="$b" bitbake -u toasterui "$@" >/dev/null 2>&1) || true
}

setup ok
b="$scratch/ok/testdata/build-hello"
toaster "$b" sayhello
toaster "$b" sayhello
toaster "$b" no-such-recipe
for id in 1 2 3; do
  "$here/dump.py" "$b/toaster.sqlite" "$id" "$b" > "$here/expected/hello-$id.txt"
done

# Shared state: built, tmp/ removed, built again from sstate-cache (setscene tasks).
setup sstate
b="$scratch/sstate/testdata/build-hello"
toaster "$b" sayhello
rm -rf "$b/tmp"
toaster "$b" sayhello
"$here/dump.py" "$b/toaster.sqlite" 2 "$b" > "$here/expected/sstate-2.txt"

setup fail
b="$scratch/fail/testdata/build-hello"
cat "$here/fail.append" >> "$b/meta-hello/recipes-hello/sayhello/sayhello_1.0.bb"
toaster "$b" -k sayhello
"$here/dump.py" "$b/toaster.sqlite" 1 "$b" > "$here/expected/fail-1.txt"
echo "wrote $(ls "$here/expected" | wc -l) files in $here/expected"
