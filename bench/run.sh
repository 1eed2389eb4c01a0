#!/usr/bin/env bash
# Runs the benchmark harness (bench/harness.py) with the cache's Python venv (boto3 and the AWS
# CLI, which scripts/stack.sh pins beside moto); `scripts/stack.sh python` makes that venv when
# it is missing, so the bench works whichever cache (CRUDDUR_OPS_CACHE) started the running
# stack: the harness reaches the stack by its ports (CRUDDUR_OPS_*_PORT), not through the venv.
# Installs bench/requirements.txt into the venv first when missing (idempotent). `just bench`
# brings the stack up and builds the release binary (cruddur-ops) before calling this. Arguments go to the
# harness (--help, --only NAME).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=$(bash "$SCRIPT_DIR/../scripts/stack.sh" python) || {
  echo "bench: could not make the Python venv (see above)" >&2
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
  echo "bench: installing bench/requirements.txt into $(dirname "$(dirname "$PY")") ..." >&2
  "$PY" -m pip install --quiet --no-input --disable-pip-version-check \
    -r "$SCRIPT_DIR/requirements.txt" >&2
fi

exec "$PY" "$SCRIPT_DIR/harness.py" "$@"
