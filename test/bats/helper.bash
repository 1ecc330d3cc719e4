# Loaded by every .bats file: bats-support and bats-assert, the tools under
# test first on PATH, and a private HOME and XDG directories per test.
bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export PATH="${GRYPT_BIN:-$REPO/bin}:$PATH"
GRYPT_TEST_BIN=${GRYPT_TEST_BIN:-$REPO/build/release}
# script(1) runs its command with $SHELL: the shell CI has (often dash, or
# none set), not whichever shell a developer logs in with.
export SHELL=/bin/sh

setup_home() {
  export HOME="$BATS_TEST_TMPDIR/home"
  export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config"
  export XDG_STATE_HOME="$HOME/.local/state" XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
  mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  cd "$BATS_TEST_TMPDIR" || return 1
}

# terminal CMD TYPED...: CMD run by sh at a terminal (a pty), its output as
# a terminal shows it, and its exit status; each TYPED is typed once the
# program waits for it, as a person would: a prompt ending in ": " is shown
# and echo is off. Never early, however slow the machine (a line typed
# before echo is off is discarded, and the program would wait for ever);
# killed after 120 s all the same.
terminal() {
  python3 - "$@" <<'PY'
import os, pty, select, sys, termios, time
cmd, typed = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", cmd])
tail, deadline = b"", time.time() + 120
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        tail = (tail + data)[-200:]
    if typed and tail.endswith(b": ") and not termios.tcgetattr(fd)[3] & termios.ECHO:
        os.write(fd, typed.pop(0).encode() + b"\n")
        tail = b""
else:
    os.kill(pid, 9)
    print("\n(killed after 120 s)")
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) & 255)
PY
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

# The fingerprint of the public key in FILE as people compare it (grypt.5,
# Fingerprint and key id): the short code of BLAKE2b-256("grypt
# fingerprint v1" || key); computed here apart from grypt's code.
fingerprint_of() {
  {
    python3 - "$(cat "$1")" <<'PY'
import base64, hashlib, sys
s = sys.argv[1][len("grypt-pk:"):]
key = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))[:64]
print(hashlib.blake2b(b"grypt fingerprint v1" + key, digest_size=32).hexdigest())
PY
  } | short_code_of_hex
}

# The short code of the hash in hex on stdin: its first 160 bits in
# Crockford's base32, in eight groups of four joined by "-".
short_code_of_hex() {
  python3 -c '
import sys
bits = "".join(f"{b:08b}" for b in bytes.fromhex(sys.stdin.read().strip())[:20])
code = "".join("0123456789ABCDEFGHJKMNPQRSTVWXYZ"[int(bits[i:i + 5], 2)] for i in range(0, 160, 5))
print("-".join(code[i:i + 4] for i in range(0, 32, 4)))'
}

# flip_positions SIZE HEADER: the byte offsets a tamper test flips: every
# one in the plain check; under the sanitizers (each process some ten times
# slower) every byte of the HEADER-byte fixed header and every 7th byte
# after it, the last included, which still reaches every field and region.
flip_positions() {
  local i
  for ((i = 0; i < $1; i++)); do
    if [ "${GRYPT_SANITIZE:-}" != 1 ] || [ "$i" -lt "$2" ] || [ $(((i - $2) % 7)) -eq 0 ] ||
       [ "$i" -eq $(($1 - 1)) ]; then
      echo "$i"
    fi
  done
}

# skip_when_sanitized WHY: skips a test in the ASan+UBSan check whose length
# is waiting or scale rather than code the plain check leaves unexercised
# (CI runs both checks in under 30 minutes); the plain check runs it.
skip_when_sanitized() {
  [ "${GRYPT_SANITIZE:-}" != 1 ] || skip "under the sanitizers: $1; the plain make check runs it"
}
