# shellcheck shell=bash source-path=SCRIPTDIR
# Shared by scripts/stack.sh and the service files beside this one: settings read from the
# environment (cache, state dir, ports), messages, locking, package installs, port and process
# checks, and the detached launcher. Sourced, never run; each service file sources it when it
# was not loaded yet, so a service file can be used on its own (bench/run.sh does).
[[ -n ${STACK_COMMON_LOADED:-} ]] && return 0
STACK_COMMON_LOADED=1

readonly HOST=127.0.0.1

STACK_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$STACK_LIB_DIR/../.." && pwd)
if [[ -z ${HOME:-} ]]; then
  HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
  export HOME
fi
CACHE_DIR=${CRUDDUR_OPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cruddur-ops}
STATE_DIR=${CRUDDUR_OPS_STATE:-$REPO_ROOT/.stack}
READY_TIMEOUT=${CRUDDUR_OPS_TIMEOUT:-30}
LOG_DIR=$STATE_DIR/logs
RUN_DIR=$STATE_DIR/run


# ---------------------------------------------------------------------------
# small helpers

say() { printf '%s\n' "$*" >&2; }
die() {
  say "stack: error: $*"
  exit 1
}
is_root() { [[ $EUID -eq 0 ]]; }
have() { command -v "$1" >/dev/null 2>&1; }

[[ $READY_TIMEOUT =~ ^[0-9]+$ ]] || {
  say "stack: CRUDDUR_OPS_TIMEOUT must be whole seconds"
  exit 2
}

now_us() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then
    printf '%s' "${EPOCHREALTIME/[.,]/}"
  else
    date +%s%6N
  fi
}

# secs_since START_US -> "2.3 s"
secs_since() {
  local d=$(($(now_us) - $1))
  printf '%d.%d s' $((d / 1000000)) $(((d / 100000) % 10))
}

TMP_PATHS=()
cleanup_tmp() {
  local p
  for p in "${TMP_PATHS[@]}"; do rm -rf -- "$p"; done
}
trap cleanup_tmp EXIT

# ---------------------------------------------------------------------------
# ports: CRUDDUR_OPS_DDB_PORT, CRUDDUR_OPS_COGNITO_PORT, CRUDDUR_OPS_PG_PORT (the tools read the
# same variables, in src/config.rs)

# read_port VAR DEFAULT: prints the port. Empty or unset means DEFAULT; anything but a number
# from 1 to 65535 is an error (exit 2).
read_port() {
  local var=$1 value=${!1:-} n=0
  value=${value//[[:space:]]/}
  [[ -z $value ]] && value=$2
  [[ $value =~ ^[0-9]{1,5}$ ]] && n=$((10#$value))
  if ((n < 1 || n > 65535)); then
    say "stack: error: $var='${!1:-}' is not a port: it must be a number from 1 to 65535"
    exit 2
  fi
  printf '%s' "$n"
}
DDB_PORT=$(read_port CRUDDUR_OPS_DDB_PORT 8000) || exit 2
COGNITO_PORT=$(read_port CRUDDUR_OPS_COGNITO_PORT 9229) || exit 2
PG_PORT=$(read_port CRUDDUR_OPS_PG_PORT 5432) || exit 2
readonly DDB_PORT COGNITO_PORT PG_PORT
if ((DDB_PORT == COGNITO_PORT || DDB_PORT == PG_PORT || COGNITO_PORT == PG_PORT)); then
  say "stack: error: the three services need three different ports (CRUDDUR_OPS_DDB_PORT=$DDB_PORT, CRUDDUR_OPS_COGNITO_PORT=$COGNITO_PORT, CRUDDUR_OPS_PG_PORT=$PG_PORT)"
  exit 2
fi

# ---------------------------------------------------------------------------
# locking

# Serialise `up`/`down` on one state dir, and cache fills across clones. The lock fd
# is not passed on to the services: launch() closes every fd above 2.
LOCKED_STATE=0
lock_state() {
  ((LOCKED_STATE)) && return 0
  have flock || return 0
  exec {state_lock_fd}>"$STATE_DIR/.lock"
  flock -w 300 "$state_lock_fd" || die "another 'stack.sh' holds $STATE_DIR/.lock"
  LOCKED_STATE=1
}
LOCKED_CACHE=0
lock_cache() {
  ((LOCKED_CACHE)) && return 0
  mkdir -p "$CACHE_DIR"
  have flock || return 0
  exec {cache_lock_fd}>"$CACHE_DIR/.lock"
  flock -w 600 "$cache_lock_fd" || die "another 'stack.sh' holds $CACHE_DIR/.lock"
  LOCKED_CACHE=1
}

# Debian packages: installed when we are root, otherwise the exact command is printed.
APT_UPDATED=0
apt_install() { # WHY PACKAGE...
  local why=$1
  shift
  if ! have apt-get; then
    die "$why: install $* with your system's package manager, then run this again"
  fi
  if ! is_root; then
    say "stack: $why. Run this, then run this script again:"
    say "  sudo apt-get update && sudo apt-get install -y $*"
    exit 1
  fi
  mkdir -p "$LOG_DIR"
  local log=$LOG_DIR/apt.log t0
  t0=$(now_us)
  say "stack: $why: apt-get install -y $* ..."
  if ((!APT_UPDATED)); then
    DEBIAN_FRONTEND=noninteractive apt-get update >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "apt-get update failed (log: $log)"; }
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >>"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die "apt-get install $* failed (log: $log)"; }
  say "stack: installed $* ($(secs_since "$t0"))"
}

# ---------------------------------------------------------------------------
# ports and processes

# Does something accept TCP connections on HOST:PORT?
port_open() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

# Who listens on PORT, for messages: "postgres (pid 123)", or nothing when `ss` cannot tell.
port_owner() {
  have ss || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(.*)' | head -n 1 |
    sed -nE 's/^users:\(\("([^"]*)",pid=([0-9]+).*/\1 (pid \2)/p' || true
}

# An AWS JSON-protocol POST over bash's /dev/tcp (no curl needed); prints the raw
# HTTP response. DynamoDB Local wants some Authorization header (never checked); moto
# picks the service from the credential scope in it (SERVICE).
aws_json_post() { # PORT SERVICE TARGET CONTENT-TYPE BODY
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "POST / HTTP/1.0\r\nHost: %s:%s\r\nAuthorization: AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=0\r\nX-Amz-Target: %s\r\nContent-Type: %s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s" \
      "$0" "$1" "$2" "$3" "$4" "${#5}" "$5" >&3
    cat <&3' "$HOST" "$@" 2>/dev/null
}

pid_alive() { # a live process (zombies do not count)
  local pid=$1 stat
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  if [[ -d /proc/$pid ]]; then
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
  else
    kill -0 "$pid" 2>/dev/null
  fi
}

# Is PID the process listening on PORT? (A second DynamoDB Local whose bind failed
# stays alive, so "our pid is alive and the port answers" is not enough: the answer
# may come from someone else's server.) Reads /proc; says yes when it cannot tell.
pid_listens() { # PID PORT
  local pid=$1 port=$2 hex inode
  [[ -r /proc/$pid/net/tcp ]] || return 0
  printf -v hex ':%04X' "$port"
  while read -r inode; do
    if [[ -n $(find "/proc/$pid/fd" -maxdepth 1 -lname "socket:\\[$inode\\]" -print -quit 2>/dev/null) ]]; then
      return 0
    fi
  done < <(awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10 }' \
    "/proc/$pid/net/tcp" "/proc/$pid/net/tcp6" 2>/dev/null)
  return 1
}

pid_cmdline() {
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true
}

# Start "$@" fully detached: own session (setsid, so no controlling terminal and no
# SIGHUP), cwd DIR, stdin /dev/null, stdout+stderr to LOG, and every other inherited fd
# closed, so a caller that captures our output (CI, `just up | tee`) never waits on
# it. `setsid -f` forks and returns at once, so the service is re-parented and never
# becomes our zombie, and it is not a bash background job (those start with SIGINT
# ignored, which postgres's fast shutdown needs). The pid (the exec'd service itself)
# goes to PIDFILE.
# shellcheck disable=SC2016 # expanded by the inner bash
readonly LAUNCHER='
pidfile=$1
shift
for f in /proc/$$/fd/*; do
  n=${f##*/}
  if [[ $n =~ ^[0-9]+$ ]] && ((n > 2)); then
    { eval "exec $n>&-"; } 2>/dev/null || true
  fi
done
echo $$ >"$pidfile.tmp" && mv -f "$pidfile.tmp" "$pidfile"
exec "$@"
'
launch() { # NAME DIR LOG CMD...
  local name=$1 dir=$2 log=$3
  shift 3
  local pidfile=$RUN_DIR/$name.pid i
  rm -f "$pidfile" "$pidfile.tmp"
  (
    cd "$dir" || exit 1
    exec setsid -f bash -c "$LAUNCHER" launcher "$pidfile" "$@" </dev/null >"$log" 2>&1
  )
  for ((i = 0; i < 100; i++)); do
    [[ -s $pidfile ]] && return 0
    sleep 0.05
  done
  die "$name: did not start (no pid file $pidfile; log: $log)"
}

# ---------------------------------------------------------------------------
# per-service facts; each service file defines SVC_matches CMDLINE, SVC_probe,
# SVC_prepare and SVC_launch (SVC = ddb, moto, pg)

svc_name() {
  case $1 in
    ddb) echo dynamodb-local ;;
    moto) echo moto-cognito ;;
    pg) echo postgres ;;
  esac
}
svc_port() {
  case $1 in
    ddb) echo "$DDB_PORT" ;;
    moto) echo "$COGNITO_PORT" ;;
    pg) echo "$PG_PORT" ;;
  esac
}
# The variable that moves the service's port.
svc_port_var() {
  case $1 in
    ddb) echo CRUDDUR_OPS_DDB_PORT ;;
    moto) echo CRUDDUR_OPS_COGNITO_PORT ;;
    pg) echo CRUDDUR_OPS_PG_PORT ;;
  esac
}
svc_title() {
  case $1 in
    ddb) echo "DynamoDB Local" ;;
    moto) echo "Cognito (moto)" ;;
    pg) echo "PostgreSQL" ;;
  esac
}
svc_log() { echo "$LOG_DIR/$(svc_name "$1").log"; }

# Does the pid's command line show it is this stack's service?
svc_cmd_matches() { "${1}_matches" "$2"; }

# Does the port answer as the service should?
svc_probe() { "${1}_probe"; }

# The pid of our running service, if any (else prints nothing, and drops stale pid files).
our_pid() {
  local svc=$1 pidfile pid=""
  pidfile=$RUN_DIR/$(svc_name "$svc").pid
  if [[ -f $pidfile ]]; then
    pid=$(<"$pidfile")
    if pid_alive "$pid" && svc_cmd_matches "$svc" "$(pid_cmdline "$pid")"; then
      echo "$pid"
      return 0
    fi
    rm -f "$pidfile"
  fi
  # postgres: our data dir's postmaster.pid also says it is ours
  if [[ $svc == pg ]] && pg_locate && [[ -f $PG_DATA/postmaster.pid ]]; then
    pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
    if pid_alive "$pid" && svc_cmd_matches pg "$(pid_cmdline "$pid")"; then
      echo "$pid" >"$pidfile"
      echo "$pid"
    fi
  fi
}

svc_stop_signal() {
  # postgres: SIGINT is "fast" shutdown (SIGTERM would wait for clients to leave)
  if [[ $1 == pg ]]; then echo INT; else echo TERM; fi
}

# stop_pid SVC PID: signal and wait for the process to exit (DynamoDB Local holds its
# port about 1 s after SIGTERM), SIGKILL after READY_TIMEOUT.
stop_pid() {
  local svc=$1 pid=$2 deadline
  kill -s "$(svc_stop_signal "$svc")" "$pid" 2>/dev/null || true
  deadline=$(($(now_us) + READY_TIMEOUT * 1000000))
  while pid_alive "$pid"; do
    if (($(now_us) > deadline)); then
      say "$(svc_name "$svc"): pid $pid still alive after ${READY_TIMEOUT} s; sending SIGKILL"
      kill -s KILL "$pid" 2>/dev/null || true
      deadline=$(($(now_us) + 10 * 1000000))
    fi
    sleep 0.05
  done
  rm -f "$RUN_DIR/$(svc_name "$svc").pid"
}
