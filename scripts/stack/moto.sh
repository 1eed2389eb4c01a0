# shellcheck shell=bash source-path=SCRIPTDIR
# moto-cognito: moto's server (Cognito user pools) on 127.0.0.1, from a venv in the cache.
# The same venv holds boto3 and the AWS CLI, the benchmark baselines (bench/run.sh uses it
# through `scripts/stack.sh python`).
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The venv for moto_server. Everything is pinned (what pip resolved for
# `moto flask flask-cors joserfc boto3 awscli py-partiql-parser` on Python 3.11, checked working) so a
# new machine gets the same set. boto3 and awscli are there as benchmark baselines.
# Changing this list makes the next `up` rebuild the venv (see MOTO_MARKER).
readonly MOTO_REQUIREMENTS=(
  moto==5.2.5
  flask==3.1.3
  flask-cors==6.0.5
  joserfc==1.8.0
  boto3==1.44.5
  awscli==1.46.3
  # moto's DynamoDB ImportTable and PartiQL (the `dynamodb` extra without docker, which only
  # its Lambda needs)
  py-partiql-parser==0.6.3
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

VENV=$CACHE_DIR/venv

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
  mkdir -p "$LOG_DIR"
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

moto_matches() { # CMDLINE
  [[ $1 == *moto_server* && $1 == *"-H $HOST -p $COGNITO_PORT "* ]]
}

moto_probe() {
  aws_json_post "$COGNITO_PORT" cognito-idp AWSCognitoIdentityProviderService.ListUserPools \
    application/x-amz-json-1.1 '{"MaxResults":1}' | grep -q '"UserPools"'
}

moto_launch() {
  launch moto-cognito "$STATE_DIR" "$(svc_log moto)" \
    "$VENV/bin/moto_server" -H "$HOST" -p "$COGNITO_PORT"
}
