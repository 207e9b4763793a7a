#!/usr/bin/env bash
# Regenerate testdata/taskgraph/*/expected/ with the real BitBake.
#
# usage: BITBAKE_DIR=/path/to/bitbake testdata/taskgraph/gen-expected.sh [CASE...]
#
# Each case directory is a complete build directory without conf/bblayers.conf (BBPATH is the
# case directory, BBFILES = ${TOPDIR}/recipes/*.bb). It is copied to $ORACLE_TMP/<case>
# (default /tmp/taskgraph-oracle) and each line of its commands.txt (bitbake arguments) is run
# there through run-bitbake.sh, in order, in the same copy: tmp/ (stamps) is kept from one
# command to the next, so builds see the stamps of earlier builds; cache/ (the parse cache) is
# removed before every command. The environment is emptied (env -i) except HOME=/root, PATH,
# BITBAKE_DIR and BB_HASHSEED=0.
#
# expected/NN.txt: "# exit: N", then stdout and stderr as BitBake interleaved them (2>&1).
# When a -g command wrote them (even if it then failed), also expected/NN.task-depends.dot and
# expected/NN.pn-buildlist.
# Normalization: the case copy's path -> @CASE@; the BitBake checkout -> @BITBAKE@;
# PIDs in run./log. file names -> @PID@; stamp hashes are kept.
set -euo pipefail
: "${BITBAKE_DIR:?set BITBAKE_DIR to the BitBake checkout (commit c251833d)}"
here=$(cd "$(dirname "$0")" && pwd)
runner=${RUN_BITBAKE:-/work/shared/tools/run-bitbake.sh}
tmproot=${ORACLE_TMP:-/tmp/taskgraph-oracle}
bbdir=$(readlink -f "$BITBAKE_DIR")

if [ $# -gt 0 ]; then cases=("$@"); else
  cases=(); for d in "$here"/*/; do [ -f "$d/commands.txt" ] && cases+=("$(basename "$d")"); done
fi

normalize() { # $1 = absolute case copy dir; stdin -> stdout
  sed -e "s|$1|@CASE@|g" -e "s|$bbdir|@BITBAKE@|g" -e 's/ at 0x[0-9a-f]*>/ at @ADDR@>/g' \
      -e 's/\(\(run\|log\)\.do_[a-z_]*\)\.[0-9][0-9]*/\1.@PID@/g'
}

wait_server() { # wait until no BitBake server holds $1/bitbake.lock
  local i
  for i in $(seq 1 150); do
    fuser -s "$1/bitbake.lock" 2>/dev/null || return 0
    sleep 0.2
  done
}

run_one() { # runs "${words[@]}" in $dst; sets rc, writes $dst/out.txt
  rm -rf "$dst/cache" "$dst/task-depends.dot" "$dst/pn-buildlist"
  set +e
  env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin BITBAKE_DIR="$bbdir" BB_HASHSEED=0 \
    "$runner" "$dst" "${words[@]}" >"$dst/out.txt" 2>&1 </dev/null
  rc=$?
  set -e
  wait_server "$dst"
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
    # A failing BitBake sometimes loses part of its error report (the server stops before the
    # UI has printed everything): a failing command is run up to 4 times, the longest output
    # kept. (Failing commands here are -g runs, which leave no state behind.)
    best=; bestrc=
    for attempt in 1 2 3 4; do
      run_one
      if [ -z "$best" ] || [ "$(wc -c <"$dst/out.txt")" -gt "$(wc -c <"$best")" ]; then
        cp "$dst/out.txt" "$dst/best.txt"; best="$dst/best.txt"; bestrc=$rc
      fi
      [ "$rc" -eq 0 ] && break
    done
    rc=$bestrc
    { echo "# exit: $rc"; normalize "$dst" <"$best"; } >"$src/expected/$nn.txt"
    # (a -g run can write both files and still fail, e.g. for a missing DEPENDS)
    if [ -f "$dst/task-depends.dot" ]; then
      normalize "$dst" <"$dst/task-depends.dot" >"$src/expected/$nn.task-depends.dot"
      cp "$dst/pn-buildlist" "$src/expected/$nn.pn-buildlist"
    fi
    echo "$case/$nn: exit $rc: bitbake $line"
  done <"$src/commands.txt"
  rm -rf "$dst"
done
