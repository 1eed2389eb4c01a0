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

# Build every binary (debug)
build:
    cargo build --bins

# Rebuild every local store from nothing: PostgreSQL, Cognito, DynamoDB, then a summary and a check
setup: up build
    cargo run -q --bin db-setup -- local
    cargo run -q --bin cognito-setup -- local
    cargo run -q --bin update-cognito-user-ids -- local
    cargo run -q --bin drop -- cruddur-messages local --if-exists
    cargo run -q --bin schema-load -- local
    cargo run -q --bin seed -- local
    cargo run -q --bin summary -- local
    cargo run -q --bin check -- local

# Bring the stack up and run every test (unit and integration)
test: up
    cargo test --lib --test integration

# Benchmarks against what users run today (README "Performance"); e.g. `just bench --only scan-50k`
bench *ARGS:
    bash scripts/stack.sh up
    cargo build --release --bins
    bash bench/run.sh {{ARGS}}

# shellcheck on every shell script: scripts/ (the stack), bench/*.sh, .ci/run
lint-scripts:
    shellcheck -x scripts/stack.sh scripts/stack/*.sh bench/*.sh .ci/run

# What CI checks: formatting, lints (Rust and shell), tests
ci: lint-scripts up
    cargo fmt --all -- --check
    cargo clippy --all-targets --all-features -- -D warnings
    cargo test --lib --test integration
