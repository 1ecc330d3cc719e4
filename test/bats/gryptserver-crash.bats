#!/usr/bin/env bats
# The server killed with SIGKILL at random moments during a stream of admin
# changes: after a restart the store is intact, every acknowledged change is
# there, and members converge on the newest state.

load helper
load server_helper

setup() { setup_home; }
teardown() {
  [ -n "${KILLER:-}" ] && kill "$KILLER" 2>/dev/null
  server_teardown
}

# Serves until it is up (a restart can meet an offline verb holding the lock).
serve_until_up() {
  local i
  for i in $(seq 1 50); do
    start_server 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

@test "SIGKILL at random moments during 200 admin changes loses no acknowledged change" {
  member alice
  serve_until_up
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  # The killer: at random instants, SIGKILL the running server and start
  # a new one.
  (
    while :; do
      sleep "0.0$((RANDOM % 9 + 1))"
      pid=$(tail -n 1 "$BATS_TEST_TMPDIR/pids")
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      serve_until_up >/dev/null 2>&1 || true
    done
  ) &
  KILLER=$!
  acknowledged=()
  for i in $(seq 1 200); do
    grypt-keygen -o "k$i" --no-passphrase >"k$i.pub" 2>/dev/null
    if [ $((i % 10)) -eq 0 ]; then
      gs rotate friends --master-key-file "$MK" >/dev/null 2>&1 || true
    elif gs add friends "$(cat "k$i.pub")" --name "m$i" --master-key-file "$MK" >/dev/null 2>&1; then
      acknowledged+=("m$i")
    fi
  done
  kill "$KILLER"
  wait "$KILLER" 2>/dev/null || true
  KILLER=
  starts=$(wc -l <"$BATS_TEST_TMPDIR/pids")
  server_teardown
  rm -f "$BATS_TEST_TMPDIR/pids"
  echo "# $((starts - 1)) kills; acknowledged ${#acknowledged[@]} of 180 adds" >&3
  [ "$starts" -ge 20 ]
  [ "${#acknowledged[@]}" -ge 100 ]
  run sqlite3 "$STORE/grypt.db" "PRAGMA integrity_check"
  assert_output "ok"
  # The server starts: every group's chain, keys and roster check out.
  serve_until_up
  members=$(gs members friends | cut -d ' ' -f 1)
  for m in "${acknowledged[@]}"; do
    grep -qx "$m" <<<"$members" || { echo "acknowledged $m is missing"; false; }
  done
  # Members converge on the newest state, their chains checked.
  epoch=$(gs groups | sed -n 's/^friends  epoch \([0-9]*\) .*/\1/p')
  run tc -i alice -r "$REF"
  assert_success
  assert_line "{\"event\":\"synced\",\"group\":\"friends\",\"epoch\":$epoch}"
  last=${acknowledged[-1]}
  n=${last#m}
  run tc -i "k$n" -r "$REF"
  assert_success
  assert_line "{\"event\":\"synced\",\"group\":\"friends\",\"epoch\":$epoch}"
}
