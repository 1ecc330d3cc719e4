#!/usr/bin/env bats
# gryptd lock, unlock, --locked and --lock-after (gryptd.1, Locking), end to
# end on 127.0.0.1 with a passphrase-protected member. Every process is
# started and stopped by the test, by pid.

load helper
load member_helper
load server_helper

setup() {
  setup_home
  new_member alice
  new_member bob
}

teardown() { server_teardown; }

# bob's identity gets a passphrase ("bob's words", in pw); his secret part
# (Ed25519 seed || X25519 secret, grypt.5) in hex, from the file before.
protect_bob() {
  BOB_SECRET=$(od -An -tx1 -v -j113 -N64 "$BATS_TEST_TMPDIR/u/bob/data/grypt/identity" | tr -d ' \n')
  [ ${#BOB_SECRET} -eq 128 ]
  echo "bob's words" >pw
  echo "not his words" >wrong
  as bob grypt-keygen --change-passphrase --new-passphrase-file pw </dev/null 2>/dev/null
}

# How many times the bytes HEX occur in the readable memory of process PID.
in_memory() {
  python3 - "$1" "$2" <<'PY'
import re, sys
pid, needle = sys.argv[1], bytes.fromhex(sys.argv[2])
found = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        addr, perms = line.split()[:2]
        if perms[0] != "r":
            continue
        lo, hi = (int(x, 16) for x in addr.split("-"))
        if hi - lo > 1 << 30:  # AddressSanitizer's shadow, reserved not used
            continue
        try:
            mem.seek(lo)
            found += mem.read(hi - lo).count(needle)
        except (OSError, ValueError, OverflowError):
            pass
print(found)
PY
}

@test "locked: no secret in memory, every key-using request refused with how to unlock, and unlock gives it back" {
  friends_online
  echo "before" | as alice grypt-seal friends >post
  stop_daemon bob
  protect_bob
  start_daemon bob --locked
  run as bob gryptd status
  assert_line "locked: give the passphrase with gryptd unlock"
  assert_line --regexp "^friends  locked  epoch 3 "
  as bob gryptd status --json | grep -q '"locked":true,'
  # Nothing secret: the identity's seed and X25519 secret are nowhere in
  # the daemon's memory.
  pid=$DAEMON_PID_bob
  [ "$(in_memory "$pid" "${BOB_SECRET:0:64}")" -eq 0 ]
  [ "$(in_memory "$pid" "${BOB_SECRET:64:64}")" -eq 0 ]
  # No terminal: one line, exit 2, nothing written.
  run --separate-stderr as bob grypt-open <post
  assert_failure 2
  [ "$stderr" = "grypt-open: error: gryptd is locked: unlock it with gryptd unlock" ]
  assert_output ""
  run --separate-stderr as bob grypt-seal friends <<<"no"
  assert_failure 2
  [ "$stderr" = "grypt-seal: error: gryptd is locked: unlock it with gryptd unlock" ]
  # What the chain of public states shows needs no key.
  run as bob gryptd members friends
  assert_success
  assert_line --partial "bob"
  # A wrong passphrase: exit 1, still locked.
  run --separate-stderr as bob gryptd unlock --passphrase-file wrong
  assert_failure 1
  [ "$stderr" = "gryptd: error: wrong passphrase" ]
  as bob gryptd status --json | grep -q '"locked":true,'
  run as bob gryptd unlock --passphrase-file pw
  assert_success
  as bob gryptd status --json | grep -q '"locked":false,'
  wait_epoch bob friends 3
  run --separate-stderr as bob grypt-open <post
  assert_success
  assert_output "before"
  # The scan sees a key the daemon holds: without this, the zeros above
  # would prove nothing.
  [ "$(in_memory "$pid" "${BOB_SECRET:64:64}")" -gt 0 ]
  # Locked again: the keys leave memory, the connection closes.
  as bob gryptd lock
  as bob gryptd lock  # locking a locked daemon does nothing
  run as bob gryptd status
  assert_line --regexp "^friends  locked  epoch 3 "
  [ "$(in_memory "$pid" "${BOB_SECRET:0:64}")" -eq 0 ]
  [ "$(in_memory "$pid" "${BOB_SECRET:64:64}")" -eq 0 ]
  # A post of a new epoch sealed meanwhile opens once unlocked: the daemon
  # connects again and catches up.
  ga rotate friends >/dev/null
  echo "after" | as alice grypt-seal friends >post4
  as bob gryptd unlock --passphrase-fd 5 5<pw
  wait_epoch bob friends 4
  run --separate-stderr as bob grypt-open <post4
  assert_output "after"
  grep -q "gryptd: locked (asked by a tool)" bob.log
  grep -q "gryptd: unlocked" bob.log
  # An unlocked daemon asks nothing.
  run as bob gryptd unlock </dev/null
  assert_success
}

@test "a tool at a terminal asks for the passphrase of a locked daemon, unlocks it, and goes on" {
  friends_online
  echo "at a terminal" | as alice grypt-seal friends >post
  stop_daemon bob
  protect_bob
  start_daemon bob --locked
  user_env bob
  run terminal "env ${USER_ENV[*]} grypt-open post" "bob's words"
  assert_success
  assert_line --partial "Passphrase to unlock gryptd:"
  assert_line "at a terminal"$'\r'
  as bob gryptd status --json | grep -q '"locked":false,'
  # A wrong one: exit 1, the daemon stays locked, nothing opened.
  as bob gryptd lock
  run terminal "env ${USER_ENV[*]} grypt-open post; echo rc=\$?" "not his"
  assert_line "grypt-open: error: wrong passphrase"$'\r'
  assert_line "rc=1"$'\r'
  refute_line "at a terminal"$'\r'
  as bob gryptd status --json | grep -q '"locked":true,'
}

@test "--lock-after: locks once no tool used a key for that long; status does not keep it open" {
  friends_online
  echo "soon locked" | as alice grypt-seal friends >post
  stop_daemon bob
  protect_bob
  start_daemon bob --lock-after 2s --passphrase-file pw
  as bob gryptd status --json | grep -q '"locked":false,'
  as bob grypt-open <post >/dev/null
  for i in 1 2 3; do
    sleep 0.5
    as bob gryptd status >/dev/null
  done
  sleep 1.5
  as bob gryptd status --json | grep -q '"locked":true,'
  grep -q "gryptd: locked (no key used for 2 s)" bob.log
  [ "$(in_memory "$DAEMON_PID_bob" "${BOB_SECRET:64:64}")" -eq 0 ]
}

@test "an identity without a passphrase: --locked starts unlocked, and a locked daemon unlocks itself when a key is needed" {
  friends_online
  echo "no passphrase" | as alice grypt-seal friends >post
  stop_daemon bob
  start_daemon bob --locked
  as bob gryptd status --json | grep -q '"locked":false,'
  as bob gryptd lock
  as bob gryptd status --json | grep -q '"locked":true,'
  run as bob grypt-open <post
  assert_success
  assert_line --index 0 "no passphrase"
  as bob gryptd status --json | grep -q '"locked":false,'
  # gryptd unlock asks nothing for it; nor does grypt-admin need a terminal.
  as bob gryptd lock
  as bob gryptd unlock </dev/null
  as bob gryptd status --json | grep -q '"locked":false,'
  as admin gryptd lock
  ga rotate friends >/dev/null
  as admin gryptd status --json | grep -q '"locked":false,'
}

@test "lock options: bad durations, and options that go with another verb, are usage errors" {
  for d in 0 0s 366d 1w -1 1.5h h "" 99999999999; do
    run --separate-stderr gryptd --foreground --lock-after "$d"
    assert_failure 2
    [ "$stderr" = "gryptd: error: --lock-after '$d' is not a duration from 1s to 365d (a number, or a number and s, m, h or d)" ]
  done
  run --separate-stderr gryptd status --locked
  assert_failure 2
  [ "$stderr" = "gryptd: error: --locked and --lock-after go with starting gryptd" ]
  run --separate-stderr gryptd --locked --passphrase-file pw
  assert_failure 2
  [ "$stderr" = "gryptd: error: --locked asks no passphrase: give it with gryptd unlock" ]
  run --separate-stderr gryptd lock
  assert_failure 2
  [[ "$stderr" == "gryptd: error: gryptd is not running"* ]]
  run --separate-stderr gryptd unlock
  assert_failure 2
  [[ "$stderr" == "gryptd: error: gryptd is not running"* ]]
}

# pass_socket bound|listening CMD...: CMD with a Unix socket, bound or also
# listening, as descriptor 3 and LISTEN_PID and LISTEN_FDS as a service
# manager sets them.
pass_socket() {
  python3 - "$@" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(os.path.join(os.getcwd(), "passed-" + sys.argv[1]))
if sys.argv[1] == "listening":
    s.listen()
os.dup2(s.fileno(), 3)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="1")
os.execvp(sys.argv[2], sys.argv[2:])
PY
}

@test "socket activation: the manager's socket starts gryptd --locked at the first tool's connection, and stays after it stops" {
  friends_online
  echo "activated" | as alice grypt-seal friends >post
  stop_daemon bob
  protect_bob
  sock=$BATS_TEST_TMPDIR/u/bob/run/grypt/gryptd.sock
  mkdir -p "${sock%/*}"
  chmod 700 "${sock%/*}"
  rm -f "$sock"
  # systemd-socket-activate listens, and at the first connection runs
  # gryptd in its own process with the socket as descriptor 3.
  # It passes only the variables named with -E.
  bg_as bob "$BATS_TEST_TMPDIR/bob.log" systemd-socket-activate -l "$sock" -E HOME -E XDG_DATA_HOME \
    -E XDG_CONFIG_HOME -E XDG_STATE_HOME -E XDG_RUNTIME_DIR "$(command -v gryptd)" --foreground --locked
  pid=$BG_PID
  for ((i = 0; i < 100; i++)); do [ -S "$sock" ] && break; sleep 0.05; done
  run as bob gryptd status --json
  assert_success
  assert_output --partial "\"pid\":$pid,\"locked\":true,\"socket\":\"$sock\""
  run --separate-stderr as bob grypt-open <post
  assert_failure 2
  as bob gryptd unlock --passphrase-file pw
  wait_epoch bob friends 3
  run --separate-stderr as bob grypt-open <post
  assert_output "activated"
  grep -q "gryptd: serving 1 group(s) on $sock" bob.log
  as bob gryptd stop
  ! kill -0 "$pid" 2>/dev/null
  # The socket is the manager's: left in place for the next start.
  [ -S "$sock" ]
}

@test "socket activation: a passed descriptor that is not one listening Unix socket, or --socket beside it, is refused" {
  run --separate-stderr sh -c 'LISTEN_PID=$$ LISTEN_FDS=2 exec gryptd --foreground'
  assert_failure 2
  [ "$stderr" = "gryptd: error: the service manager passed 2 sockets (LISTEN_FDS): gryptd serves one" ]
  run --separate-stderr sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec gryptd --foreground 3</dev/null'
  assert_failure 2
  [ "$stderr" = "gryptd: error: descriptor 3, passed by the service manager (LISTEN_FDS), is not a listening Unix stream socket" ]
  run --separate-stderr pass_socket bound gryptd --foreground
  assert_failure 2
  [ "$stderr" = "gryptd: error: descriptor 3, passed by the service manager (LISTEN_FDS), is not a listening Unix stream socket" ]
  run --separate-stderr pass_socket listening gryptd --foreground --socket x
  assert_failure 2
  [ "$stderr" = "gryptd: error: --socket with a socket passed by the service manager (LISTEN_FDS): it is that one" ]
  # Another process's LISTEN_PID is not ours: gryptd starts as ever (here it
  # finds no identity).
  run --separate-stderr env LISTEN_PID=1 LISTEN_FDS=1 gryptd --foreground
  assert_failure 2
  [[ "$stderr" == "gryptd: error: no identity at "* ]]
}
