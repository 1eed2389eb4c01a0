#!/usr/bin/env bash
# Runs the benchmark harness (bench/harness.py) with the stack's Python venv, which
# scripts/stack.sh creates with boto3 and the AWS CLI; installs bench/requirements.txt into
# it first when missing (idempotent). `just bench` brings the stack up and builds the
# release binaries before calling this. Arguments go to the harness (--help, --only NAME).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z ${HOME:-} ]]; then
  HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
  export HOME
fi
# Same location as scripts/stack.sh.
CACHE_DIR=${CRUDDUR_OPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cruddur-ops}
VENV=$CACHE_DIR/venv
PY=$VENV/bin/python

[[ -x $PY ]] || {
  echo "bench: no Python venv at $VENV: run 'bash scripts/stack.sh up' (just up) first" >&2
  exit 2
}

# Every pin of requirements.txt installed at exactly that version?
if ! "$PY" - "$SCRIPT_DIR/requirements.txt" <<'PYEOF' 2>/dev/null; then
import sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, want = line.split("==")
        if version(name) != want:
            sys.exit(1)
PYEOF
  echo "bench: installing bench/requirements.txt into $VENV ..." >&2
  "$PY" -m pip install --quiet --no-input --disable-pip-version-check \
    -r "$SCRIPT_DIR/requirements.txt" >&2
fi

exec "$PY" "$SCRIPT_DIR/harness.py" "$@"
