# Loaded by every .bats file: bats-support and bats-assert, the tools under
# test first on PATH, and a private HOME and XDG directories per test.
bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export PATH="${GRYPT_BIN:-$REPO/bin}:$PATH"
GRYPT_TEST_BIN=${GRYPT_TEST_BIN:-$REPO/build/release}

setup_home() {
  export HOME="$BATS_TEST_TMPDIR/home"
  export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config"
  export XDG_STATE_HOME="$HOME/.local/state" XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
  mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  cd "$BATS_TEST_TMPDIR" || return 1
}

# type_slowly LINE...: lines typed after the prompts appear, as a person
# types them (input that arrives before echo is turned off is discarded).
type_slowly() {
  for line in "$@"; do
    sleep 0.5
    printf '%s\n' "$line"
  done
  sleep 1
}

# flip FILE OFFSET: xor one byte with 0x01, in place: an edit that always
# changes the file (writing a fixed byte may write the byte that was there).
flip() {
  local b
  b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# NO_DAC: a command prefix under which root, too, is bound by file modes
# (it drops the capabilities that bypass them), for tests of a file that
# cannot be read or a directory that cannot be written; empty for others.
NO_DAC=()
[ "$(id -u)" -ne 0 ] ||
  NO_DAC=(setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search)

setup() { setup_home; }
