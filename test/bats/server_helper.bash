# A group server for a test: a store in the test's directory, served on
# 127.0.0.1 at a free port, stopped by pid when the test ends.
#   start_server         init (once) and serve; sets SERVER_PID, REF, STORE;
#                        SERVE_LISTEN=HOST:PORT serves there (a restart on
#                        the port the reference names)
#   start_testserver ID GROUP [ARGS]  a scripted server (test/server):
#                        sets TS_REF and TS_PID; it logs to testserver.log
#   stop_server          SIGTERM, then wait
#   tc ARGS...           the protocol test client (JSON events on stdout)
#   member NAME          an identity NAME (no passphrase), its key in NAME.pub

STORE=$BATS_TEST_TMPDIR/store
MK=$BATS_TEST_TMPDIR/master.key
TESTCLIENT=$GRYPT_TEST_BIN/grypt-testclient

gs() { gryptserver "$@" --store "$STORE"; }

start_server() {
  if [ ! -e "$STORE/grypt.db" ]; then
    gryptserver init --store "$STORE" --group "${GROUP:-friends}" --listen 127.0.0.1:0 \
      --host 127.0.0.1 --new-master-key-file "$MK" 2>/dev/null
  fi
  rm -f "$BATS_TEST_TMPDIR/ready"
  mkfifo "$BATS_TEST_TMPDIR/ready"
  # SERVER_FILES=N: the server's limit of open files (soft and hard).
  (
    [ -z "${SERVER_FILES:-}" ] || ulimit -n "$SERVER_FILES"
    exec gryptserver serve --store "$STORE" --master-key-file "$MK" --ready-fd 3 \
      ${SERVE_LISTEN:+--listen "$SERVE_LISTEN"}
  ) 3>"$BATS_TEST_TMPDIR/ready" 2>>"$BATS_TEST_TMPDIR/server.log" &
  SERVER_PID=$!
  echo "$SERVER_PID" >>"$BATS_TEST_TMPDIR/pids"
  ADDR=$(timeout 10 cat "$BATS_TEST_TMPDIR/ready")
  [ -n "$ADDR" ] || { cat "$BATS_TEST_TMPDIR/server.log"; return 1; }
  PORT=${ADDR##*:}
  REF=$(gs invite "${GROUP:-friends}")
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

tc() { "$TESTCLIENT" "$@"; }

TESTSERVER=$GRYPT_TEST_BIN/grypt-testserver

start_testserver() {
  local id=$1 group=$2
  shift 2
  rm -f "$BATS_TEST_TMPDIR/ts.ref"
  "$TESTSERVER" -i "$id" --group "$group" "$@" >"$BATS_TEST_TMPDIR/ts.ref" \
    2>>"$BATS_TEST_TMPDIR/testserver.log" 3>&- &
  TS_PID=$!
  echo "$TS_PID" >>"$BATS_TEST_TMPDIR/pids"
  local i
  for ((i = 0; i < 100; i++)); do
    TS_REF=$(cat "$BATS_TEST_TMPDIR/ts.ref" 2>/dev/null)
    [ -n "$TS_REF" ] && return 0
    sleep 0.05
  done
  echo "the test server did not start" >&2
  return 1
}

# Starts a client in the background; its pid goes to the cleanup list.
tc_bg() {
  local out=$1
  shift
  "$TESTCLIENT" "$@" >"$out" 2>&1 &
  echo $! >>"$BATS_TEST_TMPDIR/pids"
  LAST_PID=$!
}

member() {
  grypt-keygen -o "$1" --no-passphrase >"$1.pub" 2>/dev/null
}

# wait_for FILE TEXT [SECONDS]: until FILE contains TEXT.
wait_for() {
  local i
  for ((i = 0; i < ${3:-5} * 20; i++)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "timed out waiting for '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

server_teardown() {
  if [ -f "$BATS_TEST_TMPDIR/pids" ]; then
    while read -r pid; do kill -TERM "$pid" 2>/dev/null || true; done <"$BATS_TEST_TMPDIR/pids"
    while read -r pid; do
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    done <"$BATS_TEST_TMPDIR/pids"
  fi
}
