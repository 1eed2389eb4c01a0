#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Runs a command on a local stack of its own: DynamoDB Local, moto and PostgreSQL started fresh
# (in memory, a throw-away cluster) on free ports, with a state dir of their own, and stopped when
# the command ends, fails or is interrupted. `just test` runs the test suite this way, so a test
# run never touches the developer's stack on the default ports and never inherits an aged server.
#
#   scripts/test-stack.sh CMD [ARG ...]
#
# CMD runs with CRUDDUR_OPS_DDB_PORT, CRUDDUR_OPS_COGNITO_PORT, CRUDDUR_OPS_PG_PORT and
# CRUDDUR_OPS_STATE set to the test stack's (the tools and the tests read them); its exit status
# is this script's.
#
# Environment:
#   CRUDDUR_OPS_TEST_STACK  `own` (default): a stack of its own, as above.
#                           `running`: no stack of its own; CMD runs on the stack the
#                           CRUDDUR_OPS_*_PORT variables name (default ports: `just up`'s),
#                           which is started first if it is down, and left running.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STACK=$HERE/stack.sh

say() { printf 'test-stack: %s\n' "$*" >&2; }

(($# > 0)) || {
  say "usage: $0 CMD [ARG ...]"
  exit 2
}

case ${CRUDDUR_OPS_TEST_STACK:-own} in
  running)
    say "CRUDDUR_OPS_TEST_STACK=running: using the stack on the CRUDDUR_OPS_*_PORT ports (started if down)"
    bash "$STACK" up
    exec "$@"
    ;;
  own) ;;
  *)
    say "error: CRUDDUR_OPS_TEST_STACK must be 'own' or 'running', not '${CRUDDUR_OPS_TEST_STACK}'"
    exit 2
    ;;
esac

# Is anything listening on 127.0.0.1:PORT (or on every interface)?
port_taken() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null && return 0
  command -v ss >/dev/null 2>&1 && [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
}

# Three distinct free ports below Linux's ephemeral range (32768-60999), so that no outgoing
# connection of the run can hold one of them by chance.
pick_ports() {
  local picked=() port tries=0
  while ((${#picked[@]} < 3)); do
    ((tries++ < 200)) || {
      say "error: found no free ports between 20000 and 32000"
      exit 1
    }
    port=$((20000 + RANDOM % 12000))
    [[ " ${picked[*]} " == *" $port "* ]] && continue
    port_taken "$port" && continue
    picked+=("$port")
  done
  printf '%s\n' "${picked[@]}"
}

STATE=$(mktemp -d "${TMPDIR:-/tmp}/cruddur-ops-test.XXXXXX")
export CRUDDUR_OPS_STATE=$STATE
unset CRUDDUR_OPS_USE_RUNNING
# The quick JIT only: DynamoDB Local uses half the CPU over a test run's few minutes (measured:
# start and 5 seeds and scans, 2.2 s of CPU against 5.0 s with the default tiered JIT).
export CRUDDUR_OPS_DDB_JAVA_OPTS=${CRUDDUR_OPS_DDB_JAVA_OPTS:-"-XX:TieredStopAtLevel=1"}
# A throw-away cluster: no fsync (its databases are made and dropped by the hundred).
export CRUDDUR_OPS_PG_SETTINGS=${CRUDDUR_OPS_PG_SETTINGS:-"fsync=off synchronous_commit=off full_page_writes=off"}
# ... and on tmpfs when there is one with room (a container's /dev/shm is often 64 MB; a run
# needs a few hundred): on a disk, the inodes of those databases cost the server as much CPU as
# moto's (measured with perf: ext4's inode allocation).
if [[ -z ${CRUDDUR_OPS_PG_ROOT:-} && -d /dev/shm && -w /dev/shm ]]; then
  shm_free_mb=$(df -Pm /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
  if [[ $shm_free_mb =~ ^[0-9]+$ ]] && ((shm_free_mb >= 1024)); then
    export CRUDDUR_OPS_PG_ROOT=/dev/shm
  fi
fi

stopped=0
# shellcheck disable=SC2317 # run by the EXIT trap
stop_stack() {
  local status=$?
  ((stopped)) && return 0
  stopped=1
  bash "$STACK" down >"$STATE/down.log" 2>&1 || {
    say "stopping the test stack failed:"
    cat "$STATE/down.log" >&2
  }
  # A failed run keeps the servers' logs (a test that failed on a server's error names it there).
  if ((status != 0)) && [[ -d $STATE/logs ]]; then
    local kept
    kept=$(mktemp -d "${TMPDIR:-/tmp}/cruddur-ops-test-logs.XXXXXX")
    cp -r "$STATE/logs/." "$kept/" && say "the test stack's server logs are kept in $kept"
  fi
  rm -rf -- "$STATE"
}
trap stop_stack EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A port can be taken between the pick and the start: try again on new ports.
for attempt in 1 2 3; do
  mapfile -t ports < <(pick_ports)
  export CRUDDUR_OPS_DDB_PORT=${ports[0]} CRUDDUR_OPS_COGNITO_PORT=${ports[1]} CRUDDUR_OPS_PG_PORT=${ports[2]}
  if bash "$STACK" up 2>"$STATE/up.log"; then
    break
  fi
  if ((attempt == 3)); then
    cat "$STATE/up.log" >&2
    say "error: the test stack did not start (three tries)"
    exit 1
  fi
  say "the test stack did not start on ports ${ports[*]}; trying other ports"
  bash "$STACK" down >/dev/null 2>&1 || true
done
say "a stack of its own: dynamodb :$CRUDDUR_OPS_DDB_PORT, moto :$CRUDDUR_OPS_COGNITO_PORT, postgres :$CRUDDUR_OPS_PG_PORT (state $STATE; stopped at the end)"

# Not exec: the EXIT trap stops the stack when CMD ends. CMD runs in the background so that a
# signal to this script is handled at once (bash runs traps only between commands): it is passed
# on to CMD (a background command ignores the terminal's Ctrl-C), and the stack is stopped once
# CMD has gone.
child=""
# shellcheck disable=SC2317 # run by the signal traps
on_signal() {
  local code=$1
  if [[ -n $child ]]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  exit "$code"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP
"$@" &
child=$!
status=0
wait "$child" || status=$?
child=""
exit "$status"
