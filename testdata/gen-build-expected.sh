#!/usr/bin/env bash
# Regenerate testdata/build-*/expected/ (build-hello, build-real) with the real BitBake.
#
# usage: BITBAKE_DIR=/path/to/bitbake testdata/gen-build-expected.sh [CASE...]
#
# Runs in place (the build directories reach the repository's meta/ layer through a
# relative path): removes tmp/ cache/ downloads/, then for each line of the case's
# targets.txt (bitbake arguments) runs `bitbake -g ARGS` (keeping task-depends.dot and
# pn-buildlist), then one cold `bitbake ARGS` build, recording the tasks it ran and the
# wall time.  Absolute paths of the case directory are written @CASE@.
set -euo pipefail
: "${BITBAKE_DIR:?set BITBAKE_DIR to the BitBake checkout (commit c251833d)}"
here=$(cd "$(dirname "$0")" && pwd)
runner=${RUN_BITBAKE:-/work/shared/tools/run-bitbake.sh}
bbdir=$(readlink -f "$BITBAKE_DIR")

if [ $# -gt 0 ]; then cases=("$@"); else
  cases=(); for d in "$here"/*/; do [ -f "$d/targets.txt" ] && cases+=("$(basename "$d")"); done
fi

wait_server() {
  local i
  for i in $(seq 1 150); do
    fuser -s "$1/bitbake.lock" 2>/dev/null || return 0
    sleep 0.2
  done
}

bb() { # case dir, args...
  local dir=$1; shift
  env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin BITBAKE_DIR="$bbdir" BB_HASHSEED=0 \
    "$runner" "$dir" "$@" </dev/null
}

for case in "${cases[@]}"; do
  dir="$here/$case"; exp="$dir/expected"
  rm -rf "$exp"; mkdir -p "$exp"
  n=0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue;; esac
    n=$((n + 1)); nn=$(printf '%02d' "$n")
    read -r -a words <<<"$line"
    wait_server "$dir"
    rm -rf "$dir/tmp" "$dir/cache" "$dir/downloads" "$dir/task-depends.dot" "$dir/pn-buildlist"
    bb "$dir" -g "${words[@]}" >"$dir/graph.log" 2>&1 || { cat "$dir/graph.log"; exit 1; }
    sed "s|$dir|@CASE@|g" "$dir/task-depends.dot" >"$exp/$nn.task-depends.dot"
    cp "$dir/pn-buildlist" "$exp/$nn.pn-buildlist"
    echo "bitbake -g $line" >"$exp/$nn.command"
    wait_server "$dir"
    rm -rf "$dir/tmp" "$dir/cache" "$dir/downloads"
    start=$(date +%s.%N)
    set +e; bb "$dir" "${words[@]}" >"$dir/build.log" 2>&1; rc=$?; set -e
    end=$(date +%s.%N)
    # tasks run, as "PN do_task" (noexec ones marked), sorted: the order depends on timing
    sed -n -e 's|^NOTE: Running task [0-9]* of [0-9]* (.*/\([^/]*\)\.bb:\(do_[a-z_]*\))$|\1 \2|p' \
           -e 's|^NOTE: Running noexec task [0-9]* of [0-9]* (.*/\([^/]*\)\.bb:\(do_[a-z_]*\))$|\1 \2 (noexec)|p' \
        "$dir/build.log" | sed 's/^\([^_ ]*\)_[^ ]* /\1 /' | sort >"$exp/$nn.tasks-run.txt"
    grep '^NOTE: Tasks Summary' "$dir/build.log" >>"$exp/$nn.tasks-run.txt" || true
    echo "# exit: $rc" >>"$exp/$nn.tasks-run.txt"
    printf '%s: bitbake %s: exit %s, %.1f s wall (cold: no tmp/, cache/, downloads/)\n' \
      "$case" "$line" "$rc" "$(echo "$end - $start" | bc)" | tee -a "$exp/timings.txt"
    [ "$rc" -eq 0 ] || { tail -30 "$dir/build.log"; exit 1; }
  done <"$dir/targets.txt"
  rm -f "$dir/graph.log" "$dir/build.log" "$dir/task-depends.dot" "$dir/pn-buildlist"
done
