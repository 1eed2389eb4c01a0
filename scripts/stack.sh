#!/usr/bin/env bash
# Local service stack for cruddur-ops, without Docker.
#
#   scripts/stack.sh up       start whatever is not running, wait until it answers
#   scripts/stack.sh down     stop what this stack started
#   scripts/stack.sh status   one line per service; exit 0 only if all three are up
#   scripts/stack.sh fetch    only install/download what `up` needs (starts nothing)
#
# Services (all on 127.0.0.1, all start EMPTY on every `up`, like the in-memory
# DynamoDB Local the project uses):
#   dynamodb-local  :8000  Amazon's DynamoDB Local (-sharedDb -inMemory), from the
#                          npm package amplify-dynamodb-simulator, fetched with `npm pack`
#   moto-cognito    :9229  moto's server (Cognito user pools), in a venv in the cache
#   postgres        :5432  a private, throw-away PostgreSQL cluster, user postgres,
#                          password "password", database cruddur
# DynamoDB Local has no bind-address option: it listens on all interfaces, port 8000.
#
# A port that already answers as the right service but was not started from this
# state dir (say another clone's stack) is used as it is, with a message, and `down`
# leaves it alone; a port held by anything else is an error, and nothing is started.
#
# Environment:
#   CRUDDUR_OPS_CACHE    downloads and the venv (default ${XDG_CACHE_HOME:-$HOME/.cache}/cruddur-ops)
#   CRUDDUR_OPS_STATE    pid files, logs, working dirs (default <repo>/.stack)
#   CRUDDUR_OPS_TIMEOUT  seconds to wait for each service to answer (default 30)
#   CRUDDUR_OPS_PG_BINDIR  directory holding initdb/postgres/psql (default: found)
#   CRUDDUR_OPS_PYTHON   the Python that creates the venv (default python3)
#
# Progress goes to stderr; `status` prints its table on stdout.
set -euo pipefail

readonly HOST=127.0.0.1
readonly DDB_PORT=8000
readonly COGNITO_PORT=9229
readonly PG_PORT=5432
readonly PG_USER=postgres
readonly PG_PASSWORD=password
readonly PG_DATABASE=cruddur

# DynamoDB Local 1.25.1 as bundled by this npm package (package/emulator/).
readonly DDB_NPM_SPEC=amplify-dynamodb-simulator@2.9.30
# sha256 of package/emulator/DynamoDBLocal.jar in that package.
readonly DDB_JAR_SHA256=454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7
# The package's own package/emulator/sha256 file holds the sha256 of Amazon's upstream
# dynamodb_local tarball it was unpacked from (not of any file in the package, so it
# cannot be recomputed here); we check it names the release we expect.
readonly DDB_UPSTREAM_SHA256=55b425a9a42cfc728436eaf0e4ae64d688b64d177c99c4f4c4d7e3dbb3ac6c09

# The venv for moto_server. Everything is pinned (what pip resolved for
# `moto flask flask-cors joserfc boto3 awscli` on Python 3.11, checked working) so a
# new machine gets the same set. boto3 and awscli are there as benchmark baselines.
# Changing this list makes the next `up` rebuild the venv (see MOTO_MARKER).
readonly MOTO_REQUIREMENTS=(
  moto==5.2.5
  flask==3.1.3
  flask-cors==6.0.5
  joserfc==1.8.0
  boto3==1.44.5
  awscli==1.46.3
  # dependencies of the above
  blinker==1.9.0
  botocore==1.44.5
  certifi==2026.10.18
  cffi==2.1.1
  charset-normalizer==3.5.2
  click==8.5.1
  colorama==0.4.6
  cryptography==50.0.2
  docutils==0.19
  idna==3.20
  itsdangerous==2.2.0
  jinja2==3.1.6
  jmespath==1.1.0
  markupsafe==3.0.4
  pyasn1==0.6.5
  pycparser==3.12
  python-dateutil==2.9.0.post0
  pyyaml==6.0.3
  requests==2.34.2
  responses==0.26.3
  rsa==4.7.2
  s3transfer==0.19.3
  six==1.17.0
  urllib3==2.8.0
  werkzeug==3.1.9
  xmltodict==1.0.4
)
readonly MOTO_MARKER=.cruddur-ops-requirements

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
if [[ -z ${HOME:-} ]]; then
  HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
  export HOME
fi
CACHE_DIR=${CRUDDUR_OPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cruddur-ops}
STATE_DIR=${CRUDDUR_OPS_STATE:-$REPO_ROOT/.stack}
READY_TIMEOUT=${CRUDDUR_OPS_TIMEOUT:-30}
[[ $READY_TIMEOUT =~ ^[0-9]+$ ]] || { echo "stack: CRUDDUR_OPS_TIMEOUT must be whole seconds" >&2; exit 2; }

DDB_DIR=$CACHE_DIR/dynamodb-local/${DDB_NPM_SPEC/@/-}
VENV=$CACHE_DIR/venv
LOG_DIR=$STATE_DIR/logs
RUN_DIR=$STATE_DIR/run

readonly SERVICES=(ddb moto pg)

# ---------------------------------------------------------------------------
# small helpers

say() { printf '%s\n' "$*" >&2; }
die() {
  say "stack: error: $*"
  exit 1
}
is_root() { [[ $EUID -eq 0 ]]; }
have() { command -v "$1" >/dev/null 2>&1; }

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

# Does something accept TCP connections on HOST:PORT?
port_open() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

# Who listens on PORT (best effort, for messages): 'users:(("java",pid=1,fd=5))'
port_owner() {
  have ss || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(.*)' | head -n 1 || true
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
    cd "$dir"
    exec setsid -f bash -c "$LAUNCHER" launcher "$pidfile" "$@" </dev/null >"$log" 2>&1
  )
  for ((i = 0; i < 100; i++)); do
    [[ -s $pidfile ]] && return 0
    sleep 0.05
  done
  die "$name: did not start (no pid file $pidfile; log: $log)"
}

# ---------------------------------------------------------------------------
# per-service facts

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
svc_what() {
  case $1 in
    ddb) echo "DynamoDB endpoint" ;;
    moto) echo "Cognito (moto) endpoint" ;;
    pg) echo "PostgreSQL accepting $PG_USER/$PG_PASSWORD" ;;
  esac
}
svc_log() { echo "$LOG_DIR/$(svc_name "$1").log"; }

# Does the pid's command line show it is this stack's service?
svc_cmd_matches() { # SVC CMDLINE
  case $1 in
    ddb) [[ $2 == *DynamoDBLocal.jar* && $2 == *"-port $DDB_PORT"* ]] ;;
    moto) [[ $2 == *moto_server* && $2 == *"-p $COGNITO_PORT"* ]] ;;
    pg) pg_locate && [[ $2 == *postgres* && $2 == *"$PG_DATA"* ]] ;;
  esac
}

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

# Does the port answer as the service should?
svc_probe() {
  case $1 in
    ddb)
      aws_json_post "$DDB_PORT" dynamodb DynamoDB_20120810.ListTables application/x-amz-json-1.0 '{}' |
        grep -q '"TableNames"'
      ;;
    moto)
      aws_json_post "$COGNITO_PORT" cognito-idp AWSCognitoIdentityProviderService.ListUserPools \
        application/x-amz-json-1.1 '{"MaxResults":1}' | grep -q '"UserPools"'
      ;;
    pg) pg_query "$PG_DATABASE" 'select 1' >/dev/null 2>&1 ;;
  esac
}

# ---------------------------------------------------------------------------
# dynamodb-local

ddb_prepare() {
  if ! have java; then
    apt_install "dynamodb-local needs Java" openjdk-17-jre-headless
    have java || die "java is still not on PATH"
  fi
  [[ -f $DDB_DIR/.verified && -f $DDB_DIR/DynamoDBLocal.jar ]] && return 0
  lock_cache
  [[ -f $DDB_DIR/.verified && -f $DDB_DIR/DynamoDBLocal.jar ]] && return 0
  if ! have npm; then
    apt_install "dynamodb-local is fetched with npm (first run only)" npm
  fi
  local t0 tmp tgz log=$LOG_DIR/dynamodb-local-fetch.log sum
  t0=$(now_us)
  say "dynamodb-local: fetching $DDB_NPM_SPEC with npm pack (first run only) ..."
  mkdir -p "$(dirname "$DDB_DIR")"
  tmp=$(mktemp -d "$(dirname "$DDB_DIR")/.fetch.XXXXXX")
  TMP_PATHS+=("$tmp")
  (cd "$tmp" && npm pack --silent "$DDB_NPM_SPEC") >"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die "npm pack $DDB_NPM_SPEC failed (log: $log)"; }
  tgz=$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n 1)
  [[ -n $tgz ]] || die "npm pack left no tarball (log: $log)"
  tar -xzf "$tgz" -C "$tmp" package/emulator
  rm -f "$tgz"
  sum=$(sha256sum "$tmp/package/emulator/DynamoDBLocal.jar" | cut -d' ' -f1)
  [[ $sum == "$DDB_JAR_SHA256" ]] ||
    die "DynamoDBLocal.jar from $DDB_NPM_SPEC has sha256 $sum, expected $DDB_JAR_SHA256"
  if [[ -f $tmp/package/emulator/sha256 ]]; then
    sum=$(tr -d ' \n' <"$tmp/package/emulator/sha256")
    [[ ${sum%%[^0-9a-f]*} == "$DDB_UPSTREAM_SHA256" ]] ||
      die "$DDB_NPM_SPEC emulator/sha256 says $sum, expected $DDB_UPSTREAM_SHA256"
  fi
  printf 'DynamoDBLocal.jar sha256 %s\n' "$DDB_JAR_SHA256" >"$tmp/package/emulator/.verified"
  rm -rf "$DDB_DIR"
  mv "$tmp/package/emulator" "$DDB_DIR"
  say "dynamodb-local: cached in $DDB_DIR ($(secs_since "$t0"))"
}

ddb_launch() {
  local dir=$STATE_DIR/dynamodb-local
  mkdir -p "$dir" # it writes dynamodb-local-metadata.json into its cwd
  launch dynamodb-local "$dir" "$(svc_log ddb)" \
    java -XX:-UsePerfData "-Djava.library.path=$DDB_DIR/DynamoDBLocal_lib" \
    -jar "$DDB_DIR/DynamoDBLocal.jar" -sharedDb -inMemory -port "$DDB_PORT" -disableTelemetry
}

# ---------------------------------------------------------------------------
# moto-cognito

moto_venv_ok() {
  [[ -x $VENV/bin/moto_server && -f $VENV/$MOTO_MARKER ]] &&
    [[ $(<"$VENV/$MOTO_MARKER") == "$(printf '%s\n' "${MOTO_REQUIREMENTS[@]}")" ]] &&
    "$VENV/bin/python" -c '' 2>/dev/null
}

moto_prepare() {
  moto_venv_ok && return 0
  lock_cache
  moto_venv_ok && return 0
  local py=${CRUDDUR_OPS_PYTHON:-python3} t0 log=$LOG_DIR/moto-venv.log
  have "$py" || apt_install "moto-cognito needs Python 3" python3 python3-venv
  if ! "$py" -c 'import venv, ensurepip' 2>/dev/null; then
    apt_install "moto-cognito needs Python's venv module" python3-venv
  fi
  t0=$(now_us)
  say "moto-cognito: creating $VENV with moto and ${#MOTO_REQUIREMENTS[@]} pinned packages (first run or changed pins) ..."
  rm -rf "$VENV"
  mkdir -p "$CACHE_DIR"
  {
    "$py" -m venv "$VENV" &&
      "$VENV/bin/python" -m pip install --no-input --disable-pip-version-check \
        "${MOTO_REQUIREMENTS[@]}"
  } >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    rm -rf "$VENV"
    die "moto-cognito: venv install failed (log: $log)"
  }
  printf '%s\n' "${MOTO_REQUIREMENTS[@]}" >"$VENV/$MOTO_MARKER"
  say "moto-cognito: venv ready ($(secs_since "$t0"))"
}

moto_launch() {
  launch moto-cognito "$STATE_DIR" "$(svc_log moto)" \
    "$VENV/bin/moto_server" -H "$HOST" -p "$COGNITO_PORT"
}

# ---------------------------------------------------------------------------
# postgres
#
# A private, throw-away cluster (initdb on every `up`, deleted by `down`), started
# directly with the `postgres` binary, TCP on 127.0.0.1 only, no Unix socket:
# - It is the same code path as root and as a normal user, needs no pg_ctlcluster and
#   leaves the system's own cluster (config, role passwords, data) untouched.
# - It starts empty like the two other services, so tests never see an earlier
#   run's tables.
# - As a normal user it lives in $STATE_DIR/pg and runs as that user.
# - As root it cannot: initdb and postgres refuse to run as root, and the `postgres`
#   OS user may be unable to reach the state dir (CI clones to an unknown path,
#   maybe under /root, mode 700). So as root it runs as `postgres` (setpriv, which
#   execs, so the pid we record is the postmaster's) in a directory that user owns:
#   <postgres home>/cruddur-ops/<hash of the state dir> (i.e. /var/lib/postgresql/...
#   on Debian; a dir under /tmp if that home is unusable). The log still goes to
#   $STATE_DIR/logs: root opens it and the server inherits the fd.
# - unix_socket_directories='' : no socket to place, so no ownership or
#   path-length (107 bytes) trouble with deep clone paths; clients use TCP.
# - Durability settings stay at PostgreSQL's defaults (fsync, synchronous_commit on): the
#   benchmarks compare one commit per row against one transaction, and a commit should cost
#   what it costs on a real server.

PG_BIN=""
pg_find_bin() {
  [[ -n $PG_BIN ]] && return 0
  local d
  if [[ -n ${CRUDDUR_OPS_PG_BINDIR:-} ]]; then
    PG_BIN=$CRUDDUR_OPS_PG_BINDIR
  elif have initdb && have postgres; then
    PG_BIN=$(dirname "$(readlink -f "$(command -v initdb)")") # may be a symlink into .../bin
  else
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
      [[ -x $d/initdb && -x $d/postgres ]] && PG_BIN=$d
    done
  fi
  [[ -n $PG_BIN && -x $PG_BIN/initdb && -x $PG_BIN/postgres ]]
}

PSQL=""
pg_find_psql() {
  [[ -n $PSQL ]] && return 0
  if pg_find_bin && [[ -x $PG_BIN/psql ]]; then
    PSQL=$PG_BIN/psql
  elif have psql; then
    PSQL=$(command -v psql)
  else
    return 1
  fi
}

# pg_query DB SQL: run SQL over TCP as postgres/password; prints unaligned rows.
pg_query() {
  pg_find_psql || return 1
  env PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=3 PGSSLMODE=prefer PGAPPNAME=cruddur-ops-stack \
    "$PSQL" -X -w -q -At -v ON_ERROR_STOP=1 -h "$HOST" -p "$PG_PORT" -U "$PG_USER" -d "$1" -c "$2"
}

pg_ensure_database() {
  local q="select 1 from pg_database where datname = '$PG_DATABASE'"
  [[ $(pg_query postgres "$q") == 1 ]] && return 0
  # a concurrent creator may win the race: then it exists, which is all we want
  pg_query postgres "create database $PG_DATABASE" >/dev/null 2>&1 ||
    [[ $(pg_query postgres "$q") == 1 ]]
}

# Sets PG_BASE (owned by the user the server runs as) and PG_DATA.
PG_BASE=""
PG_DATA=""
pg_locate() {
  [[ -n $PG_BASE ]] && return 0
  if ! is_root; then
    PG_BASE=$STATE_DIR/pg
  else
    local key home
    key=$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-12)
    home=$(getent passwd postgres | cut -d: -f6) || home=""
    if [[ -n $home && -d $home && ! -L $home ]] && as_pg_user test -w "$home"; then
      PG_BASE=$home/cruddur-ops/$key
    else
      PG_BASE=/tmp/cruddur-ops-pg-$key
    fi
  fi
  PG_DATA=$PG_BASE/data
}

as_pg_user() { # run as the OS user that owns the cluster
  if is_root; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

pg_prepare() {
  if ! pg_find_bin; then
    if is_root && have apt-get; then
      apt_install "postgres: PostgreSQL is not installed" postgresql
      # Debian's package creates and starts its own cluster on port 5432; stop it
      # (we just installed it) so our private one can have the port.
      if have pg_lsclusters; then
        local ver name port status _
        while read -r ver name port status _; do
          if [[ $port == "$PG_PORT" && $status == online ]]; then
            say "postgres: stopping Debian's freshly installed cluster $ver/$name (port $port)"
            pg_ctlcluster "$ver" "$name" stop || true
          fi
        done < <(pg_lsclusters -h)
      fi
      pg_find_bin || die "postgres: installed postgresql but found no initdb under /usr/lib/postgresql/*/bin"
    else
      apt_install "postgres: PostgreSQL (server) is not installed" postgresql
    fi
  fi
  if is_root; then
    getent passwd postgres >/dev/null || die "postgres: running as root needs a 'postgres' OS user to run the server as"
    have setpriv || die "postgres: running as root needs setpriv (util-linux)"
  fi
  pg_find_psql || die "postgres: psql not found (PostgreSQL client) next to $PG_BIN or on PATH"
  pg_locate
}

pg_remove_data() {
  pg_locate
  [[ -n $PG_BASE && $PG_BASE == */* ]] || return 0
  if is_root; then
    [[ -d $PG_BASE ]] && rm -rf -- "$PG_BASE"
    if [[ ${PG_BASE%/*} == */cruddur-ops ]]; then
      rmdir --ignore-fail-on-non-empty -- "${PG_BASE%/*}" 2>/dev/null || true
    fi
  else
    rm -rf -- "$PG_DATA" "$PG_BASE/pwfile"
  fi
  return 0
}

pg_launch() {
  local log=$LOG_DIR/postgres-initdb.log t0
  t0=$(now_us)
  pg_remove_data
  if is_root; then
    [[ -L $PG_BASE ]] && die "postgres: $PG_BASE is a symlink; refusing"
    install -d -m 700 -o postgres -g postgres "$PG_BASE"
    install -m 600 -o postgres -g postgres /dev/null "$PG_BASE/pwfile"
  else
    mkdir -p "$PG_BASE"
    chmod 700 "$PG_BASE"
    install -m 600 /dev/null "$PG_BASE/pwfile"
  fi
  printf '%s\n' "$PG_PASSWORD" >"$PG_BASE/pwfile"
  (
    cd "$PG_BASE"
    as_pg_user "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$PG_BASE/pwfile" \
      --auth-host=scram-sha-256 --auth-local=scram-sha-256 --no-locale -E UTF8 --no-sync
  ) >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    die "postgres: initdb failed (log: $log)"
  }
  rm -f "$PG_BASE/pwfile"
  # TLS with a throw-away self-signed certificate, so that `sslmode=require` (what RDS needs)
  # is exercised locally too; `prefer`, the default, uses it as well.
  have openssl || apt_install "postgres: TLS needs openssl" openssl
  as_pg_user openssl req -new -x509 -days 3650 -nodes -subj "/CN=localhost" \
    -keyout "$PG_DATA/server.key" -out "$PG_DATA/server.crt" >>"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    die "postgres: could not make a TLS certificate (log: $log)"
  }
  as_pg_user chmod 600 "$PG_DATA/server.key"
  say "postgres: initdb $PG_DATA ($(secs_since "$t0"))"
  local cmd=("$PG_BIN/postgres" -D "$PG_DATA" -p "$PG_PORT"
    -c "listen_addresses=$HOST" -c "unix_socket_directories=" -c ssl=on)
  if is_root; then
    cmd=(setpriv --reuid=postgres --regid=postgres --init-groups -- "${cmd[@]}")
  fi
  launch postgres "$PG_BASE" "$(svc_log pg)" "${cmd[@]}"
}

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

cmd_up() {
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  lock_state
  local svc name port owner to_start=() to_wait=() starts=()
  for svc in "${SERVICES[@]}"; do
    name=$(svc_name "$svc")
    port=$(svc_port "$svc")
    inspect "$svc"
    case $STATE in
      ours) say "$name: already running on $HOST:$port (pid $PID)" ;;
      starting) to_wait+=("$svc") ;;
      foreign)
        stop_stray "$svc"
        owner=$(port_owner "$port")
        say "$name: something not started by this stack${owner:+ ($owner)} already answers on $HOST:$port as a $(svc_what "$svc"); using it (\`down\` will leave it alone)"
        ;;
      taken)
        stop_stray "$svc"
        if [[ $svc == pg ]] && pg_query postgres 'select 1' >/dev/null 2>&1; then
          say "$name: $HOST:$port is a PostgreSQL not started by this stack; creating database $PG_DATABASE in it"
          pg_ensure_database || die "$name: could not create database $PG_DATABASE on $HOST:$port"
          continue
        fi
        owner=$(port_owner "$port")
        die "$name: port $port on $HOST is in use by something that is not ours${owner:+ ($owner)} and does not answer as a $(svc_what "$svc"). Stop it or free the port, then run 'up' again. Nothing was started."
        ;;
      down) to_start+=("$svc") ;;
    esac
  done

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

cmd_fetch() {
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  local svc
  for svc in "${SERVICES[@]}"; do "${svc}_prepare"; done
  say "stack: everything 'up' needs is installed (cache: $CACHE_DIR)"
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
      foreign) word=up detail="pid - (not started by this stack)" ;;
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
usage: $(basename "$0") up|down|status|fetch

  up      start DynamoDB Local (:$DDB_PORT), moto's Cognito (:$COGNITO_PORT) and PostgreSQL (:$PG_PORT)
          on $HOST, each only if not running; waits until they answer
  down    stop what 'up' started
  status  one line per service; exit status 0 only if all are up
  fetch   only install/download what 'up' needs; start nothing

cache: $CACHE_DIR   state: $STATE_DIR
EOF
}

main() {
  case ${1:-} in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    fetch) cmd_fetch ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
