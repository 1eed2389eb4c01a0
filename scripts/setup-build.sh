#!/usr/bin/env bash
# The first step of `just setup`: builds the one binary while the local stack starts beside it,
# so that a first start on a fresh machine (DynamoDB Local's jar fetched, moto's Python
# environment made, PostgreSQL's cluster made) overlaps the compile instead of following it.
#
#   scripts/setup-build.sh
#
# DynamoDB Local is restarted empty (it slows down as stream records pile up, even those of
# dropped tables); CRUDDUR_OPS_SETUP_KEEP_DYNAMODB=1 keeps it running. The stack's messages are
# printed once the build is done; the script fails if either failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [[ ${CRUDDUR_OPS_SETUP_KEEP_DYNAMODB:-0} == 1 ]]; then
  stack=(bash scripts/stack.sh up)
else
  stack=(bash scripts/stack.sh restart ddb)
fi
"${stack[@]}" >"$log" 2>&1 </dev/null &
starting=$!

built=0
cargo build --bin cruddur-ops || built=$?
started=0
wait "$starting" || started=$?
cat "$log" >&2
((started == 0)) || { printf 'setup: "%s" failed (exit %d)\n' "${stack[*]}" "$started" >&2; exit "$started"; }
exit "$built"
