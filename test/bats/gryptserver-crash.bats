#!/usr/bin/env bats
# The server killed with SIGKILL at random moments while an administrator
# makes changes: after a restart the store is intact, every acknowledged
# change is there, and members converge on the newest state.

load helper
load member_helper
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

@test "SIGKILL at random moments during 100 administrator changes loses no acknowledged change" {
  skip_when_sanitized "100 changes with SIGKILLs, a test of the store's durability; restarts and start-up checks run sanitized in other tests"
  member alice
  serve_until_up
  # Every restart on the port the references name.
  SERVE_LISTEN=127.0.0.1:$PORT
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  # The killer: at random instants, SIGKILL the running server and start
  # a new one.
  (
    while :; do
      sleep "0.$((RANDOM % 9 + 1))"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
      wait "$SERVER_PID" 2>/dev/null || true
      serve_until_up >/dev/null 2>&1 && echo "$SERVER_PID" >>restarts
    done
  ) &
  KILLER=$!
  acknowledged=()
  # 100 changes at least, and more until the killer struck 10 times (a
  # fast machine makes 100 in a few seconds), 400 at most.
  touch restarts
  for ((i = 1; i <= 400; i++)); do
    [ "$i" -gt 100 ] && [ "$(wc -l <restarts)" -ge 10 ] && break
    grypt-keygen -o "k$i" --no-passphrase >"k$i.pub" 2>/dev/null
    if [ $((i % 10)) -eq 0 ]; then
      ga rotate friends >/dev/null 2>&1 || true
    elif ga add friends "$(cat "k$i.pub")" --name "m$i" >/dev/null 2>&1; then
      acknowledged+=("m$i")
    fi
  done
  kill "$KILLER"
  wait "$KILLER" 2>/dev/null || true
  KILLER=
  kills=$(wc -l <restarts)
  echo "# $kills kills; acknowledged ${#acknowledged[@]} adds of $((i - 1)) changes" >&3
  [ "$kills" -ge 10 ]
  [ "${#acknowledged[@]}" -ge 30 ]
  # The killer's servers may still run (the newest, or one it was starting
  # when it was stopped): every one is in the list start_server keeps, and
  # is stopped by pid; then nothing holds the store's lock.
  while read -r pid; do
    [ "$pid" = "$DAEMON_PID_admin" ] || kill -KILL "$pid" 2>/dev/null || true
  done <"$BATS_TEST_TMPDIR/pids"
  for _ in $(seq 100); do flock -n "$STORE/lock" true && break; sleep 0.05; done
  flock -n "$STORE/lock" true
  run sqlite3 "$STORE/grypt.db" "PRAGMA integrity_check"
  assert_output "ok"
  # The server starts (its start-up check goes over every state), and the
  # administrator's daemon catches up with it.
  serve_until_up
  epoch=$(gs groups | sed -n 's/^friends  epoch \([0-9]*\) .*/\1/p')
  wait_epoch admin friends "$epoch" 15
  members=$(ga members friends | cut -d ' ' -f 1)
  for m in "${acknowledged[@]}"; do
    grep -qx "$m" <<<"$members" || { echo "acknowledged $m is missing"; false; }
  done
  # Members converge on the newest state, their chains checked.
  run tc -i alice -r "$REF"
  assert_success
  assert_line "{\"event\":\"synced\",\"group\":\"friends\",\"epoch\":$epoch}"
  last=${acknowledged[-1]}
  n=${last#m}
  run tc -i "k$n" -r "$REF"
  assert_success
  assert_line "{\"event\":\"synced\",\"group\":\"friends\",\"epoch\":$epoch}"
}
