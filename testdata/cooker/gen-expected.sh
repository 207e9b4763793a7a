#!/usr/bin/env bash
# Regenerate testdata/cooker/*/expected/ with the real BitBake.
#
# usage: BITBAKE_DIR=/path/to/bitbake testdata/cooker/gen-expected.sh [CASE...]
#
# Each case is copied to $ORACLE_TMP/<case> (default /tmp/cooker-oracle), and each line of its
# commands.txt is run in that copy's build/ directory through run-bitbake.sh, in order, in the
# same copy (so add-layer/remove-layer edits carry over to the next command). Before every
# command the build directory's cache/ and tmp/ are removed, so each command starts cold.
# The environment is emptied (env -i) except HOME=/root, PATH, BITBAKE_DIR and BB_HASHSEED=0.
set -euo pipefail
: "${BITBAKE_DIR:?set BITBAKE_DIR to the BitBake checkout (commit c251833d)}"
here=$(cd "$(dirname "$0")" && pwd)
runner=${RUN_BITBAKE:-/work/shared/tools/run-bitbake.sh}
tmproot=${ORACLE_TMP:-/tmp/cooker-oracle}
bbdir=$(readlink -f "$BITBAKE_DIR")

if [ $# -gt 0 ]; then cases=("$@"); else
  cases=(); for d in "$here"/*/; do [ -f "$d/commands.txt" ] && cases+=("$(basename "$d")"); done
fi

normalize() { # $1 = absolute case copy dir; stdin -> stdout
  local tr
  tr=$(printf '%s' "$1" | tr '/.+@%&~-' '________')
  sed -e "s|$1|@CASE@|g" -e "s|$tr|@CASE_TR@|g" -e "s|$bbdir|@BITBAKE@|g" \
      -e 's/ at 0x[0-9a-f]*>/ at @ADDR@>/g'
}

wait_server() { # wait until no BitBake server holds $1/bitbake.lock
  local i
  for i in $(seq 1 150); do
    fuser -s "$1/bitbake.lock" 2>/dev/null || return 0
    sleep 0.2
  done
}

run_one() { # runs "${words[@]}" in $dst/build; sets rc, writes $dst/out.txt
  rm -rf "$dst/build/cache" "$dst/build/tmp"
  set +e
  if [ -f "$dst/build/conf/bblayers.conf" ]; then
    env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin BITBAKE_DIR="$bbdir" BB_HASHSEED=0 \
      "$runner" "$dst/build" "${words[@]}" >"$dst/out.txt" 2>&1 </dev/null
    rc=$?
  else
    # run-bitbake.sh needs conf/ and would pass BBPATH; call BitBake the same way without them
    (cd "$dst/build" && exec env -i HOME=/root LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 \
      PATH="$bbdir/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      PYTHONHASHSEED=0 BB_ENV_PASSTHROUGH_ADDITIONS=PYTHONHASHSEED \
      "${words[@]}") >"$dst/out.txt" 2>&1 </dev/null
    rc=$?
  fi
  set -e
  wait_server "$dst/build"
}

for case in "${cases[@]}"; do
  src="$here/$case"
  dst="$tmproot/$case"
  rm -rf "$dst"; mkdir -p "$tmproot"
  cp -r "$src" "$dst"
  rm -rf "$dst/expected" "$src/expected"; mkdir -p "$src/expected"
  n=0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue;; esac
    n=$((n + 1)); nn=$(printf '%02d' "$n")
    read -r -a words <<<"$line"
    # A failing BitBake sometimes loses part of its error report (the server shuts down before
    # the UI has printed everything): run failing commands up to 4 times and keep the longest
    # output. (Failed add-layer/remove-layer leave bblayers.conf unchanged, so this is safe.)
    best=; bestrc=
    for attempt in 1 2 3 4; do
      run_one
      if [ -z "$best" ] || [ "$(wc -c <"$dst/out.txt")" -gt "$(wc -c <"$best")" ]; then
        cp "$dst/out.txt" "$dst/best.txt"; best="$dst/best.txt"; bestrc=$rc
      fi
      [ "$rc" -eq 0 ] && break
    done
    rc=$bestrc; cp "$best" "$dst/out.txt"
    { echo "# exit: $rc"; normalize "$dst" <"$dst/out.txt"; } >"$src/expected/$nn.txt"
    case "$line" in
      *add-layer*|*remove-layer*)
        normalize "$dst" <"$dst/build/conf/bblayers.conf" >"$src/expected/$nn.bblayers.conf" ;;
    esac
    echo "$case/$nn: exit $rc: $line"
  done <"$src/commands.txt"
  rm -rf "$dst"
done
