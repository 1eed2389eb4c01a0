# shellcheck shell=bash source-path=SCRIPTDIR
# postgres: a private, throw-away PostgreSQL cluster on 127.0.0.1, with TLS from a local CA.
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

readonly PG_USER=postgres
readonly PG_PASSWORD=password
readonly PG_DATABASE=cruddur

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
# - TLS: the server certificate is issued by a CA of this state dir's own
#   ($STATE_DIR/tls/ca.pem, made once with openssl and kept across up/down), for
#   DNS:localhost and IP:127.0.0.1, so clients can use sslmode=verify-full with
#   sslrootcert=$STATE_DIR/tls/ca.pem. The CA key never leaves $STATE_DIR/tls.
# - Durability settings stay at PostgreSQL's defaults (fsync, synchronous_commit on): the
#   benchmarks compare one commit per row against one transaction, and a commit should cost
#   what it costs on a real server. The test stack (scripts/test-stack.sh), a throw-away
#   cluster, turns them off through CRUDDUR_OPS_PG_SETTINGS.

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

pg_matches() { # CMDLINE
  pg_locate && [[ $1 == *postgres* && $1 == *"$PG_DATA"* ]]
}

# Answers as a PostgreSQL that accepts postgres/password?
pg_probe() { pg_query postgres 'select 1' >/dev/null 2>&1; }

pg_database_exists() {
  [[ $(pg_query postgres "select 1 from pg_database where datname = '$PG_DATABASE'" 2>/dev/null) == 1 ]]
}

# Only ever called on our own cluster.
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
  local key home
  key=$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-12)
  if [[ -n ${CRUDDUR_OPS_PG_ROOT:-} ]]; then
    # The test stack's cluster on tmpfs: a database made and dropped costs hundreds of inodes,
    # which a disk's file system makes the server pay for in CPU.
    [[ -d $CRUDDUR_OPS_PG_ROOT && ! -L $CRUDDUR_OPS_PG_ROOT ]] ||
      die "postgres: CRUDDUR_OPS_PG_ROOT=$CRUDDUR_OPS_PG_ROOT is not a directory"
    PG_BASE=$CRUDDUR_OPS_PG_ROOT/cruddur-ops-pg-$key
  elif ! is_root; then
    PG_BASE=$STATE_DIR/pg
  else
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
  have openssl || apt_install "postgres: TLS needs openssl" openssl
  pg_locate
}

pg_remove_data() {
  pg_locate
  [[ -n $PG_BASE && $PG_BASE == */* ]] || return 0
  if is_root || [[ -n ${CRUDDUR_OPS_PG_ROOT:-} ]]; then
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
  # TLS: a server certificate from the state dir's CA (see above)
  pg_issue_server_cert
  if is_root; then
    install -m 644 -o postgres -g postgres "$PG_TLS_DIR/server.crt" "$PG_DATA/server.crt"
    install -m 600 -o postgres -g postgres "$PG_TLS_DIR/server.key" "$PG_DATA/server.key"
  else
    install -m 644 "$PG_TLS_DIR/server.crt" "$PG_DATA/server.crt"
    install -m 600 "$PG_TLS_DIR/server.key" "$PG_DATA/server.key"
  fi
  say "postgres: initdb $PG_DATA ($(secs_since "$t0"))"
  local cmd=("$PG_BIN/postgres" -D "$PG_DATA" -p "$PG_PORT"
    -c "listen_addresses=$HOST" -c "unix_socket_directories=" -c ssl=on)
  # CRUDDUR_OPS_PG_SETTINGS: more NAME=VALUE settings, split on spaces (the test stack's
  # throw-away cluster turns fsync off: its databases are made and dropped by the hundred).
  local setting
  for setting in ${CRUDDUR_OPS_PG_SETTINGS:-}; do
    [[ $setting == ?*=* ]] || die "postgres: CRUDDUR_OPS_PG_SETTINGS: '$setting' is not NAME=VALUE"
    cmd+=(-c "$setting")
  done
  if is_root; then
    cmd=(setpriv --reuid=postgres --regid=postgres --init-groups -- "${cmd[@]}")
  fi
  launch postgres "$PG_BASE" "$(svc_log pg)" "${cmd[@]}"
}

# ---------------------------------------------------------------------------
# TLS: the state dir's own CA, and server certificates issued by it

PG_TLS_DIR=$STATE_DIR/tls

# The CA: made once per state dir (and again when missing or about to expire).
pg_ensure_ca() {
  local dir=$PG_TLS_DIR log=$LOG_DIR/postgres-tls.log
  if [[ -f $dir/ca.key && -f $dir/ca.pem ]] &&
    openssl x509 -in "$dir/ca.pem" -noout -checkend 2592000 >/dev/null 2>&1; then
    return 0
  fi
  mkdir -p "$dir" "$LOG_DIR"
  chmod 755 "$dir" # ca.pem is for everyone; the keys are 600
  cat >"$dir/ca.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
x509_extensions = ca
[dn]
CN = cruddur-ops local CA ($(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-12))
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
  (umask 077 && openssl req -x509 -new -config "$dir/ca.cnf" -newkey ec \
    -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -sha256 \
    -keyout "$dir/ca.key.tmp" -out "$dir/ca.pem.tmp") >>"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    die "postgres: could not make the local CA in $dir (log: $log)"
  }
  chmod 644 "$dir/ca.pem.tmp"
  mv -f "$dir/ca.key.tmp" "$dir/ca.key"
  mv -f "$dir/ca.pem.tmp" "$dir/ca.pem"
  rm -f "$dir/ca.cnf"
  say "postgres: made the local CA $dir/ca.pem (clients: sslmode=verify-full sslrootcert=$dir/ca.pem)"
}

# A fresh server certificate for localhost / 127.0.0.1, signed by the CA.
pg_issue_server_cert() {
  local dir=$PG_TLS_DIR log=$LOG_DIR/postgres-tls.log
  pg_ensure_ca
  cat >"$dir/server.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:$HOST
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
  {
    (umask 077 && openssl req -new -config "$dir/server.cnf" -newkey ec \
      -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
      -keyout "$dir/server.key" -out "$dir/server.csr") &&
      openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days 825 -sha256 \
        -extfile "$dir/server.cnf" -extensions server -out "$dir/server.crt"
  } >>"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    die "postgres: could not issue the server certificate (log: $log)"
  }
  rm -f "$dir/server.csr" "$dir/server.cnf"
}
