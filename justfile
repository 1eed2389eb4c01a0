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

# Rebuild every local store from nothing: PostgreSQL, Cognito, DynamoDB, then a summary and a check.
# DynamoDB Local is restarted empty first (it slows down as stream records pile up, even those of
# dropped tables): every local table is lost. CRUDDUR_OPS_SETUP_KEEP_DYNAMODB=1 keeps it running.
# The stack starts while the binary builds (scripts/setup-build.sh).
setup:
    bash scripts/setup-build.sh
    "{{ops}}" db-setup local
    "{{ops}}" cognito-setup local
    "{{ops}}" update-cognito-user-ids local
    # The shipped schema turns deletion protection on: rebuilding the local table turns it off explicitly.
    "{{ops}}" drop cruddur-messages local --if-exists --disable-deletion-protection
    "{{ops}}" schema-load local
    "{{ops}}" seed local
    "{{ops}}" summary local
    "{{ops}}" check local

# Run every test (unit and integration) on a stack of its own: fresh, in memory, on free ports,
# stopped at the end (scripts/test-stack.sh). Your stack on the default ports is not touched.
# CRUDDUR_OPS_TEST_STACK=running runs them on your running stack instead; most tests wait on a
# server, not the CPU, so they run six at a time (CRUDDUR_OPS_TEST_THREADS changes it).
test:
    cargo build --tests --bins
    bash scripts/test-stack.sh cargo test --lib --test integration -- --test-threads "${CRUDDUR_OPS_TEST_THREADS:-6}"

# Run the suite N times, each on a fresh stack of its own; print how many passed and which tests failed
test-repeat N="5":
    bash scripts/test-repeat.sh {{N}}

# Benchmarks against what users run today (README "Performance"); e.g. `just bench --only scan-50k`
bench *ARGS:
    bash scripts/stack.sh up
    cargo build --release --bin cruddur-ops
    bash bench/run.sh {{ARGS}}

# `just setup` N times in a row on your stack, timed: the median of the first and last ten runs
bench-setup N="100":
    bash bench/setup-repeat.sh {{N}}

# shellcheck on every shell script: scripts/ (the stack, install), bench/*.sh, .ci/run
lint-scripts:
    shellcheck -x scripts/*.sh scripts/stack/*.sh bench/*.sh .ci/run

# What CI checks: formatting, lints (Rust and shell), tests
ci: lint-scripts
    cargo fmt --all -- --check
    cargo clippy --all-targets --all-features -- -D warnings
    "{{just_executable()}}" --justfile "{{justfile()}}" test

# Install cruddur-ops (`dist` build) into $CARGO_INSTALL_ROOT/bin (default ~/.cargo/bin) with a link per tool name, completions and man pages into ../share; `--no-links` (or CRUDDUR_OPS_LINKS=0): the one binary only
install *FLAGS:
    bash scripts/install.sh install {{FLAGS}}

# Remove what `just install` installed: the binary, its links, completions and man pages
uninstall:
    bash scripts/install.sh uninstall

# Install into a throw-away root, check every name from a new shell, completions, man pages, --no-links, uninstall (slow: a `dist` build)
install-check:
    bash scripts/install.sh check
