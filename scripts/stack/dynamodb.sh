# shellcheck shell=bash source-path=SCRIPTDIR
# dynamodb-local: Amazon's DynamoDBLocal.jar (from the npm package amplify-dynamodb-simulator),
# in memory and shared across credentials and regions like -sharedDb, served on 127.0.0.1 only.
#
# The jar has no bind-address option (it listens on every interface) and its -cors defaults to
# "*", so it is not started with -jar: LoopbackDynamoDB.java (beside this file) builds the same
# request handler and serves it from a Jetty connector bound to HOST, with no CORS origin
# allowed. It is compiled once into the cache, next to the jar, in a directory keyed by the
# sha256 of the source and the javac flags (a changed launcher recompiles); compiling needs javac (a JDK).
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# DynamoDB Local 1.25.1 as bundled by this npm package (package/emulator/).
readonly DDB_NPM_SPEC=amplify-dynamodb-simulator@2.9.30
# sha256 of package/emulator/DynamoDBLocal.jar in that package.
readonly DDB_JAR_SHA256=454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7
# The package's own package/emulator/sha256 file holds the sha256 of Amazon's upstream
# dynamodb_local tarball it was unpacked from (not of any file in the package, so it
# cannot be recomputed here); we check it names the release we expect.
readonly DDB_UPSTREAM_SHA256=55b425a9a42cfc728436eaf0e4ae64d688b64d177c99c4f4c4d7e3dbb3ac6c09

DDB_DIR=$CACHE_DIR/dynamodb-local/${DDB_NPM_SPEC/@/-}
DDB_LAUNCHER_SRC=$STACK_LIB_DIR/LoopbackDynamoDB.java
DDB_LAUNCHER_CLASS=LoopbackDynamoDB
# class files that run on Java 11 and later, whichever JDK compiles them
DDB_JAVAC_FLAGS=(-nowarn --release 11)
DDB_LAUNCHER_DIR=""

# Sets DDB_LAUNCHER_DIR: where the compiled launcher for the current source lives.
ddb_launcher_locate() {
  [[ -n $DDB_LAUNCHER_DIR ]] && return 0
  local key
  key=$({
    cat "$DDB_LAUNCHER_SRC"
    printf '%s\n' "${DDB_JAVAC_FLAGS[@]}"
  } | sha256sum | cut -c1-16)
  DDB_LAUNCHER_DIR=$DDB_DIR/launcher-$key
}

ddb_matches() { # CMDLINE
  [[ $1 == *" $DDB_LAUNCHER_CLASS $HOST $DDB_PORT "* ]] && return 0
  # started by an older stack.sh (-jar, every interface): still ours, so `down` stops it
  [[ $1 == *DynamoDBLocal.jar* && $1 == *"-port $DDB_PORT "* ]]
}

ddb_probe() {
  aws_json_post "$DDB_PORT" dynamodb DynamoDB_20120810.ListTables application/x-amz-json-1.0 '{}' |
    grep -q '"TableNames"'
}

ddb_fetch_jar() {
  [[ -f $DDB_DIR/.verified && -f $DDB_DIR/DynamoDBLocal.jar ]] && return 0
  lock_cache
  [[ -f $DDB_DIR/.verified && -f $DDB_DIR/DynamoDBLocal.jar ]] && return 0
  if ! have npm; then
    apt_install "dynamodb-local is fetched with npm (first run only)" npm
  fi
  local t0 tmp tgz log=$LOG_DIR/dynamodb-local-fetch.log sum
  t0=$(now_us)
  say "dynamodb-local: fetching $DDB_NPM_SPEC with npm pack (first run only) ..."
  mkdir -p "$(dirname "$DDB_DIR")" "$LOG_DIR"
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

# Compiles LoopbackDynamoDB.java against the jar (once per source version).
ddb_compile_launcher() {
  ddb_launcher_locate
  [[ -f $DDB_LAUNCHER_DIR/$DDB_LAUNCHER_CLASS.class ]] && return 0
  lock_cache
  [[ -f $DDB_LAUNCHER_DIR/$DDB_LAUNCHER_CLASS.class ]] && return 0
  if ! have javac; then
    # javac is in the JDK; the JRE alone (enough for the jar) does not have it
    apt_install "dynamodb-local: compiling its loopback launcher needs javac" openjdk-17-jdk-headless
    have javac || die "javac is still not on PATH"
  fi
  local t0 tmp log=$LOG_DIR/dynamodb-local-javac.log
  t0=$(now_us)
  mkdir -p "$LOG_DIR"
  tmp=$(mktemp -d "$DDB_DIR/.javac.XXXXXX")
  TMP_PATHS+=("$tmp")
  # the jar's manifest Class-Path brings in DynamoDBLocal_lib/ (Jetty)
  javac "${DDB_JAVAC_FLAGS[@]}" -d "$tmp" -cp "$DDB_DIR/DynamoDBLocal.jar" "$DDB_LAUNCHER_SRC" >"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die "dynamodb-local: javac $DDB_LAUNCHER_SRC failed (log: $log)"; }
  cp "$DDB_LAUNCHER_SRC" "$tmp/"
  rm -rf "$DDB_LAUNCHER_DIR"
  mv "$tmp" "$DDB_LAUNCHER_DIR"
  say "dynamodb-local: compiled its loopback launcher into $DDB_LAUNCHER_DIR ($(secs_since "$t0"))"
}

ddb_prepare() {
  ddb_launcher_locate
  if ! have java; then
    if [[ -f $DDB_LAUNCHER_DIR/$DDB_LAUNCHER_CLASS.class ]]; then
      apt_install "dynamodb-local needs Java" openjdk-17-jre-headless
    else # the JDK: java, and javac for the launcher, in one install
      apt_install "dynamodb-local needs Java (and javac, once, for its loopback launcher)" \
        openjdk-17-jdk-headless
    fi
    have java || die "java is still not on PATH"
  fi
  ddb_fetch_jar
  ddb_compile_launcher
}

ddb_launch() {
  local dir=$STATE_DIR/dynamodb-local
  ddb_launcher_locate
  mkdir -p "$dir" # it may write dynamodb-local-metadata.json into its cwd
  # preferIPv4Stack: a plain IPv4 socket on 127.0.0.1 (not an IPv6 one mapped to it).
  # CRUDDUR_OPS_DDB_JAVA_OPTS: more JVM options, split on spaces (the test stack's is
  # -XX:TieredStopAtLevel=1: the quick JIT only, half the CPU for a short-lived server).
  local -a opts=()
  read -r -a opts <<<"${CRUDDUR_OPS_DDB_JAVA_OPTS:-}"
  launch dynamodb-local "$dir" "$(svc_log ddb)" \
    java -XX:-UsePerfData "${opts[@]}" -Djava.net.preferIPv4Stack=true \
    "-Djava.library.path=$DDB_DIR/DynamoDBLocal_lib" \
    -cp "$DDB_LAUNCHER_DIR:$DDB_DIR/DynamoDBLocal.jar" \
    "$DDB_LAUNCHER_CLASS" "$HOST" "$DDB_PORT"
}
