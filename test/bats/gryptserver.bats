#!/usr/bin/env bats
# gryptserver as an administrator runs it and as members' daemons meet it:
# every server listens on 127.0.0.1 only and is stopped by pid.

load helper
load server_helper

setup() {
  setup_home
  member alice
  member bob
}

teardown() { server_teardown; }

@test "init makes a private store and a master key file; a member gets its states and keys" {
  start_server
  [ "$(stat -c %a "$STORE")" = 700 ]
  [ "$(stat -c %a "$MK")" = 600 ]
  [ "$(stat -c %a "$STORE/grypt.db")" = 600 ]
  [ "$(stat -c %a "$STORE/admin.sock")" = 600 ]
  [[ "$REF" == grypt-ref:* ]]
  run gs add friends "$(cat alice.pub)" --name alice
  assert_success
  assert_output "epoch 2"
  run tc -i alice -r "$REF"
  assert_success
  assert_line --index 2 --regexp '^\{"event":"state","group":"friends","epoch":2,"key":true,"check":"accepted","head":"[A-Za-z0-9_-]{43}"\}$'
  assert_line --index 3 '{"event":"synced","group":"friends","epoch":2}'
  run tc -i alice -r "$REF" --roster
  assert_success
  assert_line --partial '"members":["alice"],"digest":"matches the state"'
}

@test "a non-member is told so, learns nothing more, and shows in pending with its note" {
  start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  run tc -i bob -r "$REF" --note "bob from the bike club"
  assert_failure 1
  assert_line '{"event":"not-member","group":"friends"}'
  refute_output --partial '"state"'
  assert_line '{"event":"closed"}'
  run gs pending friends
  assert_success
  assert_output --regexp "^1  $(cat bob.pub)  [0-9T:Z-]+  1x  \"bob from the bike club\"$"
  run gs pending friends --json
  assert_output --regexp '^\{"ok":true,"pending":\[\{"number":1,"key":"grypt-pk:[^"]+","note":"bob from the bike club","first":[0-9]+,"last":[0-9]+,"count":1\}\]\}$'
  # Added from the pending list: bob now gets the key of the epoch he joined.
  run gs add friends 1 --name bob
  assert_output "epoch 3"
  run gs pending friends
  assert_output ""
  run tc -i bob -r "$REF"
  assert_success
  assert_line --regexp '"epoch":3,"key":true,"check":"accepted"'
  refute_line --regexp '"epoch":2,'
  run gs members friends
  assert_line --index 0 --regexp "^alice  $(cat alice.pub)  since epoch 2$"
  assert_line --index 1 --regexp "^bob  $(cat bob.pub)  since epoch 3$"
}

@test "remove: the others hold the new epoch within a second; the removed key is refused" {
  start_server
  member carol
  for m in alice bob carol; do gs add friends "$(cat $m.pub)" --name $m >/dev/null; done
  tc_bg alice.out -i alice -r "$REF" --stay --timeout 30
  tc_bg carol.out -i carol -r "$REF" --stay --timeout 30
  tc_bg bob.out -i bob -r "$REF" --stay --timeout 30
  for m in alice bob carol; do wait_for $m.out '"synced","group":"friends","epoch":4'; done
  run gs members friends
  assert_line --index 1 --regexp '^bob .*  online$'
  start=$EPOCHREALTIME
  run gs remove friends bob
  assert_success
  assert_output "epoch 5"
  wait_for alice.out '"epoch":5,"key":true,"check":"accepted"' 1
  wait_for carol.out '"synced","group":"friends","epoch":5' 1
  elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
  awk -v e="$elapsed" 'BEGIN { exit !(e < 1.0) }' || { echo "took $elapsed s"; false; }
  wait_for bob.out '"event":"removed","group":"friends"' 1
  refute grep -q '"epoch":5' bob.out
  run tc -i bob -r "$REF"
  assert_failure 1
  assert_line '{"event":"not-member","group":"friends"}'
  # By key, and a key that is not a member.
  run gs remove friends "$(cat carol.pub)"
  assert_output "epoch 6"
  run gs remove friends carol
  assert_failure 2
  assert_output "gryptserver: error: the group friends has no member carol"
}

@test "a member added with its history gets every epoch's key; others from their joining on" {
  start_server
  gs rotate friends >/dev/null
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  gs add friends "$(cat bob.pub)" --name bob --with-history >/dev/null
  run tc -i alice -r "$REF"
  assert_line --index 2 --regexp '"epoch":3,"key":true'
  refute_output --partial '"epoch":1,'
  run tc -i bob -r "$REF"
  assert_line --index 2 --regexp '"epoch":1,"key":true,"check":"accepted"'
  assert_line --index 5 --regexp '"epoch":4,"key":true,"check":"accepted"'
  assert_line --index 6 '{"event":"synced","group":"friends","epoch":4}'
}

@test "a member holding an epoch gets only what follows; a wrong head gets its chain refused" {
  start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  head=$(tc -i alice -r "$REF" | sed -n 's/.*"epoch":2,.*"head":"\([^"]*\)".*/\1/p')
  [ -n "$head" ]
  gs rotate friends >/dev/null
  run tc -i alice -r "$REF" --hold "2:$head"
  assert_success
  refute_line --regexp '"epoch":2,'
  assert_line --index 2 --regexp '"epoch":3,"key":true,"check":"accepted"'
  # A member whose chain differs from the server's: the server sends its
  # chain from the start and the member's own check refuses it.
  run tc -i alice -r "$REF" --hold "3:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
  assert_success
}

@test "a reference with another server's fingerprint: the member refuses the server" {
  start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  GROUP=friends gryptserver init --store other --group friends --listen "127.0.0.1:$PORT" \
    --host 127.0.0.1 --new-master-key-file other.key >other.ref 2>/dev/null
  run tc -i alice -r "$(cat other.ref)"
  assert_failure 1
  assert_line '{"event":"refused","why":"the server'"'"'s key does not match the reference"}'
  refute_output --partial '"state"'
}

@test "TLS 1.2, a client without a certificate and one without ALPN are refused" {
  start_server
  run timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 </dev/null
  assert_failure
  # TLS 1.3: the client's side of the handshake ends before the server
  # checks the client's certificate, so the refusal shows as a closed
  # connection and in the server's log, never as a welcome.
  run bash -c "sleep 1 | timeout 10 openssl s_client -connect 127.0.0.1:$PORT -tls1_3 -alpn grypt/1 -quiet 2>&1"
  refute_output --partial "welcome"
  grep -q "handshake failed: .*certificate" "$BATS_TEST_TMPDIR/server.log"
  openssl genpkey -algorithm ed25519 -out k.pem 2>/dev/null
  openssl req -new -x509 -key k.pem -out c.pem -subj /CN=x -days 1 2>/dev/null
  run timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_3 -cert c.pem -key k.pem </dev/null
  refute_output --partial "welcome"
  grep -q "does not speak grypt/1" "$BATS_TEST_TMPDIR/server.log"
  # The same certificate with ALPN: a proper TLS 1.3 peer gets the welcome.
  run bash -c "sleep 1 | timeout 10 openssl s_client -connect 127.0.0.1:$PORT -tls1_3 -cert c.pem -key k.pem -alpn grypt/1 -quiet 2>/dev/null"
  assert_output --partial '"type":"welcome"'
}

@test "garbage, oversized and cut frames, and stalled peers end their own session only" {
  start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  gs add friends "$(cat bob.pub)" --name bob >/dev/null
  tc_bg alice.out -i alice -r "$REF" --stay --timeout 60
  wait_for alice.out '"synced"'
  # Before TLS: raw garbage, and a peer that connects and never speaks.
  exec 5<>"/dev/tcp/127.0.0.1/$PORT"
  # In a subshell: the server may close first, and the write's SIGPIPE
  # must not end the test.
  (printf 'GET / HTTP/1.1\r\n\r\n\x00\xff garbage' >&5) 2>/dev/null || true
  exec 6<>"/dev/tcp/127.0.0.1/$PORT"
  # After TLS, inside the protocol.
  run tc -i bob -r "$REF" --raw 7fffffff
  assert_line --regexp '"event":"error","code":"too-large"'
  run tc -i bob -r "$REF" --raw 00000000
  assert_line --regexp '"event":"error","code":"protocol"'
  run tc -i bob -r "$REF" --raw 000000107b2274797065223a --timeout 2
  assert_line '{"event":"timeout"}'
  run tc -i bob -r "$REF" --raw 000000096e6f74206a736f6e21
  assert_line --regexp '"event":"error","code":"protocol","message":"a frame that is not JSON"'
  run tc -i bob -r "$REF" --raw 0000000f7b2274797065223a2270696e67227d
  assert_line --regexp '"event":"error","code":"protocol","message":"the first frame must be a hello"'
  tc_bg stall.out -i bob -r "$REF" --stop-after-handshake --timeout 60
  tc_bg nohello.out -i bob -r "$REF" --no-hello --timeout 60
  # Meanwhile alice is served at once.
  start=$EPOCHREALTIME
  gs rotate friends >/dev/null
  wait_for alice.out '"synced","group":"friends","epoch":4' 1
  run gs groups
  assert_success
  assert_output --partial "friends  epoch 4  2 members"
  kill -0 "$SERVER_PID"
  exec 5>&- 6>&-
}

@test "a peer silent after the handshake is dropped at the hello timeout" {
  start_server
  gs add friends "$(cat bob.pub)" --name bob >/dev/null
  run tc -i bob -r "$REF" --no-hello --timeout 20
  assert_line --regexp '"event":"error","code":"timeout","message":"no hello in time"'
  assert_line '{"event":"closed"}'
}

@test "a restart keeps everything; SIGTERM tells members and leaves no socket" {
  start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  gs rotate friends >/dev/null
  before=$(tc -i alice -r "$REF" | grep '"event":"state".*"epoch":3')
  tc_bg alice.out -i alice -r "$REF" --stay --timeout 30
  wait_for alice.out '"synced"'
  stop_server
  wait_for alice.out '"code":"shutdown"' 2
  [ ! -e "$STORE/admin.sock" ]
  grep -q "stopping on SIGTERM" "$BATS_TEST_TMPDIR/server.log"
  start_server
  run tc -i alice -r "$REF"
  assert_success
  assert_line "$before"
  run gs log friends
  assert_line --index 0 --regexp '  init  epoch 1$'
  assert_line --index 1 --regexp '  add  alice grypt-pk:.*; epoch 2$'
  assert_line --index 2 --regexp '  rotate  epoch 3$'
}

@test "one server per store; without a server the verbs act on the store and need the master key" {
  start_server
  run gryptserver serve --store "$STORE" --master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store $STORE is in use by a running gryptserver or another gryptserver command"
  stop_server
  run gs add friends "$(cat alice.pub)" --name alice
  assert_failure 2
  assert_output "gryptserver: error: no gryptserver is running on $STORE: to act on the store directly, give its master key: --master-key-file, --passphrase-fd or --passphrase-file"
  run gs serve
  assert_failure 2
  assert_output "gryptserver: error: serving $STORE needs its master key: --master-key-file, --passphrase-fd or --passphrase-file"
  # The store listens on port 0: without a server, its port is unknown.
  run gs invite friends --master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store listens on any free port, known only while the server runs: start gryptserver serve, then ask again"
  run gs groups --master-key-file "$MK"
  assert_success
  assert_output --regexp '^friends  epoch 1  0 members  0 pending  -$'
  run gs groups --master-key-file "$MK" --json
  assert_output --regexp '"reference":""'

  run gs add friends "$(cat alice.pub)" --name alice --master-key-file "$MK"
  assert_success
  assert_output "epoch 2"
  run gs members friends --master-key-file "$MK" --json
  assert_output --regexp '^\{"ok":true,"members":\[\{"name":"alice","key":"grypt-pk:[^"]+","since":2,"history":false,"online":false\}\]\}$'
}

@test "a wrong master key or passphrase is exit 1 and changes nothing" {
  gryptserver init --store "$STORE" --group friends --listen 127.0.0.1:0 --host 127.0.0.1 \
    --new-master-key-file "$MK" 2>/dev/null
  gryptserver init --store other --group x --listen 127.0.0.1:0 --host 127.0.0.1 \
    --new-master-key-file wrong.key 2>/dev/null
  cp "$STORE/grypt.db" before.db
  run gs add friends "$(cat alice.pub)" --name alice --master-key-file wrong.key
  assert_failure 1
  assert_output "gryptserver: error: wrong master key file for the store $STORE"
  run gryptserver serve --store "$STORE" --master-key-file wrong.key
  assert_failure 1
  cmp "$STORE/grypt.db" before.db
  echo "store passphrase" >pass
  gryptserver init --store pstore --group friends --listen 127.0.0.1:0 --host 127.0.0.1 \
    --passphrase-file pass 2>/dev/null
  echo "not it" >bad
  run gryptserver rotate friends --store pstore --passphrase-file bad
  assert_failure 1
  assert_output "gryptserver: error: wrong passphrase for the store pstore"
  run gryptserver rotate friends --store pstore --passphrase-file pass
  assert_output "epoch 2"
  run gryptserver rotate friends --store pstore --master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store pstore is locked by a passphrase: give --passphrase-fd or --passphrase-file"
}

@test "a store field edited, or copied to another row, is named" {
  gryptserver init --store "$STORE" --group friends --listen 127.0.0.1:0 --host 127.0.0.1 \
    --new-master-key-file "$MK" 2>/dev/null
  gs add friends "$(cat alice.pub)" --name alice --master-key-file "$MK" >/dev/null
  cp -a "$STORE" pristine
  sqlite3 "$STORE/grypt.db" "UPDATE epochs SET epoch_key = (SELECT epoch_key FROM epochs WHERE epoch = 1) WHERE epoch = 2"
  run gs members friends --master-key-file "$MK"
  assert_failure 1
  assert_output "gryptserver: error: the store is damaged: epochs.epoch_key.group=1.epoch=2 does not decrypt (edited, or copied from another row)"
  run gryptserver serve --store "$STORE" --master-key-file "$MK"
  assert_failure 1
  rm -rf "$STORE" && cp -a pristine "$STORE"
  sqlite3 "$STORE/grypt.db" "UPDATE members SET since = 1 WHERE name = 'alice'"
  run gs members friends --master-key-file "$MK"
  assert_failure 1
  assert_output --regexp '^gryptserver: error: the store is damaged: members.auth.1 group=1 name=alice .* does not decrypt \(edited, or copied from another row\)$'
}

@test "init refuses what it cannot do and leaves nothing half-made" {
  run gryptserver init --store s --group friends --listen 0.0.0.0:4433 --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: listening on every address: give --host NAME, the name members connect to"
  [ ! -e s ] && [ ! -e k ]
  run gryptserver init --store s --group 'bad name' --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: invalid group name 'bad name': a name is made of letters, digits, '.', '_' and '-'"
  run gryptserver init --store s --group friends --listen 127.0.0.1:4433
  assert_failure 2
  [ ! -e s/grypt.db ]
  gryptserver init --store s --group friends --listen 127.0.0.1:4433 --new-master-key-file k >ref
  run gryptserver init --store s --group friends --master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: the group friends exists already"
  run gryptserver init --store s --group second --master-key-file k
  assert_success
  assert_output --regexp '^grypt-ref:[A-Za-z0-9_-]+$'
  run gryptserver init --store s --group third --new-master-key-file k2
  assert_failure 2
  [ ! -e k2 ]
}

@test "admin errors: unknown group, taken name or key, bad key, unknown pending number" {
  start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  run gs add nope "$(cat bob.pub)" --name bob
  assert_failure 2
  assert_output "gryptserver: error: no group named nope"
  run gs add friends "$(cat bob.pub)" --name alice
  assert_failure 2
  assert_output "gryptserver: error: the group friends has a member named alice already"
  run gs add friends "$(cat alice.pub)" --name alice2
  assert_failure 2
  assert_output "gryptserver: error: that key is a member of friends already, as alice"
  run gs add friends grypt-pk:nonsense --name bob
  assert_failure 2
  assert_output "gryptserver: error: invalid public key: 6 bytes, not 68"
  run gs add friends 42 --name bob
  assert_failure 2
  assert_output "gryptserver: error: the group friends has no pending request 42"
  run gs add friends "$(cat bob.pub)" --name $'b\x1bob'
  assert_failure 2
  run gs members nope
  assert_failure 2
  assert_output "gryptserver: error: no group named nope"
  run gs frobnicate friends
  assert_failure 2
  assert_output "gryptserver: error: unknown verb 'frobnicate' (see gryptserver --help)"
}

@test "the admin socket serves only its own user" {
  command -v setpriv >/dev/null || skip "setpriv is not installed"
  [ "$(id -u)" -eq 0 ] || skip "needs root to run a client as another user"
  start_server
  # Another user who reaches the socket: the server's own check refuses it.
  d=$STORE
  while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
  chmod 666 "$STORE/admin.sock"
  run setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 - "$STORE/admin.sock" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
try:
    s.sendall(struct.pack(">I", 17) + b'{"type":"groups"}')
    print("answer:", len(s.recv(1 << 16)))
except OSError:
    print("answer: 0")
PY
  assert_success
  assert_output "answer: 0"
  grep -q "admin socket: refused a peer of another user" "$BATS_TEST_TMPDIR/server.log"
  # The verbs of another user stop at the store, which is not theirs.
  run setpriv --reuid=nobody --regid=nogroup --clear-groups gryptserver groups --store "$STORE"
  assert_failure 2
  assert_output "gryptserver: error: the store $STORE belongs to another user (uid 0): run gryptserver as its owner"
}

@test "--help names every verb; --version" {
  run gryptserver --help
  assert_success
  for verb in init serve add remove rotate members pending log invite groups; do
    [[ "$output" == *"$verb"* ]] || { echo "no $verb in the help"; false; }
  done
  run gryptserver --version
  assert_output --regexp '^gryptserver [0-9.]+$'
  run gryptserver
  assert_failure 2
  assert_output "gryptserver: error: give a verb (see gryptserver --help)"
}

@test "connections up to the descriptor limit leave room for the administrator and the members' sessions" {
  SERVER_FILES=200 start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  # 250 idle connections: more than the server may hold under 200 files.
  /usr/bin/python3 - "$PORT" <<'PY' &
import socket, sys, time
held = []
for _ in range(250):
    try:
        held.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2))
    except OSError:
        pass
time.sleep(8)
PY
  echo $! >>"$BATS_TEST_TMPDIR/pids"
  wait_for "$BATS_TEST_TMPDIR/server.log" "at the limit of 136 sessions"
  run gs groups
  assert_success
  assert_output --regexp '^friends  epoch 2  1 members  0 pending  grypt-ref:'
  kill -0 "$SERVER_PID"
}

@test "a key built from a member's signing half and another key's is refused by add, saying whose" {
  start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  mallory=$(python3 - "$(cat alice.pub)" "$(cat bob.pub)" <<'PY'
import base64, hashlib, sys
def raw(s):
    s = s[len("grypt-pk:"):]
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))[:64]
key = raw(sys.argv[1])[:32] + raw(sys.argv[2])[32:]
check = hashlib.blake2b(b"grypt fingerprint v1" + key, digest_size=32).digest()[:4]
print("grypt-pk:" + base64.urlsafe_b64encode(key + check).decode().rstrip("="))
PY
)
  run gs add friends "$mallory" --name mallory
  assert_failure 2
  assert_output "gryptserver: error: that key's signing half is the key of alice, a member of friends: refusing a key built from another member's"
  run tc -i alice -r "$REF"
  assert_success
  assert_line '{"event":"synced","group":"friends","epoch":2}'
}

@test "the store directory and the admin socket are checked at every start and verb" {
  command -v setpriv >/dev/null || skip "setpriv is not installed"
  [ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
  gryptserver init --store "$STORE" --group friends --listen 127.0.0.1:0 --host 127.0.0.1 \
    --new-master-key-file "$MK" 2>/dev/null
  chmod 770 "$STORE"
  run gs groups --master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store $STORE can be written by others (chmod 700 $STORE)"
  run gryptserver serve --store "$STORE" --master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store $STORE can be written by others (chmod 700 $STORE)"
  chmod 700 "$STORE"
  ln -s "$STORE" link
  run gryptserver groups --store link --master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store link is a symbolic link: give the directory itself"
  chown nobody "$STORE"
  run gs groups --master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store $STORE belongs to another user (uid $(id -u nobody)): run gryptserver as its owner"
  chown root "$STORE"
  # An admin socket answered by another user's process: nothing is sent.
  mkdir -m 777 fake
  setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 - fake <<'PY' &
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1] + "/admin.sock"); s.listen(1)
c, _ = s.accept()
c.settimeout(5)
try:
    got = c.recv(1 << 16)
except OSError:
    got = b""
open(sys.argv[1] + "/got", "wb").write(got)
reply = b'{"ok":true,"epoch":5}'
try:
    c.sendall(struct.pack(">I", len(reply)) + reply)
except OSError:
    pass
PY
  echo $! >>"$BATS_TEST_TMPDIR/pids"
  for _ in $(seq 50); do [ -S fake/admin.sock ] && break; sleep 0.05; done
  mv fake/admin.sock "$STORE/admin.sock"
  run gs remove friends alice
  assert_failure 2
  assert_output "gryptserver: error: the admin socket $STORE/admin.sock is answered by another user (uid $(id -u nobody)): refusing to use it"
  for _ in $(seq 50); do [ -e fake/got ] && break; sleep 0.1; done
  [ ! -s fake/got ]
}

@test "the start-up check: a removal's epoch deleted and the group's epoch stepped back is named" {
  start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  gs add friends "$(cat bob.pub)" --name bob >/dev/null
  run gs remove friends bob
  assert_output "epoch 4"
  stop_server
  cp -a "$STORE" pristine
  sqlite3 "$STORE/grypt.db" "DELETE FROM epochs WHERE epoch = 4; UPDATE groups SET epoch = 3"
  run timeout 10 gryptserver serve --store "$STORE" --master-key-file "$MK" --listen 127.0.0.1:0
  assert_failure 1
  assert_output "gryptserver: error: the store is damaged: group friends: member bob names an epoch after the current one, 3"
  # The current members that are not the current state's roster.
  rm -rf "$STORE" && cp -a pristine "$STORE"
  sqlite3 "$STORE/grypt.db" "DELETE FROM epochs WHERE epoch = 4; UPDATE groups SET epoch = 3; DELETE FROM members WHERE name = 'bob'"
  run timeout 10 gryptserver serve --store "$STORE" --master-key-file "$MK" --listen 127.0.0.1:0
  assert_failure 1
  assert_output "gryptserver: error: the store is damaged: group friends: its current members are not the roster of epoch 3"
  # The group's epoch ahead of its newest state.
  rm -rf "$STORE" && cp -a pristine "$STORE"
  sqlite3 "$STORE/grypt.db" "UPDATE groups SET epoch = 5"
  run gs members friends --master-key-file "$MK"
  assert_failure 1
  assert_output "gryptserver: error: the store is damaged: group friends: its epochs do not end at its current epoch 5"
}

@test "init checks --listen and --host as serve and a reference reader do; request numbers of any length" {
  run gryptserver init --store s --group friends --listen 127.0.0.1:99999 --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: the port in --listen '127.0.0.1:99999' is out of range (0 to 65535)"
  run gryptserver init --store s --group friends --listen localhost:0 --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: --listen: 'localhost' is not an IP address"
  run gryptserver init --store s --group friends --listen 127.0.0.1:x --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: --listen takes HOST:PORT, not '127.0.0.1:x'"
  long=$(printf 'h%.0s' $(seq 254))
  run gryptserver init --store s --group friends --listen 127.0.0.1:4433 --host "$long" --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: --host '$long': a host is 1 to 253 characters"
  [ ! -e s ] && [ ! -e k ]
  run gryptserver init --store s --group friends --listen 127.0.0.1:4433 --host "${long:1}" --new-master-key-file k
  assert_success
  mkdir -p run && chmod 700 run
  XDG_RUNTIME_DIR=$PWD/run gryptd join friends "$output"
  grep -q "^friends grypt-ref:" "$XDG_CONFIG_HOME/grypt/groups"
  # A request number too long for 64 bits is a number no request has.
  run gryptserver add friends 99999999999999999999 --name bob --store s --master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: the group friends has no pending request 99999999999999999999"
  start_server
  run gs add friends 99999999999999999999 --name bob
  assert_failure 2
  assert_output "gryptserver: error: the group friends has no pending request 99999999999999999999"
}

@test "not-member takes the same time for a missing group and an existing one: the request is recorded after the answer" {
  start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  # The store busy for 4 s: recording bob's request waits; the answers do not.
  (echo "BEGIN EXCLUSIVE;"; sleep 4; echo "COMMIT;") | sqlite3 "$STORE/grypt.db" 3>&- &
  echo $! >>"$BATS_TEST_TMPDIR/pids"
  sleep 0.5
  run tc -i bob -r "$REF" --also nosuch --timing --note "let me in"
  assert_failure 1
  for g in friends nosuch; do
    ms=$(echo "$output" | sed -n "s/.*\"not-member\",\"group\":\"$g\",\"ms\":\([0-9.]*\).*/\1/p")
    [ -n "$ms" ]
    awk -v m="$ms" 'BEGIN { exit !(m < 1000) }' || { echo "$g: not-member after $ms ms"; false; }
  done
  # Recorded once the store was free again.
  for _ in $(seq 100); do gs pending friends | grep -q "let me in" && break; sleep 0.1; done
  run gs pending friends
  assert_output --regexp "^1  $(cat bob.pub)  .*\"let me in\"$"
}

@test "rosters only of entitled epochs; a hello beyond the current epoch; 64 groups in a hello" {
  start_server
  gs add friends "$(cat alice.pub)" --name alice >/dev/null
  gs add friends "$(cat bob.pub)" --name bob >/dev/null
  # bob, added at epoch 3 without history, asks for epoch 2's roster.
  run tc -i bob -r "$REF" --roster --roster-epoch 2
  assert_failure 2
  assert_line '{"event":"error","code":"protocol","message":"a roster of an epoch this member has no right to"}'
  refute_output --partial '"event":"roster"'
  run tc -i bob -r "$REF" --roster --roster-epoch 3
  assert_success
  assert_line --partial '"members":["alice","bob"],"digest":"matches the state"'
  # A member claiming an epoch the server never made gets the chain from
  # its start, and the server stays up.
  run tc -i alice -r "$REF" --hold "99:$(printf 'A%.0s' $(seq 43))"
  assert_success
  assert_line --index 2 --regexp '^\{"event":"state","group":"friends","epoch":2,"key":true,"check":"accepted"'
  assert_line --index 4 '{"event":"synced","group":"friends","epoch":3}'
  kill -0 "$SERVER_PID"
  # 64 groups in one hello are served; 65 are not.
  run tc -i alice -r "$REF" --groups 64
  assert_failure 1
  assert_line '{"event":"synced","group":"friends","epoch":3}'
  [ "$(echo "$output" | grep -c '"event":"not-member"')" -eq 63 ]
  run tc -i alice -r "$REF" --groups 65
  assert_failure 2
  assert_line --partial '{"event":"error","code":"too-many-groups"'
}
