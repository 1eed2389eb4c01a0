#!/usr/bin/env bash
# A flake check: runs the whole test suite N times, each on a fresh stack of its own
# (scripts/test-stack.sh, as `just test` does), then prints how many runs passed, how long each
# took (the stack's start and stop included) and which tests failed in which run.
#
#   scripts/test-repeat.sh [N]      (default 5; `just test-repeat N`)
#
# Each run's whole output is kept in a log file whose path is printed (kept until the next
# `test-repeat`). The exit status is 0 only when every run passed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=${1:-5}
[[ $N =~ ^[1-9][0-9]*$ ]] || {
  printf 'test-repeat: N must be a whole number of runs (1 or more), not %s\n' "$N" >&2
  exit 2
}
THREADS=${CRUDDUR_OPS_TEST_THREADS:-6}
LOGS=${TMPDIR:-/tmp}/cruddur-ops-test-repeat
rm -rf -- "$LOGS"
mkdir -p "$LOGS"

say() { printf 'test-repeat: %s\n' "$*" >&2; }

# One build first, so that every run times the tests, not the compiler.
cargo build --quiet --tests --bins

passed=0
declare -A failed_in=()
summary=()
for ((run = 1; run <= N; run++)); do
  log=$LOGS/run-$run.log
  start=$SECONDS
  status=0
  CRUDDUR_OPS_TEST_STACK=own bash "$HERE/test-stack.sh" \
    cargo test --quiet --lib --test integration -- --test-threads "$THREADS" >"$log" 2>&1 || status=$?
  took=$((SECONDS - start))
  if ((status == 0)); then
    passed=$((passed + 1))
    summary+=("run $run: passed in ${took} s")
  else
    # libtest ends with a "failures:" section listing the failed tests, one indented name a line.
    mapfile -t names < <(awk '/^failures:$/ { delete list; n = 0; in_list = 1; next }
                              in_list && /^    [A-Za-z0-9_:]+$/ { list[n++] = $1; next }
                              in_list && /^test result:/ { for (i = 0; i < n; i++) print list[i]; in_list = 0 }' \
      "$log" | sort -u)
    if ((${#names[@]} == 0)); then names=("(no test named: exit status $status, see the log)"); fi
    for name in "${names[@]}"; do failed_in[$name]+=" $run"; done
    summary+=("run $run: FAILED in ${took} s: ${names[*]} (log: $log)")
  fi
  say "${summary[-1]}"
done

printf '%s of %s runs passed\n' "$passed" "$N"
printf '  %s\n' "${summary[@]}"
if ((${#failed_in[@]})); then
  printf 'failed tests (runs):\n'
  for name in "${!failed_in[@]}"; do printf '  %s:%s\n' "$name" "${failed_in[$name]}"; done | sort
fi
((passed == N))
