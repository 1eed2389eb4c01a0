# cruddur-ops: `just setup` rebuilds every local store; `just test` runs the tests.
set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes
default:
    @"{{just_executable()}}" --list --justfile "{{justfile()}}"

# Start DynamoDB Local (:8000), moto's Cognito (:9229), PostgreSQL (:5432) on 127.0.0.1; CRUDDUR_OPS_*_PORT move them
up:
    bash scripts/stack.sh up

# Stop the services `up` started
down:
    bash scripts/stack.sh down

# One line per service; fails unless all three are up
status:
    bash scripts/stack.sh status

# The one binary that holds every tool, as `build` makes it (CARGO_TARGET_DIR is honoured)
ops := env("CARGO_TARGET_DIR", "target") / "debug" / "cruddur-ops"

# Build the one binary, cruddur-ops, that holds every tool (debug)
build:
    cargo build --bin cruddur-ops

# Rebuild every local store from nothing: PostgreSQL, Cognito, DynamoDB, then a summary and a check
setup: up build
    "{{ops}}" db-setup local
    "{{ops}}" cognito-setup local
    "{{ops}}" update-cognito-user-ids local
    # The shipped schema turns deletion protection on: rebuilding the local table turns it off explicitly.
    "{{ops}}" drop cruddur-messages local --if-exists --disable-deletion-protection
    "{{ops}}" schema-load local
    "{{ops}}" seed local
    "{{ops}}" summary local
    "{{ops}}" check local

# Bring the stack up and run every test (unit and integration). Most tests wait on a server or a
# budget, not the CPU, so they run six at a time (CRUDDUR_OPS_TEST_THREADS changes it).
test: up
    cargo test --lib --test integration -- --test-threads "${CRUDDUR_OPS_TEST_THREADS:-6}"

# Benchmarks against what users run today (README "Performance"); e.g. `just bench --only scan-50k`
bench *ARGS:
    bash scripts/stack.sh up
    cargo build --release --bin cruddur-ops
    bash bench/run.sh {{ARGS}}

# shellcheck on every shell script: scripts/ (the stack, install), bench/*.sh, .ci/run
lint-scripts:
    shellcheck -x scripts/stack.sh scripts/stack/*.sh scripts/install.sh bench/*.sh .ci/run

# What CI checks: formatting, lints (Rust and shell), tests
ci: lint-scripts up
    cargo fmt --all -- --check
    cargo clippy --all-targets --all-features -- -D warnings
    cargo test --lib --test integration -- --test-threads "${CRUDDUR_OPS_TEST_THREADS:-6}"

# Install cruddur-ops (`dist` build) into $CARGO_INSTALL_ROOT/bin (default ~/.cargo/bin) with a link per tool name, completions and man pages into ../share; `--no-links` (or CRUDDUR_OPS_LINKS=0): the one binary only
install *FLAGS:
    bash scripts/install.sh install {{FLAGS}}

# Remove what `just install` installed: the binary, its links, completions and man pages
uninstall:
    bash scripts/install.sh uninstall

# Install into a throw-away root, check every name from a new shell, completions, man pages, --no-links, uninstall (slow: a `dist` build)
install-check:
    bash scripts/install.sh check
