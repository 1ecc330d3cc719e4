#!/usr/bin/env bats
# How a member's daemon follows its servers when they do what the protocol
# allows and what it does not: slow tools, other servers' frames, a server
# that stops answering, goes back in time or forks, members removed and
# added back, groups added while connected, many groups on one server.
# Every process is started and stopped by the test, by pid.

load helper
load member_helper
load server_helper

setup() {
  setup_home
  new_member alice
  new_member bob
}

teardown() { server_teardown; }

sock_of() { echo "$BATS_TEST_TMPDIR/u/$1/run/grypt/gryptd.sock"; }

@test "a tool waiting on its own input keeps its connection; a request left half-sent is cut at the limit" {
  friends_online --test-frame-timeout-ms 1000
  # A producer slower than the limit: the signature is asked for at the end.
  (sleep 3; echo "a slow post") | as alice grypt-seal friends >post
  run as bob grypt-open <post
  assert_success
  assert_output --partial "a slow post"
  # A feed that trickles in (tail -f): each post opened as it comes.
  mkfifo feed
  (cat post; sleep 3; cat post) >feed 3>&- &
  echo $! >>"$BATS_TEST_TMPDIR/pids"
  as bob grypt-open <feed >out 2>err
  [ "$(grep -c 'a slow post' out)" -eq 2 ]
  [ "$(grep -c ': from alice' err)" -eq 2 ]
  # Half a request, then silence: that connection ends at the limit.
  run python3 - "$(sock_of bob)" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
s.sendall(struct.pack(">I", 100) + b'{"type":')
start = time.monotonic()
data = s.recv(100)
print(f"closed with {len(data)} bytes after {time.monotonic() - start:.1f} s")
PY
  assert_success
  assert_output --regexp '^closed with 0 bytes after (0\.[5-9]|1\.[0-9]|2\.[0-9]) s$'
  grep -q "a tool did not finish its request within 1000 ms: closed its connection" bob.log
}

@test "a producer slower than the default limit of 30 s still gets its post sealed" {
  skip_when_sanitized "35 s of waiting for a slow producer, through the code every seal runs"
  friends_online
  (sleep 35; echo "after a long think") | as alice grypt-seal friends >post
  run as bob grypt-open <post
  assert_success
  assert_output --partial "after a long think"
}

@test "a server speaks only for its own groups: another group's frames end its connection" {
  friends_online
  member fake
  A43=$(printf 'A%.0s' $(seq 43))
  for frame in '{"type":"not-member","group":"friends"}' '{"type":"synced","group":"friends","epoch":3}' \
    '{"type":"removed","group":"friends"}' \
    "{\"type\":\"history\",\"group\":\"friends\",\"grant\":3,\"epoch\":2,\"box\":\"$(printf 'A%.0s' $(seq 64))\"}" \
    "{\"type\":\"state\",\"group\":\"friends\",\"epoch\":4,\"state\":\"$(printf 'A%.0s' $(seq 640))\",\"ephemeral\":\"$A43\"}"; do
    type=$(echo "$frame" | sed 's/.*"type":"\([a-z-]*\)".*/\1/')
    printf '%s\n' "$frame" >script
    start_testserver fake "pals-$type" --script script
    as alice gryptd join "pals-$type" "$TS_REF"
    wait_for alice.log "a $type frame about a group not asked for on this connection (friends)"
    kill "$TS_PID"
    [ "$(daemon_state alice friends)" = connected ]
  done
  run as alice grypt-seal friends --require-fresh <<<"still a member"
  assert_success
  echo "$output" >post
  run as bob grypt-open <post
  assert_success
  assert_output --partial "still a member"
}

@test "--require-fresh means now: a server that stops answering is not fresh, whatever the connection says" {
  friends_online
  run as alice grypt-seal friends --require-fresh <<<"fresh"
  assert_success
  # The server hears nothing, as if a network attacker dropped its packets.
  kill -STOP "$SERVER_PID"
  [ "$(daemon_state alice friends)" = connected ]
  start=$EPOCHREALTIME
  run as alice grypt-seal friends --require-fresh <<<"stale"
  assert_failure 2
  assert_output --regexp "^grypt-seal: error: not sealing \(--require-fresh\): the server of friends did not confirm the newest epoch in time; epoch 3 was last confirmed [0-9TZ:-]+$"
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 6) }'
  run as alice grypt-seal friends <<<"stale but warned"
  assert_success
  assert_line --index 0 --regexp "^grypt-seal: warning: the server of friends did not confirm the newest epoch in time: sealing under epoch 3, last confirmed [0-9TZ:-]+$"
  kill -CONT "$SERVER_PID"
  run as alice grypt-seal friends --require-fresh <<<"fresh again"
  assert_success
  # The confirmation time is that of the last round trip.
  run as alice gryptd status --json
  t=$(echo "$output" | sed -n 's/.*"confirmed":"\([0-9TZ:-]*\)".*/\1/p')
  [[ "$t" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
  [ $(($(date +%s) - $(date -d "$t" +%s))) -le 2 ]
}

@test "a server that went back in time is named; when it relays a second epoch of the same number the fork is kept as proof" {
  friends_online
  stop_server
  cp -a "$STORE" store.old
  # The administrator's daemon, as it was then (restored from a backup
  # below): with the old store, it signs another epoch 4.
  stop_daemon admin
  cp -a "$BATS_TEST_TMPDIR/u/admin" admin.old
  start_admin
  SERVE_LISTEN=127.0.0.1:$PORT start_server
  run ga rotate friends
  assert_output "epoch 4"
  wait_epoch alice friends 4
  # The store restored from the old copy: the server says epoch 3.
  stop_server
  rm -rf "$STORE"
  cp -a store.old "$STORE"
  SERVE_LISTEN=127.0.0.1:$PORT start_server
  wait_state alice friends rolled-back 15
  run as alice gryptd status
  assert_line --regexp "^friends  rolled-back  epoch 4  confirmed [0-9TZ:-]+  3 members$"
  assert_line "  the server went back to epoch 3 while this member holds epoch 4 (a store restored from an old copy, or a replay)"
  grep -q "friends: the server went back to epoch 3 while this member holds epoch 4" alice.log
  run as alice grypt-seal friends --require-fresh <<<"x"
  assert_failure 2
  assert_output --partial "not sealing (--require-fresh): the server of friends went back to an older epoch (see gryptd status); epoch 4 was last confirmed"
  # The old administrator's daemon signs its own epoch 4 on the old store:
  # two signed states for one epoch, which alice keeps.
  stop_daemon admin
  rm -rf "$BATS_TEST_TMPDIR/u/admin"
  cp -a admin.old "$BATS_TEST_TMPDIR/u/admin"
  start_admin
  wait_epoch admin friends 3
  run ga rotate friends
  assert_output "epoch 4"
  # A post sealed on the other side names a state alice does not hold for
  # its epoch: told as a fork, not as tampering.
  echo "from the other history" | as admin grypt-seal friends >other
  run as alice grypt-open <other
  assert_failure 1
  assert_output "grypt-open: error: message 1 (byte 0): sealed under another state of epoch 4 of friends than the one you hold: the group's history was forked"
  wait_state alice friends forked 15
  proof=$(ls "$BATS_TEST_TMPDIR"/u/alice/state/grypt/*/*/forked-4)
  # grypt.5, FORK FILES: "GRYPTFK" 02, the state held, the other one.
  [ "$(stat -c %s "$proof")" -eq 968 ]
  [ "$(head -c 8 "$proof" | od -An -tx1 | tr -d ' ')" = 4752595054464b02 ]
  [ "$(tail -c 960 "$proof" | head -c 480 | sha256sum)" != "$(tail -c 480 "$proof" | sha256sum)" ]
  run as alice gryptd status
  assert_line --regexp "^friends  forked  epoch 4  "
  assert_line "  two different states were signed for epoch 4: the group's history forked (both kept in $proof)"
  # Two histories: no post is sealed until the members know which is theirs.
  run as alice grypt-seal friends <<<"x"
  assert_failure 1
  assert_output "grypt-seal: error: not sealing for friends: two different states were signed for epoch 4: the group's history forked (both kept in $proof) (see gryptd status)"
  # From the cache, without the daemon: refused the same way.
  run as alice grypt-seal friends -i "$BATS_TEST_TMPDIR/u/alice/data/grypt/identity" <<<"x"
  assert_failure 1
  assert_output "grypt-seal: error: not sealing for friends: two different states were signed for epoch 4: the group's history forked (see gryptd status)"
  # The fork outlasts a restart of the daemon.
  stop_daemon alice
  start_daemon alice
  [ "$(daemon_state alice friends)" = forked ]
}

@test "a member removed and added back catches up, without the keys of the epochs it missed" {
  friends_online
  run ga remove friends bob
  assert_output "epoch 4"
  wait_state bob friends not-member
  echo "while bob was out" | as alice grypt-seal friends >missed
  ga rotate friends >/dev/null
  run ga add friends "$(cat bob.pub)" --name bob
  assert_output "epoch 6"
  # bob's next tool makes the daemon ask at once.
  run as bob grypt-seal friends <<<"back again"
  assert_success
  echo "$output" >back
  wait_epoch bob friends 6
  run as alice grypt-open <back
  assert_success
  assert_output --partial "back again"
  run as bob grypt-open <missed
  assert_failure 1
  assert_output "grypt-open: error: message 1 (byte 0): you lack epoch 4 of friends: it is from before you were given its keys"
  run ! grep -q "refused" bob.log
}

@test "history granted later: the keys of the epochs missed are filled in, in the cache too" {
  start_server
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  as alice gryptd join friends "$REF"
  as bob gryptd join friends "$REF"
  start_daemon alice
  wait_epoch alice friends 2
  echo "before bob" | as alice grypt-seal friends >p2
  ga add friends "$(cat bob.pub)" --name bob >/dev/null
  start_daemon bob
  wait_epoch bob friends 3
  ga remove friends bob >/dev/null
  wait_state bob friends not-member
  echo "while bob was out" | as alice grypt-seal friends >p4
  ga add friends "$(cat bob.pub)" --name bob >/dev/null
  wait_epoch bob friends 5
  for p in p2 p4; do
    run as bob grypt-open <$p
    assert_failure 1
  done
  # Out, and back with the group's history.
  ga remove friends bob >/dev/null
  wait_state bob friends not-member
  run ga add friends "$(cat bob.pub)" --name bob --with-history
  assert_output "epoch 7"
  wait_epoch bob friends 7
  run as bob grypt-open <p2
  assert_success
  assert_output --partial "before bob"
  run as bob grypt-open <p4
  assert_success
  assert_output --partial "while bob was out"
  run ! grep -q "refused" bob.log
  # What bob holds now starts at epoch 1, in his cache too.
  stop_daemon bob
  stop_server
  start_daemon bob
  run as bob grypt-open <p2
  assert_success
}

@test "added while connected: the server says so at once; a tool makes the daemon ask again" {
  friends_online
  PALS=$(ga create pals "$SREF")
  as bob gryptd join pals "$PALS"
  wait_state bob pals not-member
  run ga add pals "$(cat bob.pub)" --name bob
  assert_output "epoch 2"
  wait_epoch bob pals 2 1
  [ "$(daemon_state bob pals)" = connected ]
  # A server whose answer was lost: a tool asking makes the daemon ask once.
  member fake
  printf '%s\n' '{"type":"not-member","group":"club"}' >script
  start_testserver fake club --script script
  as alice gryptd join club "$TS_REF"
  wait_state alice club not-member
  run as alice grypt-seal club <<<"hi"
  assert_failure 1
  assert_output "grypt-seal: error: you are not a member of club: send your key to its administrator: $(cat alice.pub)"
  [ "$(grep -c '"type":"ask"' "$BATS_TEST_TMPDIR/testserver.log")" -eq 1 ]
  grep '"type":"ask"' "$BATS_TEST_TMPDIR/testserver.log" | grep -q '"name":"club"'
}

@test "the name a member joins under is its own: the wire uses the reference's" {
  start_server
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  ga add friends "$(cat bob.pub)" --name bob >/dev/null
  as alice gryptd join friends "$REF"
  as bob gryptd join club "$REF"
  start_daemon alice
  start_daemon bob
  wait_epoch bob club 3
  [ "$(daemon_state bob club)" = connected ]
  echo "to the club" | as bob grypt-seal club >post
  run as alice grypt-open <post
  assert_success
  assert_output --partial "friends epoch 3: from bob"
  echo "to friends" | as alice grypt-seal friends >post2
  run as bob grypt-open <post2
  assert_success
  assert_output --partial "club epoch 3: from alice"
}

@test "a member of 70 groups on one server is connected to every one of them" {
  start_server
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  as alice gryptd join friends "$REF"
  for i in $(seq 2 70); do
    G=$(ga create "g$i" "$SREF")
    ga add "g$i" "$(cat alice.pub)" --name alice >/dev/null
    as alice gryptd join "g$i" "$G"
  done
  start_daemon alice
  for i in $(seq 20); do
    [ "$(as alice gryptd status | grep -c '  connected  ')" -eq 70 ] && break
    sleep 0.5
  done
  [ "$(as alice gryptd status | grep -c '  connected  ')" -eq 70 ]
  echo "to the last" | as alice grypt-seal g70 --require-fresh | as alice grypt-open >out 2>/dev/null
  [ "$(cat out)" = "to the last" ]
  # And one joined while it runs.
  G=$(ga create g71 "$SREF")
  ga add g71 "$(cat alice.pub)" --name alice >/dev/null
  as alice gryptd join g71 "$G"
  wait_state alice g71 connected 5
  [ "$(as alice gryptd status | grep -c '  connected  ')" -eq 71 ]
}

@test "a join note reaches the administrators" {
  start_server
  start_admin
  make_group friends
  as bob gryptd join friends "$REF" --note "bob from the bike club"
  start_daemon bob
  wait_state bob friends not-member
  run ga pending friends
  # One request, asked again at each of bob's reconnections (the server
  # closes a connection whose every group said not-member): its count grows
  # while bob waits, from 1x.
  assert_output --regexp "^1  $(fingerprint_of bob.pub)  [0-9T:Z-]+  [1-9][0-9]*x  \"bob from the bike club\"$"
  run as bob gryptd join friends "$REF" --note $'two\nlines'
  assert_failure 2
  assert_output "gryptd: error: invalid --note: it contains a control character"
  run as bob gryptd status --note x
  assert_failure 2
  assert_output "gryptd: error: --note goes with join"
}

@test "an epoch expires: members are warned and --require-fresh refuses; an administrator online renews it first" {
  start_server
  start_daemon admin --test-state-lifetime 4
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  as alice gryptd join friends "$REF"
  start_daemon alice
  wait_epoch alice friends 2
  # The administrator online: its daemon rotates once a quarter of the
  # lifetime is left.
  wait_epoch alice friends 3 8
  grep -q "friends: epoch 2 expires at [0-9TZ:-]*: rotated to epoch 3" admin.log
  # The administrator away: the newest epoch expires.
  stop_daemon admin
  wait_state alice friends expired 10
  run as alice gryptd status
  assert_line --regexp "^friends  expired  epoch [0-9]+  "
  run as alice grypt-seal friends <<<"late"
  assert_success
  assert_line --index 0 --regexp "^grypt-seal: warning: the newest epoch of friends has expired: no administrator made a newer one, or the server withholds it \(see gryptd status\): sealing under epoch [0-9]+, last confirmed [0-9TZ:-]+$"
  run as alice grypt-seal friends --require-fresh <<<"late"
  assert_failure 2
  assert_output --regexp "^grypt-seal: error: not sealing \(--require-fresh\): the newest epoch of friends has expired: .*; epoch [0-9]+ was last confirmed [0-9TZ:-]+$"
  # From the cache, without the daemon: the same warning.
  run as alice grypt-seal friends -i "$BATS_TEST_TMPDIR/u/alice/data/grypt/identity" <<<"late"
  assert_success
  assert_line --index 0 --regexp "^grypt-seal: warning: without the daemon, from its cache; the newest epoch of friends has expired: "
  # The administrator back: renewed at once.
  start_daemon admin --test-state-lifetime 4
  wait_state alice friends connected 10
  run as alice grypt-seal friends --require-fresh <<<"fresh"
  assert_success
}

@test "an administrator whose renewal the server does not answer says so once in its log; a change with the server gone cannot reach it" {
  start_server
  start_daemon admin --test-state-lifetime 4 --test-answer-wait-ms 1000
  make_group friends
  # The server hears nothing, and the renewal's commit goes unanswered.
  kill -STOP "$SERVER_PID"
  line="^gryptd: friends: epoch 1 expires at [0-9TZ:-]+ and cannot be renewed: the server of friends did not answer the commit$"
  for _ in $(seq 100); do grep -Eq "$line" admin.log && break; sleep 0.1; done
  # Once, however often it tries again.
  sleep 3
  [ "$(grep -Ec "$line" admin.log)" = 1 ] || { cat admin.log; false; }
  # The server gone (what it had queued never taken): expired, but the
  # answer to a change is that the server cannot be reached.
  kill -KILL "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  wait_state admin friends expired 10
  run ga rotate friends
  assert_failure 2
  assert_output "grypt-admin: error: gryptd: the server of friends cannot be reached now (see gryptd status)"
}

@test "a reference's endpoints are tried in turn: a dead first one is passed over, and a server that moves is followed to the next" {
  start_server
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  old=$PORT dead=$(free_port) new=$(free_port)
  as alice gryptd join friends "$(ref_with_endpoints "$REF" "127.0.0.1:$dead" "127.0.0.1:$old" "127.0.0.1:$new")"
  start_daemon alice
  wait_state alice friends connected 3
  grep -q "^gryptd: 127.0.0.1:$dead: " alice.log
  # The server moves to the third endpoint: alice follows it there.
  stop_server
  for _ in $(seq 60); do [ "$(daemon_state alice friends)" != connected ] && break; sleep 0.05; done
  SERVE_LISTEN=127.0.0.1:$new start_server
  wait_state alice friends connected 5
  run as alice grypt-seal friends --require-fresh <<<"moved"
  assert_success
}

# b64u HEX: the bytes of HEX in unpadded base64url.
b64u() { python3 -c 'import base64, sys; print(base64.urlsafe_b64encode(bytes.fromhex(sys.argv[1])).decode().rstrip("="))' "$1"; }

@test "the server cannot admit or change anyone: a state made by editing its store is refused by members, by name" {
  friends_online
  stop_server
  # Everything the server holds of friends, as a server would send it to
  # alice: its states, their ephemeral keys, alice's boxes.
  gid=$(sqlite3 "$STORE/grypt.db" "SELECT hex(group_id) FROM groups WHERE name = 'friends'")
  akey=$(python3 -c 'import base64,sys; s=sys.argv[1][9:]; print(base64.urlsafe_b64decode(s+"="*(-len(s)%4))[:64].hex())' "$(cat alice.pub)")
  : >script
  for e in 1 2 3; do
    st=$(sqlite3 "$STORE/grypt.db" "SELECT hex(state) FROM states WHERE epoch = $e")
    eph=$(sqlite3 "$STORE/grypt.db" "SELECT hex(ephemeral) FROM states WHERE epoch = $e")
    box=$(sqlite3 "$STORE/grypt.db" "SELECT hex(box) FROM boxes WHERE epoch = $e AND grant_epoch = $e AND member = X'$akey'")
    printf '{"type":"state","group":"friends","epoch":%d,"state":"%s","ephemeral":"%s"%s}\n' "$e" "$(b64u "$st")" \
      "$(b64u "$eph")" "${box:+,\"box\":\"$(b64u "$box")\"}" >>script
  done
  # Epoch 4, made by the server: epoch 3's state with the epoch changed and
  # one byte of its roster digest, as an operator editing the store would
  # make a member of whom it likes. It has no administrator's signature.
  st3=$(sqlite3 "$STORE/grypt.db" "SELECT hex(state) FROM states WHERE epoch = 3")
  forged=${st3:0:80}00000004${st3:88:112}$(printf '%02X' $(( 0x${st3:200:2} ^ 1 )))${st3:202}
  eph=$(sqlite3 "$STORE/grypt.db" "SELECT hex(ephemeral) FROM states WHERE epoch = 3")
  printf '{"type":"state","group":"friends","epoch":4,"state":"%s","ephemeral":"%s"}\n' "$(b64u "$forged")" "$(b64u "$eph")" >>script
  printf '{"type":"synced","group":"friends","epoch":4}\n' >>script
  member fake
  start_testserver fake friends --group-id "$(b64u "$gid")" --script script
  # alice, her identity in a second home, follows that server.
  mkdir -p u/alice2/run u/alice2/data/grypt && chmod 700 u/alice2/run
  cp u/alice/data/grypt/identity u/alice2/data/grypt/identity
  as alice2 gryptd join friends "$TS_REF"
  start_daemon alice2
  wait_for alice2.log "friends epoch 4: refused: the state's signature does not verify" 5
  run as alice2 gryptd status --json
  assert_output --regexp '\{"name":"friends","state":"[a-z]+","epoch":3,'
}
