#!/usr/bin/env bash
# `just install`, `just uninstall` and `just install-check` (README: Install).
#
#   install.sh install [--no-links]   cruddur-ops (the `dist` profile) into ROOT/bin, one relative
#                                     symbolic link per tool name beside it (not with --no-links
#                                     or CRUDDUR_OPS_LINKS=0), completions and man pages under
#                                     ROOT/share; every file and link listed in
#                                     ROOT/share/cruddur-ops/installed-files
#   install.sh uninstall              removes exactly what that list names, and the binary
#   install.sh check                  installs into a throw-away root, checks every name from a
#                                     new shell, the completions and man pages, then --no-links,
#                                     then that uninstall leaves nothing
#
# ROOT is CARGO_INSTALL_ROOT, else CARGO_HOME, else ~/.cargo (as for cargo install).
# shellcheck disable=SC2016 # the `bash -c` scripts below expand in the child shell
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '%s\n' "$*" >&2; }
# Temporary directories, removed however the script ends.
cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT
root=${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}
manifest=$root/share/cruddur-ops/installed-files

# The binaries cargo's own records list for the cruddur-ops package in ROOT, one a line.
installed_bins() {
  cargo install --list --root "$root" |
    awk '/^cruddur-ops /{mine=1; next} /^[^ ]/{mine=0} mine{print $1}'
}

# Removes ROOT/$1, a path the manifest names: a file under share/, or under bin/ a link to
# cruddur-ops (a file the user put there since is left alone).
remove_listed() {
  local file=$1
  case $file in
    *..*) return 0 ;;
    share/*) rm -f -- "${root:?}/$file" ;;
    bin/*)
      if [[ -L $root/$file && $(readlink -- "$root/$file") == cruddur-ops ]]; then
        rm -f -- "${root:?}/$file"
      fi
      ;;
  esac
}

# The link arguments that make the binary smaller: lld's identical code folding (one copy of
# functions that compiled to the same bytes) and packed relative relocations (DT_RELR: 1.8 MB of
# `.rela.dyn` become a few KB; needs glibc 2.36). Together 17.0 MB -> 13.9 MB (docs/build-and-size.md).
# Used only when this machine's linker takes them and its loader runs the result: a small program
# is linked with them and run first. Sets `cargo_config` to cargo's `--config` arguments (none
# otherwise); with RUSTFLAGS set, which cargo prefers to any configuration, they go there instead.
cargo_config=() link_probed=0
link_config() {
  ((link_probed)) && return 0
  link_probed=1
  local probe flags=(-C "link-arg=-Wl,--icf=all" -C "link-arg=-Wl,-z,pack-relative-relocs")
  probe=$(mktemp -d)
  cleanup+=("$probe")
  echo 'fn main() {}' >"$probe/probe.rs"
  if ! rustc "${flags[@]}" -o "$probe/probe" "$probe/probe.rs" >/dev/null 2>&1 || ! "$probe/probe"; then
    say "install: this linker or C library does not take --icf=all and packed relocations: the binary will be about 3 MB bigger"
  elif [[ -n ${RUSTFLAGS:-} ]]; then
    export RUSTFLAGS="$RUSTFLAGS ${flags[*]}"
  else
    local host
    host=$(rustc -vV | sed -n 's/^host: //p')
    cargo_config=(--config "target.$host.rustflags = ['${flags[0]}', '${flags[1]}', '${flags[2]}', '${flags[3]}']")
  fi
}

install_tools() {
  local links=${CRUDDUR_OPS_LINKS:-1} flag
  for flag in "$@"; do
    case $flag in
      --no-links) links=0 ;;
      *) say "install: unknown option $flag (the one option is --no-links)"; exit 2 ;;
    esac
  done
  # An install of the separate binaries (before cruddur-ops held every tool) goes first, so
  # that none of its names (export, import) stays behind.
  if installed_bins | grep -qvx cruddur-ops; then
    say "install: removing the separate tool binaries of an earlier install"
    cargo uninstall --root "$root" cruddur-ops
  fi
  link_config
  cargo install --path . --locked --profile dist --root "$root" --bin cruddur-ops "${cargo_config[@]}"
  local ops=$root/bin/cruddur-ops names=(cruddur-ops)
  if ((links)); then mapfile -t -O 1 names < <("$ops" --list); fi

  local docs
  docs=$(mktemp -d)
  cleanup+=("$docs")
  "$ops" --generate-docs "$docs"

  mkdir -p "${manifest%/*}"
  local earlier=()
  [[ -f $manifest ]] && mapfile -t earlier <"$manifest"
  : >"$manifest.new"
  local name
  place() { install -D -m 644 "$1" "$root/share/$2" && echo "share/$2" >>"$manifest.new"; }
  for name in "${names[@]}"; do
    place "$docs/completions/bash/$name" "bash-completion/completions/$name"
    place "$docs/completions/zsh/_$name" "zsh/site-functions/_$name"
    place "$docs/completions/fish/$name.fish" "fish/vendor_completions.d/$name.fish"
    place "$docs/man/man1/$name.1" "man/man1/$name.1"
  done
  # Relative symbolic links: they follow the binary through every later `cargo install` (a
  # hard link would keep the old one), and the root can move (README: Install).
  for name in "${names[@]:1}"; do
    ln -sfn cruddur-ops "$root/bin/$name"
    echo "bin/$name" >>"$manifest.new"
  done
  # What an earlier install put there and this one did not (the links, after --no-links).
  local file
  for file in "${earlier[@]}"; do
    grep -qxF -- "$file" "$manifest.new" || remove_listed "$file"
  done
  mv "$manifest.new" "$manifest"
  say "installed: cruddur-ops and $((${#names[@]} - 1)) links to it in $root/bin; completions and man pages under $root/share (README: Install)"
  case ":$PATH:" in *":$root/bin:"*) ;; *) say "note: $root/bin is not on your PATH" ;; esac
}

uninstall_tools() {
  if [[ -n $(installed_bins) ]]; then
    cargo uninstall --root "$root" cruddur-ops
  else
    say "uninstall: cruddur-ops is not installed in $root/bin"
  fi
  if [[ -f $manifest ]]; then
    local file
    while IFS= read -r file; do remove_listed "$file"; done <"$manifest"
    rm -f -- "$manifest"
    rmdir -- "${manifest%/*}" 2>/dev/null || true
    say "uninstall: removed the links, completions and man pages listed in $manifest"
  fi
}

check_install() {
  local tmp
  tmp=$(mktemp -d)
  cleanup+=("$tmp")
  root=$tmp
  manifest=$root/share/cruddur-ops/installed-files
  export CARGO_INSTALL_ROOT=$root
  fail() { say "install-check: FAIL: $*"; exit 1; }

  local start=$SECONDS
  install_tools
  say "install-check: install took $((SECONDS - start)) s"
  local tools
  mapfile -t tools < <("$root/bin/cruddur-ops" --list)
  ((${#tools[@]} > 0)) || fail "cruddur-ops --list names no tools"

  # Every name, typed in a new shell whose PATH has the install's bin first: a file there (no
  # builtin, keyword or function in the way), its version, and the same tool as a subcommand.
  local name page words
  for name in cruddur-ops "${tools[@]}"; do
    if [[ $name != cruddur-ops ]]; then
      [[ -L $root/bin/$name && $(readlink -- "$root/bin/$name") == cruddur-ops ]] ||
        fail "$root/bin/$name is not a link to cruddur-ops"
    fi
    env -i HOME="$root" PATH="$root/bin:/usr/bin:/bin" bash --noprofile --norc -c '
      name=$1 bin=$2
      [[ $(type -t "$name") == file && $(command -v "$name") == "$bin/$name" ]] ||
        { echo "$name runs as $(type -t "$name") $(command -v "$name")"; exit 1; }
      "$name" --version | grep -Eq "^$name [0-9.]+ \((commit [0-9a-f]{12}|unknown commit)\)$" ||
        { echo "$name --version: $("$name" --version)"; exit 1; }
      "$name" --help | grep -q -- "--help" || { echo "$name --help"; exit 1; }
      if [[ $name != cruddur-ops ]]; then
        [[ $(cruddur-ops "$name" --version) == "$("$name" --version)" ]] ||
          { echo "cruddur-ops $name --version"; exit 1; }
      fi' _ "$name" "$root/bin" || fail "$name from a new shell"
    for f in bash-completion/completions/$name zsh/site-functions/_$name fish/vendor_completions.d/$name.fish man/man1/$name.1; do
      [[ -s $root/share/$f ]] || fail "share/$f missing or empty"
    done
    # bash: the completion loads and offers the tool's options.
    words=$(bash -c 'source "$1"; COMP_WORDS=("$2" --he); COMP_CWORD=1; COMP_LINE="$2 --he"; COMP_POINT=${#COMP_LINE}
             f=$(complete -p "$2" | sed -E "s/.* -F ([^ ]+) .*/\1/"); "$f" "$2" --he "$2"; echo "${COMPREPLY[*]}"' \
      _ "$root/share/bash-completion/completions/$name" "$name") || fail "bash completion of $name"
    [[ $words == *--help* ]] || fail "bash completion of $name offers '$words' for --he"
    grep -q "#compdef $name" "$root/share/zsh/site-functions/_$name" || fail "zsh completion of $name"
    grep -q "complete -c $name" "$root/share/fish/vendor_completions.d/$name.fish" || fail "fish completion of $name"
    # man finds the page through PATH (man-db looks in <bin>/../share/man) and it renders.
    page=$(PATH=$root/bin:$PATH env -u MANPATH man -w "$name") || fail "man -w $name"
    [[ $page == "$root/share/man/man1/$name.1" ]] || fail "man -w $name found $page"
    MANWIDTH=100 man -l "$page" 2>/dev/null | grep -q -- '--help' || fail "man page of $name does not render"
  done
  # cruddur-ops's bash completion completes the tools' names, then their options.
  words=$(bash -c 'source "$1"; COMP_WORDS=(cruddur-ops table-); COMP_CWORD=1; COMP_LINE="cruddur-ops table-"; COMP_POINT=${#COMP_LINE}
           f=$(complete -p cruddur-ops | sed -E "s/.* -F ([^ ]+) .*/\1/"); "$f" cruddur-ops table- cruddur-ops; echo "${COMPREPLY[*]}"' \
    _ "$root/share/bash-completion/completions/cruddur-ops") || fail "bash completion of cruddur-ops"
  [[ $words == *table-export* && $words == *table-import* ]] || fail "cruddur-ops completes table- as '$words'"

  local bytes kib
  bytes=$(find "$root/bin" "$root/share" ! -type d ! -name '.crates*' -printf '%s\n' | awk '{s += $1} END {print s}')
  kib=$(du -sk "$root/bin" "$root/share" | awk '{s += $1} END {print s}')
  say "install-check: cruddur-ops and ${#tools[@]} links: $(stat -c %s "$root/bin/cruddur-ops") bytes of binary; $bytes bytes in $(find "$root/bin" "$root/share" ! -type d | wc -l) files and links, $kib KiB on disk (du) under bin/ and share/"

  # --no-links: the binary and its own completions and man page; the links go.
  install_tools --no-links
  for name in "${tools[@]}"; do
    [[ ! -e $root/bin/$name && ! -L $root/bin/$name ]] || fail "--no-links left bin/$name"
    [[ ! -e $root/share/man/man1/$name.1 ]] || fail "--no-links left man/man1/$name.1"
  done
  env -i PATH="$root/bin:/usr/bin:/bin" bash --noprofile --norc -c 'cruddur-ops seed --version' >/dev/null ||
    fail "cruddur-ops seed after --no-links"

  uninstall_tools
  local left
  left=$(find "$root" ! -type d ! -name '.crates*' | sed "s|^$root/||")
  [[ -z $left ]] || fail "left after uninstall: $left"
  say "install-check: OK (cruddur-ops and ${#tools[@]} tool names, 4 files each under share/; --no-links; uninstall left nothing)"
}

case ${1:-} in
  install) shift; install_tools "$@" ;;
  uninstall) uninstall_tools ;;
  check) check_install ;;
  *) say "usage: scripts/install.sh install [--no-links] | uninstall | check"; exit 2 ;;
esac
