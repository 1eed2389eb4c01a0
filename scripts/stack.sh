#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local service stack for cruddur-ops, without Docker.
#
#   scripts/stack.sh up       start whatever is not running, wait until it answers
#   scripts/stack.sh down     stop what this stack started
#   scripts/stack.sh status   one line per service; exit 0 only if all three are up
#   scripts/stack.sh restart SVC...  stop those of ddb, moto, pg that this stack started, then `up`
#   scripts/stack.sh fetch    only install/download what `up` needs (starts nothing)
#   scripts/stack.sh python   make the cache's Python venv if missing; print its python
#
# Services (all on 127.0.0.1 only, all start EMPTY on every `up`):
#   dynamodb-local  :8000  Amazon's DynamoDB Local (in memory, shared like -sharedDb), from the
#                          npm package amplify-dynamodb-simulator, fetched with `npm pack`, served
#                          by a small launcher bound to 127.0.0.1 (stack/LoopbackDynamoDB.java)
#   moto-cognito    :9229  moto's server (Cognito user pools), in a venv in the cache
#   postgres        :5432  a private, throw-away PostgreSQL cluster, user postgres,
#                          password "password", database cruddur, TLS from a local CA
#                          whose certificate is <state>/tls/ca.pem
#
# The code is split by service: stack/common.sh (settings, helpers, launching, locking),
# stack/dynamodb.sh, stack/moto.sh, stack/postgres.sh; this file holds the commands.
#
# A port held by anything that is not this state dir's service is an error naming the holder
# and the variable that moves the port, and nothing is started. With CRUDDUR_OPS_USE_RUNNING=1
# a port that answers as the right service (say another clone's stack) is used as it is, and
# never changed (no database is created in a PostgreSQL this stack did not start). `down` leaves
# such services alone.
#
# Environment:
#   CRUDDUR_OPS_DDB_PORT      DynamoDB Local's port (default 8000)
#   CRUDDUR_OPS_COGNITO_PORT  moto's port (default 9229)
#   CRUDDUR_OPS_PG_PORT       PostgreSQL's port (default 5432); the tools read the same three
#   CRUDDUR_OPS_USE_RUNNING   1: use a service already answering on a port (see above)
#   CRUDDUR_OPS_DDB_JAVA_OPTS more JVM options for DynamoDB Local, split on spaces
#   CRUDDUR_OPS_PG_SETTINGS   more PostgreSQL settings, NAME=VALUE split on spaces
#   CRUDDUR_OPS_PG_ROOT       where PostgreSQL's cluster dir goes (default: see stack/postgres.sh)
#   CRUDDUR_OPS_CACHE    downloads and the venv (default ${XDG_CACHE_HOME:-$HOME/.cache}/cruddur-ops)
#   CRUDDUR_OPS_STATE    pid files, logs, working dirs, the TLS CA (default <repo>/.stack)
#   CRUDDUR_OPS_TIMEOUT  seconds to wait for each service to answer (default 30)
#   CRUDDUR_OPS_PG_BINDIR  directory holding initdb/postgres/psql (default: found)
#   CRUDDUR_OPS_PYTHON   the Python that creates the venv (default python3)
#
# Progress goes to stderr; `status` prints its table on stdout.
set -euo pipefail

STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/stack" && pwd)
# shellcheck source=stack/common.sh
source "$STACK_DIR/common.sh"
# shellcheck source=stack/dynamodb.sh
source "$STACK_DIR/dynamodb.sh"
# shellcheck source=stack/moto.sh
source "$STACK_DIR/moto.sh"
# shellcheck source=stack/postgres.sh
source "$STACK_DIR/postgres.sh"

readonly SERVICES=(ddb moto pg)

# CRUDDUR_OPS_USE_RUNNING=1: a port that already answers as the right service, but was not
# started from this state dir, is used as it is (never changed: no database is created in it).
# Without it such a port is an error, like any other port held by someone else.
USE_RUNNING=0
case ${CRUDDUR_OPS_USE_RUNNING:-} in
  1 | true | yes) USE_RUNNING=1 ;;
  '' | 0 | false | no) ;;
  *)
    say "stack: error: CRUDDUR_OPS_USE_RUNNING must be 1 or 0, not '$CRUDDUR_OPS_USE_RUNNING'"
    exit 2
    ;;
esac
readonly USE_RUNNING

# ---------------------------------------------------------------------------
# commands

# inspect SVC: sets STATE to one of
#   ours      our process holds the port and answers   (PID set)
#   starting  our process, not answering yet           (PID set)
#   foreign   someone else holds the port, and it answers as the service should
#   taken     someone else holds the port, and it does not
#   down      nothing there
# With foreign/taken, PID may still name a process of ours that never got the port.
STATE=""
PID=""
inspect() {
  local svc=$1 port
  port=$(svc_port "$svc")
  PID=$(our_pid "$svc")
  if [[ -n $PID ]] && pid_listens "$PID" "$port"; then
    if svc_probe "$svc"; then STATE=ours; else STATE=starting; fi
  elif port_open "$port" && ! { [[ -n $PID ]] && pid_listens "$PID" "$port"; }; then
    if svc_probe "$svc"; then STATE=foreign; else STATE=taken; fi
  elif [[ -n $PID ]]; then
    STATE=starting
  else
    STATE=down
  fi
}

# Stop a process of ours that is alive but never got its port (someone else has it).
stop_stray() { # SVC
  if [[ -n $PID ]]; then
    say "$(svc_name "$1"): stopping our pid $PID, which never got port $(svc_port "$1")"
    stop_pid "$1" "$PID"
    PID=""
  fi
}

wait_ready() { # SVC START_US; says why and returns 1 on failure
  local svc=$1 t0=$2 name pid deadline port owner
  name=$(svc_name "$svc")
  pid=$(<"$RUN_DIR/$name.pid")
  deadline=$((t0 + READY_TIMEOUT * 1000000))
  port=$(svc_port "$svc")
  while :; do
    if pid_listens "$pid" "$port"; then
      if [[ $svc == pg ]]; then
        pg_query postgres 'select 1' >/dev/null 2>&1 && pg_ensure_database && svc_probe pg && break
      else
        svc_probe "$svc" && break
      fi
    elif port_open "$port" && ! pid_listens "$pid" "$port"; then
      owner=$(port_owner "$port")
      stop_pid "$svc" "$pid" >/dev/null 2>&1 || true
      say "$name: port $port on $HOST was taken by another process${owner:+ ($owner)} while ours (pid $pid) was starting; stopped ours"
      return 1
    fi
    if ! pid_alive "$pid"; then
      say "$name: exited during start-up; last lines of $(svc_log "$svc"):"
      tail -n 25 "$(svc_log "$svc")" >&2 || true
      rm -f "$RUN_DIR/$name.pid"
      return 1
    fi
    if (($(now_us) > deadline)); then
      say "$name: not answering on $HOST:$(svc_port "$svc") after ${READY_TIMEOUT} s; last lines of $(svc_log "$svc"):"
      tail -n 25 "$(svc_log "$svc")" >&2 || true
      stop_pid "$svc" "$pid" >/dev/null 2>&1 || true
      say "$name: stopped it (pid $pid)"
      return 1
    fi
    sleep 0.1
  done
  say "$name: up on $HOST:$(svc_port "$svc") (pid $pid, $(secs_since "$t0"))"
}

# "postgres: port 5432 on 127.0.0.1 is held by postgres (pid 123), not this stack's PostgreSQL"
port_problem() { # SVC
  local port owner
  port=$(svc_port "$1")
  owner=$(port_owner "$port")
  printf "%s: port %s on %s is held by %s, not this stack's %s" "$(svc_name "$1")" "$port" \
    "$HOST" "${owner:-another process}" "$(svc_title "$1")"
}

cmd_up() {
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  lock_state
  local svc name port var to_start=() to_wait=() starts=() problems=()
  for svc in "${SERVICES[@]}"; do
    name=$(svc_name "$svc")
    port=$(svc_port "$svc")
    var=$(svc_port_var "$svc")
    inspect "$svc"
    case $STATE in
      ours)
        say "$name: already running on $HOST:$port (pid $PID)"
        # the loopback launcher also has DynamoDBLocal.jar on its class path: look for the class
        if [[ $svc == ddb && $(pid_cmdline "$PID") != *" $DDB_LAUNCHER_CLASS "* ]]; then
          say "$name: started by an older stack.sh, it listens on every interface: run 'down' then 'up' to serve it on $HOST only"
        fi
        ;;
      starting) to_wait+=("$svc") ;;
      foreign)
        stop_stray "$svc"
        if ((USE_RUNNING)); then
          say "$(port_problem "$svc"), but it answers as one and CRUDDUR_OPS_USE_RUNNING=1: using it as it is ('down' leaves it alone)"
          if [[ $svc == pg ]] && ! pg_database_exists; then
            say "$name: it has no database $PG_DATABASE, and this stack creates none in a server it did not start ('db-setup' or 'just setup' builds it)"
          fi
        else
          problems+=("$(port_problem "$svc"); set $var to another port (or CRUDDUR_OPS_USE_RUNNING=1 to use that $(svc_title "$svc") as it is, unchanged)")
        fi
        ;;
      taken)
        stop_stray "$svc"
        problems+=("$(port_problem "$svc") (it does not answer as one); set $var to another port, or stop it")
        ;;
      down) to_start+=("$svc") ;;
    esac
  done
  if ((${#problems[@]})); then
    for var in "${problems[@]}"; do say "stack: error: $var"; done
    die "nothing was started"
  fi

  # first everything that may install or download, then start all, then wait for all
  for svc in "${to_start[@]}"; do "${svc}_prepare"; done
  for svc in "${to_start[@]}"; do
    starts+=("$(now_us)")
    "${svc}_launch"
    say "$(svc_name "$svc"): starting on $HOST:$(svc_port "$svc") (pid $(<"$RUN_DIR/$(svc_name "$svc").pid")) ..."
  done
  local i failed=()
  for i in "${!to_start[@]}"; do
    wait_ready "${to_start[$i]}" "${starts[$i]}" || failed+=("$(svc_name "${to_start[$i]}")")
  done
  for svc in "${to_wait[@]}"; do
    say "$(svc_name "$svc"): running but not answering yet; waiting ..."
    wait_ready "$svc" "$(now_us)" || failed+=("$(svc_name "$svc")")
  done
  if ((${#failed[@]})); then
    die "not up: ${failed[*]} (logs in $LOG_DIR; whatever did start is left running, 'down' stops it)"
  fi
  say "stack: up: dynamodb http://$HOST:$DDB_PORT  cognito http://$HOST:$COGNITO_PORT  postgresql://$PG_USER:$PG_PASSWORD@$HOST:$PG_PORT/$PG_DATABASE"
  if [[ -f $PG_TLS_DIR/ca.pem ]]; then
    say "stack: PostgreSQL's TLS CA: $PG_TLS_DIR/ca.pem (sslmode=verify-full sslrootcert=$PG_TLS_DIR/ca.pem)"
  fi
}

cmd_down() {
  mkdir -p "$STATE_DIR" "$RUN_DIR"
  lock_state
  local svc name port pid owner t0 stopping=() pids=()
  t0=$(now_us)
  for svc in pg moto ddb; do
    name=$(svc_name "$svc")
    port=$(svc_port "$svc")
    pid=$(our_pid "$svc")
    if [[ -n $pid ]]; then
      kill -s "$(svc_stop_signal "$svc")" "$pid" 2>/dev/null || true
      stopping+=("$svc")
      pids+=("$pid")
    elif port_open "$port"; then
      owner=$(port_owner "$port")
      say "$name: not started by this stack; leaving $HOST:$port alone${owner:+ ($owner)}"
    else
      say "$name: not running"
    fi
  done
  local i
  for i in "${!stopping[@]}"; do
    svc=${stopping[$i]}
    stop_pid "$svc" "${pids[$i]}"
    say "$(svc_name "$svc"): stopped (pid ${pids[$i]}, $(secs_since "$t0"))"
  done
  # the throw-away cluster's files, unless a server of ours still runs on them
  if [[ -z $(our_pid pg) ]]; then pg_remove_data; fi
}

# restart SVC...: stop the named services of ours (ddb, moto, pg), then `up`. In-memory services
# come back empty. A service this stack did not start is left alone, with a note.
cmd_restart() {
  (($#)) || die "restart: name the services to restart (ddb, moto, pg)"
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  lock_state
  local svc pid t0
  for svc in "$@"; do
    case $svc in
      ddb | moto | pg) ;;
      *) die "restart: unknown service '$svc' (ddb, moto or pg)" ;;
    esac
    pid=$(our_pid "$svc")
    if [[ -n $pid ]]; then
      t0=$(now_us)
      stop_pid "$svc" "$pid"
      say "$(svc_name "$svc"): stopped for a restart (pid $pid, $(secs_since "$t0"))"
    elif port_open "$(svc_port "$svc")"; then
      say "$(svc_name "$svc"): not started by this stack; left as it is"
    fi
  done
  cmd_up
}

cmd_fetch() {
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  local svc
  for svc in "${SERVICES[@]}"; do "${svc}_prepare"; done
  say "stack: everything 'up' needs is installed (cache: $CACHE_DIR)"
}

# The cache's Python venv (moto, boto3, the AWS CLI), made when missing; prints its python.
cmd_python() {
  mkdir -p "$STATE_DIR" "$LOG_DIR"
  moto_prepare
  printf '%s\n' "$VENV/bin/python"
}

cmd_status() {
  local svc name port owner all=0 word detail
  for svc in "${SERVICES[@]}"; do
    name=$(svc_name "$svc")
    port=$(svc_port "$svc")
    inspect "$svc"
    case $STATE in
      ours) word=up detail="pid $PID" ;;
      starting) word=down detail="pid $PID (running, not answering)" all=1 ;;
      foreign)
        owner=$(port_owner "$port")
        detail="pid - (${owner:-something} answers, not started by this stack"
        if ((USE_RUNNING)); then
          word=up detail+="; used as CRUDDUR_OPS_USE_RUNNING=1 says)"
        else
          word=down detail+="; CRUDDUR_OPS_USE_RUNNING=1 would use it)" all=1
        fi
        ;;
      taken)
        owner=$(port_owner "$port")
        word=down detail="pid - (port taken by something else${owner:+: $owner})" all=1
        ;;
      down) word=down detail="pid -" all=1 ;;
    esac
    printf '%-15s %-5s %s:%-5s %s\n' "$name" "$word" "$HOST" "$port" "$detail"
  done
  return "$all"
}

usage() {
  cat <<EOF
usage: $(basename "$0") up|down|status|restart SVC...|fetch|python

  up      start DynamoDB Local (:$DDB_PORT), moto's Cognito (:$COGNITO_PORT) and PostgreSQL (:$PG_PORT)
          on $HOST, each only if not running; waits until they answer
  down    stop what 'up' started
  status  one line per service; exit status 0 only if all are up
  restart SVC...  stop the named services this stack started (ddb, moto, pg), then 'up'
  fetch   only install/download what 'up' needs; start nothing
  python  make the cache's Python venv if missing; print its python's path

ports: CRUDDUR_OPS_DDB_PORT, CRUDDUR_OPS_COGNITO_PORT, CRUDDUR_OPS_PG_PORT
cache: $CACHE_DIR   state: $STATE_DIR
EOF
}

main() {
  case ${1:-} in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    restart)
      shift
      cmd_restart "$@"
      ;;
    fetch) cmd_fetch ;;
    python) cmd_python ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
