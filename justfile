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

# Rebuild every local store from nothing: PostgreSQL, Cognito, DynamoDB, then a summary and a check.
# DynamoDB Local is restarted empty first (it slows down as stream records pile up, even those of
# dropped tables): every local table is lost. CRUDDUR_OPS_SETUP_KEEP_DYNAMODB=1 keeps it running.
setup: build
    if [[ ${CRUDDUR_OPS_SETUP_KEEP_DYNAMODB:-0} == 1 ]]; then bash scripts/stack.sh up; else bash scripts/stack.sh restart ddb; fi
    cargo run -q --bin db-setup -- local
    cargo run -q --bin cognito-setup -- local
    cargo run -q --bin update-cognito-user-ids -- local
    # The shipped schema turns deletion protection on: rebuilding the local table turns it off explicitly.
    cargo run -q --bin drop -- cruddur-messages local --if-exists --disable-deletion-protection
    cargo run -q --bin schema-load -- local
    cargo run -q --bin seed -- local
    cargo run -q --bin summary -- local
    cargo run -q --bin check -- local

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
    cargo build --release --bins
    bash bench/run.sh {{ARGS}}

# shellcheck on every shell script: scripts/ (the stack), bench/*.sh, .ci/run
lint-scripts:
    shellcheck -x scripts/*.sh scripts/stack/*.sh bench/*.sh .ci/run

# What CI checks: formatting, lints (Rust and shell), tests
ci: lint-scripts
    cargo fmt --all -- --check
    cargo clippy --all-targets --all-features -- -D warnings
    "{{just_executable()}}" --justfile "{{justfile()}}" test

# Install every tool (`dist` build) into $CARGO_INSTALL_ROOT/bin (default ~/.cargo/bin), completions and man pages into ../share
install:
    #!/usr/bin/env bash
    set -euo pipefail
    root=${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}
    cargo install --path . --locked --profile dist --root "$root"
    docs=$(mktemp -d)
    trap 'rm -rf "$docs"' EXIT
    cargo run --quiet --locked --profile dist --example gen-docs -- "$docs"
    # What goes where under $root/share, and the list `just uninstall` reads back.
    manifest=$root/share/cruddur-ops/installed-files
    mkdir -p "${manifest%/*}"
    : >"$manifest.new"
    place() { install -D -m 644 "$1" "$root/share/$2"; echo "share/$2" >>"$manifest.new"; }
    for f in "$docs"/completions/bash/*; do place "$f" "bash-completion/completions/${f##*/}"; done
    for f in "$docs"/completions/zsh/*; do place "$f" "zsh/site-functions/${f##*/}"; done
    for f in "$docs"/completions/fish/*; do place "$f" "fish/vendor_completions.d/${f##*/}"; done
    for f in "$docs"/man/man1/*; do place "$f" "man/man1/${f##*/}"; done
    mv "$manifest.new" "$manifest"
    echo "installed: tools in $root/bin; completions and man pages under $root/share (README: Install)" >&2
    case ":$PATH:" in *":$root/bin:"*) ;; *) echo "note: $root/bin is not on your PATH" >&2 ;; esac

# Remove what `just install` installed: the tools, their completions and man pages
uninstall:
    #!/usr/bin/env bash
    set -euo pipefail
    root=${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}
    if cargo install --list --root "$root" | grep -q '^cruddur-ops '; then
        cargo uninstall --root "$root" cruddur-ops
    else
        echo "no cruddur-ops tools installed in $root/bin" >&2
    fi
    manifest=$root/share/cruddur-ops/installed-files
    if [[ -f $manifest ]]; then
        while IFS= read -r file; do
            [[ $file == share/* && $file != *..* ]] && rm -f -- "$root/$file"
        done <"$manifest"
        rm -f -- "$manifest"
        rmdir -- "${manifest%/*}" 2>/dev/null || true
        echo "removed the completions and man pages listed in $manifest" >&2
    fi

# Install into a throw-away root, check tools, completions, man pages and uninstall (slow: a `dist` build)
install-check:
    #!/usr/bin/env bash
    set -euo pipefail
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    just=("{{just_executable()}}" --justfile "{{justfile()}}")
    start=$SECONDS
    CARGO_INSTALL_ROOT=$root "${just[@]}" install
    echo "install-check: install took $((SECONDS - start)) s" >&2
    # The tools: every binary target that needs no optional feature.
    mapfile -t tools < <(cargo metadata --no-deps --format-version 1 --locked |
        jq -r '.packages[] | select(.name == "cruddur-ops") | .targets[]
               | select(.kind == ["bin"] and ((.["required-features"] // []) | length) == 0) | .name' | sort)
    (( ${#tools[@]} > 0 )) || { echo "install-check: no tools found" >&2; exit 1; }
    fail() { echo "install-check: FAIL: $*" >&2; exit 1; }
    for tool in "${tools[@]}"; do
        bin=$root/bin/$tool
        [[ -x $bin ]] || fail "$bin missing"
        "$bin" --version | grep -q "^$tool " || fail "$tool --version"
        "$bin" --help | grep -q -- '--help' || fail "$tool --help"
        for f in bash-completion/completions/$tool zsh/site-functions/_$tool fish/vendor_completions.d/$tool.fish man/man1/$tool.1; do
            [[ -s $root/share/$f ]] || fail "share/$f missing or empty"
        done
        # bash: the completion loads and offers the tool's options.
        words=$(bash -c 'source "$1"; COMP_WORDS=("$2" --he); COMP_CWORD=1; COMP_LINE="$2 --he"; COMP_POINT=${#COMP_LINE}
                 f=$(complete -p "$2" | sed -E "s/.* -F ([^ ]+) .*/\1/"); "$f" "$2" --he "$2"; echo "${COMPREPLY[*]}"' \
                 _ "$root/share/bash-completion/completions/$tool" "$tool") || fail "bash completion of $tool"
        [[ $words == *--help* ]] || fail "bash completion of $tool offers '$words' for --he"
        grep -q "#compdef $tool" "$root/share/zsh/site-functions/_$tool" || fail "zsh completion of $tool"
        grep -q "complete -c $tool" "$root/share/fish/vendor_completions.d/$tool.fish" || fail "fish completion of $tool"
        # man finds the page through PATH (man-db looks in <bin>/../share/man) and it renders.
        page=$(PATH=$root/bin:$PATH env -u MANPATH man -w "$tool") || fail "man -w $tool"
        [[ $page == "$root/share/man/man1/$tool.1" ]] || fail "man -w $tool found $page"
        MANWIDTH=100 man -l "$page" 2>/dev/null | grep -q -- '--help' || fail "man page of $tool does not render"
    done
    total=$(cat "${tools[@]/#/$root/bin/}" | wc -c)
    echo "install-check: ${#tools[@]} tools, $((total / 1024 / 1024)) MiB ($total bytes) in $root/bin" >&2
    CARGO_INSTALL_ROOT=$root "${just[@]}" uninstall
    left=$(find "$root" -type f ! -name '.crates*' | sed "s|^$root/||")
    [[ -z $left ]] || fail "left after uninstall: $left"
    echo "install-check: OK (${#tools[@]} tools, 4 files each under share/, uninstall left nothing)" >&2
