# A group server for a test, and its groups' administrator: a store in the
# test's directory, served on 127.0.0.1 at a free port, stopped by pid when
# the test ends. Load after member_helper.
#   start_server         init (once) and serve; sets SERVER_PID, PORT, SREF
#                        (the server reference), STORE; SERVE_LISTEN=HOST:PORT
#                        serves there (a restart on the port the references name)
#   stop_server          SIGTERM, then wait
#   start_admin          the administrator "admin" (a member home, made by
#                        start_server) and its gryptd
#   make_group NAME      the admin creates NAME (named admin in it); its
#                        reference in REF
#   ga ARGS...           grypt-admin as the admin
#   gs ARGS...           gryptserver ARGS --store STORE
#   tc ARGS...           the protocol test client (JSON events on stdout)
#   member NAME          an identity file NAME (no passphrase), its key in NAME.pub
#   start_testserver ID GROUP [ARGS]  a scripted server (test/server): sets
#                        TS_REF and TS_PID; it logs to testserver.log

STORE=$BATS_TEST_TMPDIR/store
MK=$BATS_TEST_TMPDIR/master.key
TESTCLIENT=$GRYPT_TEST_BIN/grypt-testclient
TESTSERVER=$GRYPT_TEST_BIN/grypt-testserver

gs() { gryptserver "$@" --store "$STORE"; }
ga() { as admin grypt-admin "$@"; }

start_server() {
  if [ ! -e "$STORE/grypt.db" ]; then
    [ -e admin.pub ] || new_member admin
    gryptserver init --store "$STORE" --listen 127.0.0.1:0 --host 127.0.0.1 \
      --admin "$(cat admin.pub)" --new-master-key-file "$MK" 2>/dev/null
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
  SREF=$(gs reference)
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

start_admin() {
  start_daemon admin "$@"
}

make_group() {
  REF=$(ga create "$1" "$SREF" --name admin)
  [ -n "$REF" ]
}

# A server with alice and bob (made if missing) in friends at epoch 3, both
# daemons running and synced; arguments go to both daemons.
friends_online() {
  [ -e alice.pub ] || new_member alice
  [ -e bob.pub ] || new_member bob
  start_server
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  ga add friends "$(cat bob.pub)" --name bob >/dev/null
  as alice gryptd join friends "$REF"
  as bob gryptd join friends "$REF"
  start_daemon alice "$@"
  start_daemon bob "$@"
  wait_epoch alice friends 3
  wait_epoch bob friends 3
}

tc() { "$TESTCLIENT" "$@"; }

# ref_edit REF KEY [HOST:PORT...]: REF with KEY (a grypt-pk: string; empty:
# unchanged) as its server's key and, when given, those endpoints in that
# order, with a checksum that matches (grypt-protocol.7, REFERENCES).
ref_edit() {
  python3 - "$@" <<'PY'
import base64, hashlib, sys
def raw(s, prefix):
    s = s[len(prefix):]
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
ref = raw(sys.argv[1], "grypt-ref:")
if sys.argv[2]:
    ref = ref[:1] + raw(sys.argv[2], "grypt-pk:")[:64] + ref[65:]
if len(sys.argv) > 3:
    at = 97 + 1
    for _ in range(ref[97]):
        at += 3 + ref[at + 2]
    endpoints = bytes([len(sys.argv) - 3])
    for e in sys.argv[3:]:
        host, port = e.rsplit(":", 1)
        endpoints += int(port).to_bytes(2, "big") + bytes([len(host)]) + host.encode()
    ref = ref[:97] + endpoints + ref[at:]
body = ref[:-4]
check = hashlib.blake2b(b"grypt reference v2" + body, digest_size=32).digest()[:4]
print("grypt-ref:" + base64.urlsafe_b64encode(body + check).decode().rstrip("="))
PY
}

# ref_with_server_key REF KEYFILE: REF naming the key in KEYFILE as its server's.
ref_with_server_key() { ref_edit "$1" "$(cat "$2")"; }

# ref_with_endpoints REF HOST:PORT...: REF naming those endpoints, in order.
ref_with_endpoints() { ref_edit "$1" "" "${@:2}"; }

# free_port: a TCP port of 127.0.0.1 that nothing listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
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

start_testserver() {
  local id=$1 group=$2
  shift 2
  rm -f "$BATS_TEST_TMPDIR/ts.ref"
  "$TESTSERVER" -i "$id" --group "$group" "$@" >"$BATS_TEST_TMPDIR/ts.ref" \
    2>>"$BATS_TEST_TMPDIR/testserver.log" 3>&- &
  TS_PID=$!
  echo "$TS_PID" >>"$BATS_TEST_TMPDIR/pids"
  # Up to 30 s: a loaded machine under the sanitizers is slow to start it.
  # Until the shell made ts.ref, cat fails: that is no error (errexit).
  local i
  for ((i = 0; i < 600; i++)); do
    TS_REF=$(cat "$BATS_TEST_TMPDIR/ts.ref" 2>/dev/null || true)
    [ -n "$TS_REF" ] && return 0
    kill -0 "$TS_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "the test server did not start:" >&2
  cat "$BATS_TEST_TMPDIR/testserver.log" >&2
  return 1
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
