#!/usr/bin/env bats
# gryptserver as an operator runs it, as administrators' and members'
# daemons meet it: every server listens on 127.0.0.1 only and is stopped by
# pid. The server relays what the group's administrators sign (grypt-admin,
# through the admin's gryptd); it holds no key that opens a post.

load helper
load member_helper
load server_helper

setup() {
  setup_home
  member alice
  member bob
}

teardown() { server_teardown; }

# A server running, its administrator's daemon, and the group friends.
friends() {
  start_server
  start_admin
  make_group friends
}

@test "init makes a private store; an administrator creates a group; a member gets its states and its keys" {
  friends
  [ "$(stat -c %a "$STORE")" = 700 ]
  [ "$(stat -c %a "$MK")" = 600 ]
  [ "$(stat -c %a "$STORE/grypt.db")" = 600 ]
  [ "$(stat -c %a "$STORE/admin.sock")" = 600 ]
  [[ "$SREF" == grypt-srv:* ]]
  [[ "$REF" == grypt-ref:* ]]
  run ga add friends "$(cat alice.pub)" --name alice
  assert_success
  assert_output "epoch 2"
  run tc -i alice -r "$REF"
  assert_success
  assert_line --index 2 --regexp '^\{"event":"state","group":"friends","epoch":1,"key":false,"check":"accepted","head":"[A-Za-z0-9_-]{43}"\}$'
  assert_line --index 3 --regexp '^\{"event":"state","group":"friends","epoch":2,"key":true,"check":"accepted","head":"[A-Za-z0-9_-]{43}"\}$'
  assert_line --index 4 '{"event":"synced","group":"friends","epoch":2}'
  run gs groups
  assert_success
  assert_output "friends  epoch 2  2 members  1 admins  1 online  $REF"
}

@test "a leave: checked in order (not-member, bad-request), kept for the administrators, then the group is followed no more" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  run tc -i alice -r "$REF" --leave unfollowed
  assert_failure 1
  assert_line '{"event":"refused","group":"unfollowed","code":"not-member","message":"a leave for a group this connection does not follow as a member"}'
  for bad in join-request stale other-group; do
    run tc -i alice -r "$REF" --leave "$bad"
    assert_failure 1
    assert_line '{"event":"refused","group":"friends","code":"bad-request","message":"not a leave request of this key for the group, made within 24 hours of the server'"'"'s clock"}'
  done
  run ga pending friends
  assert_output ""
  # A good one: "left", then the connection, which followed only friends, closes.
  run tc -i alice -r "$REF" --leave request --stay
  assert_success
  assert_line '{"event":"left","group":"friends"}'
  assert_line '{"event":"closed"}'
  run ga pending friends
  assert_output --regexp "^1  $(fingerprint_of alice.pub)  [0-9T:Z-]+  1x  leave alice$"
  # add refuses it; removing the member settles it.
  run ga add friends 1 --name alice2
  assert_failure 2
  assert_output "grypt-admin: error: pending request 1 asks to leave, not to join (remove the member instead)"
  run ga remove friends alice
  assert_output "epoch 3"
  run ga pending friends
  assert_output ""
}

@test "a non-member is told so, learns nothing more, and shows in the administrators' pending list with its note" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  run tc -i bob -r "$REF" --note "bob from the bike club"
  assert_failure 1
  assert_line '{"event":"not-member","group":"friends"}'
  refute_output --partial '"state"'
  assert_line '{"event":"closed"}'
  run ga pending friends
  assert_success
  assert_output --regexp "^1  $(fingerprint_of bob.pub)  [0-9T:Z-]+  1x  \"bob from the bike club\"$"
  # JSON: the whole key and its fingerprint.
  run ga pending friends --json
  T='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
  assert_output --regexp "^\{\"pending\":\[\{\"number\":1,\"kind\":\"join\",\"key\":\"$(cat bob.pub)\",\"name\":null,\"fingerprint\":\"$(fingerprint_of bob.pub)\",\"note\":\"bob from the bike club\",\"time\":\"$T\",\"first\":\"$T\",\"last\":\"$T\",\"count\":1\}\]\}$"
  # Added from the pending list: bob gets the key of the epoch he joined.
  run ga add friends 1 --name bob
  assert_output "epoch 3"
  run ga pending friends
  assert_output ""
  run tc -i bob -r "$REF"
  assert_success
  assert_line --regexp '"epoch":3,"key":true,"check":"accepted"'
  assert_line --regexp '"epoch":2,"key":false,"check":"accepted"'
  run ga members friends
  assert_line --index 1 "alice  member  since epoch 2  $(fingerprint_of alice.pub)"
  assert_line --index 2 "bob  member  since epoch 3  $(fingerprint_of bob.pub)"
  run ga members friends --json
  assert_output --partial "{\"name\":\"bob\",\"key\":\"$(cat bob.pub)\",\"fingerprint\":\"$(fingerprint_of bob.pub)\",\"role\":\"member\",\"since\":3}"
}

@test "remove: the others hold the new epoch within a second; the removed key is refused" {
  friends
  member carol
  for m in alice bob carol; do ga add friends "$(cat $m.pub)" --name $m >/dev/null; done
  tc_bg alice.out -i alice -r "$REF" --stay --timeout 30
  tc_bg carol.out -i carol -r "$REF" --stay --timeout 30
  tc_bg bob.out -i bob -r "$REF" --stay --timeout 30
  for m in alice bob carol; do wait_for $m.out '"synced","group":"friends","epoch":4'; done
  start=$EPOCHREALTIME
  run ga remove friends bob
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
  # By key, and a name that is no longer a member.
  run ga remove friends "$(cat carol.pub)"
  assert_output "epoch 6"
  run ga remove friends carol
  assert_failure 2
  assert_output "grypt-admin: error: the group friends has no member carol"
}

@test "a member added with its history gets every key its administrator held; others from their joining on" {
  friends
  ga rotate friends >/dev/null
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  ga add friends "$(cat bob.pub)" --name bob --with-history >/dev/null
  run tc -i alice -r "$REF"
  assert_line --regexp '"epoch":3,"key":true'
  refute_output --partial '"history"'
  run tc -i bob -r "$REF"
  assert_line --index 5 --regexp '"epoch":4,"key":true,"check":"accepted"'
  for e in 1 2 3; do
    assert_line '{"event":"history","group":"friends","grant":4,"epoch":'$e',"check":"accepted"}'
  done
  assert_line '{"event":"synced","group":"friends","epoch":4}'
  # A grant later gives the same keys to a member added without them,
  # pushed at once while it is connected.
  tc_bg alice.out -i alice -r "$REF" --stay --timeout 30
  wait_for alice.out '"synced","group":"friends","epoch":4'
  run ga grant friends alice
  assert_output "epoch 5"
  for e in 1 2; do
    wait_for alice.out '{"event":"history","group":"friends","grant":5,"epoch":'$e',"check":"accepted"}' 2
  done
  run tc -i alice -r "$REF"
  for e in 1 2; do
    assert_line '{"event":"history","group":"friends","grant":5,"epoch":'$e',"check":"accepted"}'
  done
}

@test "a member holding an epoch gets only what follows; a head off the chain gets the chain from its start" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  head=$(tc -i alice -r "$REF" | sed -n 's/.*"epoch":2,.*"head":"\([^"]*\)".*/\1/p')
  [ -n "$head" ]
  ga rotate friends >/dev/null
  # The client holds no chain of its own: it cannot check epoch 3 without
  # epoch 2, and says so; what matters is what the server sent.
  run tc -i alice -r "$REF" --hold "2:$head"
  refute_line --regexp '"epoch":[12],'
  assert_line --index 2 --regexp '"epoch":3,"key":true,'
  run tc -i alice -r "$REF" --hold "2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
  assert_success
  assert_line --index 2 --regexp '"epoch":1,"key":false,"check":"accepted"'
  # An epoch the server never made: the chain from its start, and the
  # server stays up.
  run tc -i alice -r "$REF" --hold "99:$(printf 'A%.0s' $(seq 43))"
  assert_success
  assert_line --index 2 --regexp '"epoch":1,"key":false,"check":"accepted"'
  assert_line --index 5 '{"event":"synced","group":"friends","epoch":3}'
  kill -0 "$SERVER_PID"
}

@test "a reference naming another server key: the member refuses the server in the handshake" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  other=$(ref_with_server_key "$REF" bob.pub)
  run tc -i alice -r "$other"
  assert_failure 1
  assert_line '{"event":"refused","why":"the server'"'"'s key does not match the reference"}'
  refute_output --partial '"welcome"'
  # The refusal comes before alice's certificate is sent: the server saw
  # no client key.
  run grep -c "alice\|$(key_id_of alice.pub)" "$BATS_TEST_TMPDIR/server.log"
  assert_output 0
  grep -q "handshake failed" "$BATS_TEST_TMPDIR/server.log"
}

@test "TLS 1.2, a client without a certificate and one without ALPN grypt/2 are refused" {
  start_server
  run timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 </dev/null
  assert_failure
  # TLS 1.3: the client's side of the handshake ends before the server
  # checks the client's certificate, so the refusal shows as a closed
  # connection and in the server's log, never as a welcome.
  run bash -c "sleep 1 | timeout 10 openssl s_client -connect 127.0.0.1:$PORT -tls1_3 -alpn grypt/2 -quiet 2>&1"
  refute_output --partial "welcome"
  grep -q "handshake failed: .*certificate" "$BATS_TEST_TMPDIR/server.log"
  openssl genpkey -algorithm ed25519 -out k.pem 2>/dev/null
  openssl req -new -x509 -key k.pem -out c.pem -subj /CN=x -days 1 2>/dev/null
  run timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_3 -cert c.pem -key k.pem </dev/null
  refute_output --partial "welcome"
  grep -q "does not speak grypt/2" "$BATS_TEST_TMPDIR/server.log"
  # Version 1's ALPN: refused the same way.
  : >"$BATS_TEST_TMPDIR/server.log"
  run bash -c "sleep 1 | timeout 10 openssl s_client -connect 127.0.0.1:$PORT -tls1_3 -cert c.pem -key k.pem -alpn grypt/1 -quiet 2>/dev/null"
  refute_output --partial "welcome"
  # The same certificate with ALPN grypt/2: a proper TLS 1.3 peer gets the welcome.
  run bash -c "sleep 1 | timeout 10 openssl s_client -connect 127.0.0.1:$PORT -tls1_3 -cert c.pem -key k.pem -alpn grypt/2 -quiet 2>/dev/null"
  assert_output --partial '"type":"welcome"'
}

@test "garbage, oversized and cut frames, and stalled peers end their own session only" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  ga add friends "$(cat bob.pub)" --name bob >/dev/null
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
  ga rotate friends >/dev/null
  wait_for alice.out '"synced","group":"friends","epoch":4' 1
  run gs groups
  assert_success
  assert_output --partial "friends  epoch 4  3 members"
  kill -0 "$SERVER_PID"
  exec 5>&- 6>&-
}

@test "a peer silent after the handshake is dropped at the hello timeout" {
  friends
  run tc -i bob -r "$REF" --no-hello --timeout 20
  assert_line --regexp '"event":"error","code":"timeout","message":"no hello in time"'
  assert_line '{"event":"closed"}'
}

@test "a restart keeps everything; SIGTERM tells members and leaves no socket" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  ga rotate friends >/dev/null
  before=$(tc -i alice -r "$REF" | grep '"event":"state".*"epoch":3')
  tc_bg alice.out -i alice -r "$REF" --stay --timeout 30
  wait_for alice.out '"synced"'
  stop_server
  wait_for alice.out '"code":"shutdown"' 2
  [ ! -e "$STORE/admin.sock" ]
  grep -q "stopping on SIGTERM" "$BATS_TEST_TMPDIR/server.log"
  SERVE_LISTEN=127.0.0.1:$PORT start_server
  run tc -i alice -r "$REF"
  assert_success
  assert_line "$before"
  run ga log friends
  assert_line --index 0 --regexp '^epoch 1  [0-9T:Z-]+  admin  create  admin \(admin\)$'
  assert_line --index 1 --regexp '^epoch 2  [0-9T:Z-]+  admin  add  alice \(member\)$'
  assert_line --index 2 --regexp '^epoch 3  [0-9T:Z-]+  admin  rotate$'
}

@test "a listing longer than one frame comes in parts, joined whole and in order" {
  start_server
  # Parts of at most 256 bytes: each member or log line is one part.
  start_admin --test-reply-part-bytes 256
  make_group friends
  for i in $(seq 1 12); do
    member "m$i"
    ga add friends "$(cat m$i.pub)" --name "m$i" >/dev/null
  done
  run ga members friends
  assert_success
  [ "${#lines[@]}" -eq 13 ]
  for i in $(seq 1 12); do
    assert_line --index "$i" "m$i  member  since epoch $((i + 1))  $(fingerprint_of m$i.pub)"
  done
  run ga log friends --json
  assert_success
  run python3 -c 'import json, sys
log = json.load(sys.stdin)["log"]
import re
times = all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]) for e in log)
print(len(log), [e["epoch"] for e in log] == list(range(1, 14)), log[-1]["subject"], times)' <<<"$output"
  assert_output "13 True m12 True"
}

@test "one server per store; without a server the verbs act on the store and need the master key" {
  friends
  run gryptserver serve --store "$STORE" --master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store $STORE is in use by a running gryptserver or another gryptserver command"
  stop_server
  run gs groups
  assert_failure 2
  assert_output "gryptserver: error: no gryptserver is running on $STORE: to act on the store directly, give its master key: --master-key-file, --passphrase-fd or --passphrase-file"
  run gs serve
  assert_failure 2
  assert_output "gryptserver: error: serving $STORE needs its master key: --master-key-file, --passphrase-fd or --passphrase-file"
  run gs groups --master-key-file "$MK"
  assert_success
  assert_output 'friends  epoch 1  1 members  1 admins  0 online  -'
  run gs admins add "$(cat alice.pub)" --master-key-file "$MK"
  assert_success
  run gs admins --master-key-file "$MK"
  assert_line "$(cat alice.pub)"
  assert_line "$(cat admin.pub)"
}

@test "a store on port 0 has no reference until it serves" {
  new_member admin
  gryptserver init --store "$STORE" --listen 127.0.0.1:0 --admin "$(cat admin.pub)" \
    --new-master-key-file "$MK" 2>/dev/null
  run gs reference --master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store listens on any free port, known only while the server runs: start gryptserver serve, then ask again"
}

@test "a wrong master key or passphrase is exit 1 and changes nothing" {
  new_member admin
  gryptserver init --store "$STORE" --admin "$(cat admin.pub)" --listen 127.0.0.1:0 \
    --new-master-key-file "$MK" 2>/dev/null
  gryptserver init --store other --admin "$(cat admin.pub)" --listen 127.0.0.1:0 \
    --new-master-key-file wrong.key 2>/dev/null
  cp "$STORE/grypt.db" before.db
  run gs admins add "$(cat alice.pub)" --master-key-file wrong.key
  assert_failure 1
  assert_output "gryptserver: error: wrong master key file for the store $STORE"
  run gryptserver serve --store "$STORE" --master-key-file wrong.key
  assert_failure 1
  cmp "$STORE/grypt.db" before.db
  echo "store passphrase" >pass
  gryptserver init --store pstore --admin "$(cat admin.pub)" --listen 127.0.0.1:0 \
    --passphrase-file pass 2>/dev/null
  echo "not it" >bad
  run gryptserver admins --store pstore --passphrase-file bad
  assert_failure 1
  assert_output "gryptserver: error: wrong passphrase for the store pstore"
  run gryptserver admins --store pstore --passphrase-file pass
  assert_output "$(cat admin.pub)"
  run gryptserver admins --store pstore --master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store pstore is locked by a passphrase: give --passphrase-fd or --passphrase-file"
}

@test "a stored state edited, missing or out of order is named at start; the server key's row edited is named" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  ga add friends "$(cat bob.pub)" --name bob >/dev/null
  stop_server
  cp -a "$STORE" pristine
  # One byte of epoch 2's roster digest: its signature fails.
  sqlite3 "$STORE/grypt.db" "UPDATE states SET state = substr(state, 1, 100) || X'FF' || substr(state, 102) WHERE epoch = 2"
  run gs groups --master-key-file "$MK"
  assert_failure 1
  assert_output "gryptserver: error: the store is damaged: group friends: epoch 2: the state's signature does not verify"
  run timeout 10 gryptserver serve --store "$STORE" --master-key-file "$MK"
  assert_failure 1
  assert_output "gryptserver: error: the store is damaged: group friends: epoch 2: the state's signature does not verify"
  # A state deleted from the middle.
  rm -rf "$STORE" && cp -a pristine "$STORE"
  sqlite3 "$STORE/grypt.db" "DELETE FROM states WHERE epoch = 2"
  run gs groups --master-key-file "$MK"
  assert_failure 1
  assert_output "gryptserver: error: the store is damaged: states.epoch 3 of group 1: epochs are missing"
  # The group's head ahead of its newest state.
  rm -rf "$STORE" && cp -a pristine "$STORE"
  sqlite3 "$STORE/grypt.db" "UPDATE groups SET head = 5"
  run gs groups --master-key-file "$MK"
  assert_failure 1
  assert_output "gryptserver: error: the store is damaged: group friends: its states end at epoch 3, its head says 5"
  # The server's secret key, edited.
  rm -rf "$STORE" && cp -a pristine "$STORE"
  sqlite3 "$STORE/grypt.db" "UPDATE meta SET server_secret = substr(server_secret, 1, 20) || X'00' || substr(server_secret, 22)"
  run timeout 10 gryptserver serve --store "$STORE" --master-key-file "$MK"
  assert_failure 1
  assert_output --regexp '^gryptserver: error: the store is damaged: meta.server_secret'
}

@test "init refuses what it cannot do and leaves nothing half-made" {
  new_member admin
  run gryptserver init --store s --admin "$(cat admin.pub)" --listen 0.0.0.0:4433 --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: listening on every address: give --host NAME, the name members connect to"
  [ ! -e s ] && [ ! -e k ]
  run gryptserver init --store s --listen 127.0.0.1:4433 --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: init needs --admin KEY, a key allowed to create groups (see gryptserver --help)"
  [ ! -e s ] && [ ! -e k ]
  run gryptserver init --store s --admin grypt-pk:nonsense --listen 127.0.0.1:4433 --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: invalid public key: 6 bytes, not 68"
  [ ! -e s ] && [ ! -e k ]
  run gryptserver init --store s --admin "$(cat admin.pub)" --listen 127.0.0.1:4433
  assert_failure 2
  [ ! -e s/grypt.db ]
  run gryptserver init --store s --admin "$(cat admin.pub)" --listen 127.0.0.1:4433 --new-master-key-file k
  assert_success
  assert_output --regexp '^grypt-srv:[A-Za-z0-9_-]+$'
  run gryptserver init --store s --admin "$(cat admin.pub)" --master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: the store s exists already (gryptserver admins adds a key to it)"
  # A key file's missing directories (/etc/grypt in the README) are made,
  # private; none is made when init refuses before.
  run gryptserver init --store s2 --listen 0.0.0.0:4433 --admin "$(cat admin.pub)" --new-master-key-file etc/grypt/k
  assert_failure 2
  [ ! -e etc ]
  run gryptserver init --store s2 --listen 127.0.0.1:4433 --admin "$(cat admin.pub)" --new-master-key-file etc/grypt/k
  assert_success
  [ "$(stat -c %a etc/grypt) $(stat -c %a etc/grypt/k)" = "700 600" ]
}

@test "grypt-admin errors: unknown group, taken name or key, bad key, unknown pending number, not an administrator" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  run ga add nope "$(cat bob.pub)" --name bob
  assert_failure 2
  assert_output "grypt-admin: error: no group named nope (see gryptd join)"
  run ga add friends "$(cat bob.pub)" --name alice
  assert_failure 2
  assert_output "grypt-admin: error: friends: the name alice is taken"
  run ga add friends "$(cat alice.pub)" --name alice2
  assert_failure 2
  assert_output "grypt-admin: error: friends: the key is a member already, as alice"
  run ga add friends grypt-pk:nonsense --name bob
  assert_failure 2
  assert_output "grypt-admin: error: invalid public key: 6 bytes, not 68"
  run ga add friends 42 --name bob
  assert_failure 2
  assert_output "grypt-admin: error: the group friends has no pending request 42"
  run ga add friends 99999999999999999999 --name bob
  assert_failure 2
  assert_output "grypt-admin: error: the group friends has no pending request 99999999999999999999"
  run ga add friends "$(cat bob.pub)" --name $'b\x1bob'
  assert_failure 2
  assert_output "grypt-admin: error: invalid --name 'b\\x1bob': a name is made of letters, digits, '.', '_' and '-'"
  run ga remove friends 'no body'
  assert_failure 2
  assert_output "grypt-admin: error: invalid member name 'no body': a name is made of letters, digits, '.', '_' and '-'"
  run ga members nope
  assert_failure 2
  assert_output "grypt-admin: error: no group named nope (see gryptd join)"
  run ga frobnicate friends
  assert_failure 2
  assert_output "grypt-admin: error: unknown verb 'frobnicate' (see grypt-admin --help)"
  # The last administrator cannot be removed, or demoted.
  run ga remove friends admin
  assert_failure 2
  assert_output "grypt-admin: error: friends: the last administrator cannot be removed"
  run ga demote friends admin
  assert_failure 2
  assert_output "grypt-admin: error: friends: the last administrator cannot be demoted"
  # A member that is not an administrator: exit 1, and nothing changes.
  new_member alice2
  as alice2 gryptd join friends "$REF" >/dev/null
  ga add friends "$(cat alice2.pub)" --name alice2 >/dev/null
  start_daemon alice2
  wait_epoch alice2 friends 3
  run as alice2 grypt-admin rotate friends
  assert_failure 1
  assert_output "grypt-admin: error: you are not an administrator of friends"
  # A key the server does not let create groups: refused (its connection,
  # a member's, stays open to say so).
  run as alice2 grypt-admin create club "$SREF"
  assert_failure 1
  assert_output "grypt-admin: error: the server refused to create club: this server does not let that key create groups"
  run as alice2 gryptd status
  refute_output --partial club
  # A key with no group on the server: the server closes its connection.
  new_member dave
  start_daemon dave
  run as dave grypt-admin create club "$SREF"
  assert_failure 2
  assert_output "grypt-admin: error: gryptd: the server did not answer the creation of club: it cannot be reached, or does not let your key create groups (gryptserver admins)"
  run as alice2 gryptd status
  refute_output --partial club
  run gs groups
  assert_output --partial "friends  epoch 3  "
}

@test "the admin socket serves only its own user" {
  command -v setpriv >/dev/null || skip "setpriv is not installed"
  [ "$(id -u)" -eq 0 ] || skip "needs root to run a client as another user"
  start_server
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
  run setpriv --reuid=nobody --regid=nogroup --clear-groups gryptserver groups --store "$STORE"
  assert_failure 2
  assert_output "gryptserver: error: the store $STORE belongs to another user (uid 0): run gryptserver as its owner"
}

@test "--help names every verb; --version" {
  run gryptserver --help
  assert_success
  for verb in init serve groups admins reference; do
    [[ "$output" == *"gryptserver $verb"* ]] || { echo "no $verb in the help"; false; }
  done
  run grypt-admin --help
  assert_success
  for verb in create invite add remove rotate promote demote grant members pending log; do
    [[ "$output" == *"  $verb GROUP"* ]] || { echo "no $verb in grypt-admin's help"; false; }
  done
  run gryptserver --version
  assert_output --regexp '^gryptserver [0-9.]+$'
  run gryptserver
  assert_failure 2
  assert_output "gryptserver: error: give a verb (see gryptserver --help)"
}

@test "connections up to the descriptor limit leave room for the operator and the members' sessions" {
  SERVER_FILES=200 start_server
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
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
  assert_output --regexp '^friends  epoch 2  2 members  1 admins  1 online  grypt-ref:'
  kill -0 "$SERVER_PID"
}

@test "a key built from a member's signing half and another key's is refused by add, saying whose" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
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
  run ga add friends "$mallory" --name mallory
  assert_failure 2
  assert_output "grypt-admin: error: friends: the key's signing half is the key of alice"
  run tc -i alice -r "$REF"
  assert_success
  assert_line '{"event":"synced","group":"friends","epoch":2}'
}

@test "the store directory and the admin socket are checked at every start and verb" {
  command -v setpriv >/dev/null || skip "setpriv is not installed"
  [ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
  new_member admin
  gryptserver init --store "$STORE" --admin "$(cat admin.pub)" --listen 127.0.0.1:0 \
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
reply = b'{"ok":true,"groups":[]}'
try:
    c.sendall(struct.pack(">I", len(reply)) + reply)
except OSError:
    pass
PY
  echo $! >>"$BATS_TEST_TMPDIR/pids"
  for _ in $(seq 50); do [ -S fake/admin.sock ] && break; sleep 0.05; done
  mv fake/admin.sock "$STORE/admin.sock"
  run gs admins remove "$(cat admin.pub)"
  assert_failure 2
  assert_output "gryptserver: error: the admin socket $STORE/admin.sock is answered by another user (uid $(id -u nobody)): refusing to use it"
  for _ in $(seq 50); do [ -e fake/got ] && break; sleep 0.1; done
  [ ! -s fake/got ]
}

@test "init checks --listen and --host as serve and a reference reader do" {
  new_member admin
  A=(--admin "$(cat admin.pub)")
  run gryptserver init --store s "${A[@]}" --listen 127.0.0.1:99999 --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: the port in --listen '127.0.0.1:99999' is out of range (0 to 65535)"
  run gryptserver init --store s "${A[@]}" --listen localhost:0 --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: --listen: 'localhost' is not an IP address"
  run gryptserver init --store s "${A[@]}" --listen 127.0.0.1:x --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: --listen takes HOST:PORT, not '127.0.0.1:x'"
  long=$(printf 'h%.0s' $(seq 254))
  run gryptserver init --store s "${A[@]}" --listen 127.0.0.1:4433 --host "$long" --new-master-key-file k
  assert_failure 2
  assert_output "gryptserver: error: --host '$long': a host is 1 to 253 characters"
  [ ! -e s ] && [ ! -e k ]
  run gryptserver init --store s "${A[@]}" --listen 127.0.0.1:4433 --host "${long:1}" --new-master-key-file k
  assert_success
  # The longest host makes a server reference an administrator can use.
  run gryptserver reference --store s --master-key-file k
  assert_success
  [[ "$output" == grypt-srv:* ]]
}

@test "not-member takes the same time for a missing group and an existing one: the request is recorded after the answer" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
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
  for _ in $(seq 100); do ga pending friends | grep -q "let me in" && break; sleep 0.1; done
  run ga pending friends
  assert_output --regexp "^1  $(fingerprint_of bob.pub)  .*\"let me in\"$"
}

@test "run as root, gryptserver keeps its store in /var/lib/gryptserver; anyone else names one" {
  run setpriv --reuid=65534 --regid=65534 --clear-groups "$(command -v gryptserver)" groups
  assert_failure 2
  assert_output "gryptserver: error: give the --store directory (only root's defaults to /var/lib/gryptserver)"
  [ "$(id -u)" = 0 ] || skip "root's default needs root"
  command -v unshare >/dev/null || skip "unshare(1) is not installed"
  # In a mount namespace of its own, on an empty /var/lib: the machine's
  # own /var/lib is not touched.
  new_member admin
  cat >root.sh <<'SH'
set -e
mount -t tmpfs tmpfs /var/lib
gryptserver reference 2>&1 | sed 's/^/before: /' || true
gryptserver init --listen 127.0.0.1:0 --host 127.0.0.1 --admin "$1" --new-master-key-file "$2" >/dev/null 2>&1
stat -c 'made: %n %a' /var/lib/gryptserver
gryptserver admins --master-key-file "$2"
SH
  run unshare -m bash root.sh "$(cat admin.pub)" "$BATS_TEST_TMPDIR/root-mk"
  assert_success
  assert_line --index 0 --regexp "^before: gryptserver: error: .*/var/lib/gryptserver"
  assert_line "made: /var/lib/gryptserver 700"
  assert_line "$(cat admin.pub)"
}

@test "64 groups in a hello are served, 65 are not" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  run tc -i alice -r "$REF" --groups 64
  assert_failure 1
  assert_line '{"event":"synced","group":"friends","epoch":2}'
  [ "$(echo "$output" | grep -c '"event":"not-member"')" -eq 63 ]
  run tc -i alice -r "$REF" --groups 65
  assert_failure 2
  assert_line --partial '{"event":"error","code":"too-many-groups"'
}

@test "add --from: every member a file lists, 1000 a commit; a member new to a chain of 6000 states syncs it; a removal from them" {
  friends
  new_member carol
  new_member dave
  # dave is online while the runs are pushed to him.
  ga add friends "$(cat dave.pub)" --name dave >/dev/null
  as dave gryptd join friends "$REF"
  start_daemon dave
  wait_epoch dave friends 2
  mkdir keys
  "$GRYPT_TEST_BIN/grypt-load" keys --count 6000 --out keys 2>/dev/null
  { echo "# the first 6000"; awk '{ print "m" NR "\t" $0 }' keys/keys; echo; echo "carol $(cat carol.pub)"; } >list
  run ga add friends --from list
  assert_success
  assert_output "epoch 6003"
  run gs groups
  assert_output --partial "friends  epoch 6003  6003 members  1 admins"
  # 7 commits: the states of a run have no box, the last of each has one
  # for every member of its roster.
  run ga log friends --json
  [ "$(echo "$output" | grep -o '"change":"add"' | wc -l)" -eq 6002 ]
  wait_epoch dave friends 6003 30
  # carol holds nothing: the server sends her 6003 states, more than one
  # session may have queued (4 MiB), as she reads them.
  as carol gryptd join friends "$REF"
  start_daemon carol
  wait_epoch carol friends 6003 60
  echo "six thousand and three" | as admin grypt-seal friends >post
  for who in carol dave; do
    run as "$who" grypt-open <post
    assert_success
    assert_line --index 0 "six thousand and three"
    assert_line --index 1 --regexp "^grypt-open: friends epoch 6003: from admin "
  done
  # The removal is boxed with the ephemeral key the admin's daemon made
  # ahead after the last commit (grypt-admin.1): carol opens it, dave not.
  run ga remove friends dave
  assert_success
  wait_epoch carol friends 6004 30
  echo "without dave" | as admin grypt-seal friends >post2
  run as carol grypt-open <post2
  assert_success
  assert_line --index 0 "without dave"
  run as dave grypt-open <post2
  assert_failure
  ! grep -q "reads too slowly" "$BATS_TEST_TMPDIR/server.log"
}

@test "add --from: a bad line, a name or key twice, or a member already are refused, and nothing is added" {
  friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  printf 'bob %s\ncarol\n' "$(cat bob.pub)" >list
  run ga add friends --from list
  assert_failure 2
  assert_output "grypt-admin: error: list, line 2: not a name and a public key; nothing was added"
  printf 'bob %s\nb\033ob %s\n' "$(cat bob.pub)" "$(cat alice.pub)" >list
  run ga add friends --from list
  assert_failure 2
  assert_output "grypt-admin: error: list, line 2: invalid member name 'b\\x1bob': a name is made of letters, digits, '.', '_' and '-'; nothing was added"
  printf 'bob %s\nbob %s\n' "$(cat bob.pub)" "$(cat alice.pub)" >list
  run ga add friends --from list
  assert_failure 2
  assert_output "grypt-admin: error: list, line 2: the name bob comes twice; nothing was added"
  printf 'bob %s\nbob2 %s\n' "$(cat bob.pub)" "$(cat bob.pub)" >list
  run ga add friends --from list
  assert_failure 2
  assert_output "grypt-admin: error: list, line 2: the key of bob2 comes twice; nothing was added"
  printf 'bob grypt-pk:nonsense\n' >list
  run ga add friends --from list
  assert_failure 2
  assert_output "grypt-admin: error: list, line 1: invalid public key: 6 bytes, not 68; nothing was added"
  # alice is a member: the daemon refuses the whole commit.
  printf 'bob %s\nalice2 %s\n' "$(cat bob.pub)" "$(cat alice.pub)" >list
  run ga add friends --from list
  assert_failure 2
  assert_output "grypt-admin: error: friends: change 2 of 2 (alice2): the key is a member already, as alice"
  run ga add friends --from list --admin
  assert_failure 2
  assert_output "grypt-admin: error: add --from takes the names from its file and adds members without history: no --name, --with-history or --admin"
  run ga remove friends alice --from list
  assert_failure 2
  assert_output "grypt-admin: error: --from goes with add"
  run ga add friends --from .
  assert_failure 2
  run ga add friends --from /dev/null
  assert_failure 2
  assert_output "grypt-admin: error: /dev/null is a device, not a regular file"
  printf '# nobody\n\n' >list
  run ga add friends --from list
  assert_failure 2
  assert_output "grypt-admin: error: list lists no member"
  run gs groups
  assert_output --partial "friends  epoch 2  2 members"
  # From the standard input; a thousand taken, then one refused: it says
  # what was done.
  mkdir keys
  "$GRYPT_TEST_BIN/grypt-load" keys --count 1000 --out keys 2>/dev/null
  { awk '{ print "m" NR " " $0 }' keys/keys; echo "alice2 $(cat alice.pub)"; } >list
  run ga add friends --from - <list
  assert_failure 2
  assert_output "grypt-admin: error: added 1000 of 1001 members (to epoch 1002); then: friends: the key is a member already, as alice"
  run gs groups
  assert_output --partial "friends  epoch 1002  1002 members"
}
