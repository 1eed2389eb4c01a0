#!/usr/bin/env bash
# `just setup` N times in a row on one stack (the one the CRUDDUR_OPS_*_PORT variables name),
# timing each run: does the local stack get slower with use? Prints every run's seconds, then
# the median of the first ten and of the last ten runs and their ratio.
#
#   bash bench/setup-repeat.sh [N]     (default 100; `just bench-setup N`)
#
# One uncounted run first builds the tools. Each run's output goes to a log under ${TMPDIR:-/tmp}/cruddur-ops-setup-repeat/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N=${1:-100}
if ! [[ $N =~ ^[0-9]+$ ]] || ((N < 20)); then
  printf 'setup-repeat: N must be a whole number, at least 20 (the first and last ten runs are compared)\n' >&2
  exit 2
fi
JUST=${JUST:-just}
LOGS=${TMPDIR:-/tmp}/cruddur-ops-setup-repeat
rm -rf -- "$LOGS"
mkdir -p "$LOGS"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One run not counted: it builds what `just setup` builds.
"$JUST" setup >"$LOGS/warm-up.log" 2>&1 || {
  printf 'setup-repeat: the warm-up run failed; its output:\n' >&2
  tail -n 30 "$LOGS/warm-up.log" >&2
  exit 1
}
times=()
for ((run = 1; run <= N; run++)); do
  start=${EPOCHREALTIME/[.,]/}
  "$JUST" setup >"$LOGS/run-$run.log" 2>&1 || {
    printf 'setup-repeat: run %s failed; its output:\n' "$run" >&2
    tail -n 30 "$LOGS/run-$run.log" >&2
    exit 1
  }
  end=${EPOCHREALTIME/[.,]/}
  secs=$(awk -v d=$((end - start)) 'BEGIN { printf "%.3f", d / 1e6 }')
  times+=("$secs")
  printf 'run %3d: %s s\n' "$run" "$secs"
done
first=$(printf '%s\n' "${times[@]:0:10}" | median)
last=$(printf '%s\n' "${times[@]: -10}" | median)
printf 'median of the first 10 runs: %s s; of the last 10: %s s; last/first: %s\n' "$first" "$last" \
  "$(awk -v a="$last" -v b="$first" 'BEGIN { printf "%.2f", a / b }')"
