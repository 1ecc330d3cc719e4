#!/usr/bin/env bats
# Several gryptserver front ends on one PostgreSQL store (gryptserver.8,
# SEVERAL FRONT ENDS), end to end on 127.0.0.1 against a real PostgreSQL
# server the test starts (test/pg-cluster: initdb in a temporary
# directory, a Unix socket only) and stops by pid, as it does every
# front end and daemon it starts.

load helper
load member_helper
load server_helper
load pg_helper

setup() {
  setup_home
  start_pg
  P1=$(free_port)
  P2=$(free_port)
  while [ "$P2" = "$P1" ]; do P2=$(free_port); done
  new_member admin
  new_member alice
  new_member bob
}

teardown() {
  server_teardown
  stop_pg
}

gdb() { gryptserver "$@" --store "$DB"; }

init_store() {
  SREF=$(gdb init --listen 127.0.0.1:0 --endpoint "127.0.0.1:$P1" --endpoint "127.0.0.1:$P2" \
    --admin "$(cat admin.pub)" --new-master-key-file "$MK")
  [[ $SREF == grypt-srv:* ]]
}

# start_frontend N PORT: front end N (1 or 2) serving the store on PORT;
# its pid in FE_N, its log in fe_N.log.
start_frontend() {
  local ready="$BATS_TEST_TMPDIR/ready$1"
  rm -f "$ready"
  mkfifo "$ready"
  gryptserver serve --store "$DB" --master-key-file "$MK" --listen "127.0.0.1:$2" --ready-fd 3 \
    3>"$ready" 2>>"$BATS_TEST_TMPDIR/fe_$1.log" &
  printf -v "FE_$1" '%s' "$!"
  echo "$!" >>"$BATS_TEST_TMPDIR/pids"
  [ -n "$(timeout 10 cat "$ready")" ] || { cat "$BATS_TEST_TMPDIR/fe_$1.log" >&2; return 1; }
}

# Both front ends up; friends made through front end 1 (the admin's
# reference names it first) with alice and bob added.
two_frontends() {
  init_store
  start_frontend 1 "$P1"
  start_frontend 2 "$P2"
  wait_for fe_1.log "listening for other front ends' commits"
  wait_for fe_2.log "listening for other front ends' commits"
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  ga add friends "$(cat bob.pub)" --name bob >/dev/null
}

# two_frontends, then alice's reference names front end 2 only and bob's
# the admin's.
alice_on_2() {
  two_frontends
  as alice gryptd join friends "$(ref_with_endpoints "$REF" "127.0.0.1:$P2")"
  as bob gryptd join friends "$REF"
}

@test "a removal through one front end reaches the members of both, and the removed member is out" {
  alice_on_2
  start_daemon alice
  start_daemon bob
  wait_epoch alice friends 3
  wait_epoch bob friends 3
  wait_for fe_2.log "friends: created through another front end"
  run ga remove friends bob
  assert_output "epoch 4"
  # alice is served by front end 2 alone: the commit reached it through
  # the store, within a second.
  wait_epoch alice friends 4 1
  wait_state bob friends not-member
  echo "after bob" | as alice grypt-seal friends >post
  run as admin grypt-open <post
  assert_success
  assert_output --partial "after bob"
  run as bob grypt-open <post
  assert_failure 1
  assert_output --partial "epoch 4"
}

@test "two administrators committing through two front ends at once: one wins, the other retries on its head" {
  alice_on_2
  new_member carol
  ga add friends "$(cat carol.pub)" --name carol --admin >/dev/null
  as carol gryptd join friends "$(ref_with_endpoints "$REF" "127.0.0.1:$P2")"
  start_daemon carol
  start_daemon alice
  wait_epoch carol friends 4
  for round in 1 2 3 4 5; do
    base=$(daemon_epoch admin friends)
    wait_epoch carol friends "$base"
    ga rotate friends >"admin.$round" 2>&1 &
    a=$!
    as carol grypt-admin rotate friends >"carol.$round" 2>&1 &
    c=$!
    wait "$a"
    wait "$c"
    # Each got its own epoch: the two after the base, one each.
    sort -u -k2n "admin.$round" "carol.$round" >both
    run cat both
    assert_output "epoch $((base + 1))
epoch $((base + 2))"
    wait_epoch alice friends $((base + 2))
    wait_epoch admin friends $((base + 2))
  done
  assert [ "$(as admin gryptd status --json | grep -o '"head":"[^"]*"')" = "$(as alice gryptd status --json | grep -o '"head":"[^"]*"')" ]
  # The races met in the store, not only in one front end's memory.
  run grep -c "another front end's commit took epoch" fe_1.log fe_2.log
  assert_output --regexp ':[1-9]'
}

@test "a front end killed with SIGKILL during 200 commits through the other: nothing acknowledged is lost, members converge" {
  # The admin commits through front end 1; bob is served by front end 2
  # until it dies, then by front end 1.
  two_frontends
  as alice gryptd join friends "$(ref_with_endpoints "$REF" "127.0.0.1:$P1")"
  as bob gryptd join friends "$(ref_with_endpoints "$REF" "127.0.0.1:$P2" "127.0.0.1:$P1")"
  start_daemon alice
  start_daemon bob
  wait_epoch bob friends 3
  : >acked
  for i in $(seq 200); do
    ga rotate friends >>acked 2>>rotate.err || true
    if [ "$i" = 60 ]; then
      { kill -KILL "$FE_2" && wait "$FE_2"; } 2>/dev/null || true
    fi
  done
  # Every commit acknowledged, and in the head every member holds.
  run cat rotate.err
  assert_output ""
  [ "$(wc -l <acked)" = 200 ]
  [ "$(tail -n 1 acked)" = "epoch 203" ]
  wait_epoch alice friends 203
  wait_epoch bob friends 203 10
  wait_epoch admin friends 203
  run gdb groups --master-key-file "$MK"
  assert_output --partial "friends  epoch 203  "
  h=$(as admin gryptd status --json | grep -o '"head":"[^"]*"')
  [ "$(as alice gryptd status --json | grep -o '"head":"[^"]*"')" = "$h" ]
  [ "$(as bob gryptd status --json | grep -o '"head":"[^"]*"')" = "$h" ]
}

@test "PostgreSQL restarted under load: the front ends recover without a restart, nothing acknowledged is lost" {
  alice_on_2
  start_daemon alice
  wait_epoch alice friends 3
  # Commits one after another through front end 1; after the tenth the
  # database restarts under both front ends, and the commits go on until
  # ten more were acknowledged. Those refused meanwhile say why.
  : >acked
  (
    for i in $(seq 1000); do
      if out=$(ga rotate friends 2>&1); then echo "$out" >>acked; else echo "$out" >>refused; fi
      [ -e restarted ] && [ "$(wc -l <acked)" -ge $(($(cat restarted) + 10)) ] && break
    done
  ) 3>&- &
  load=$!
  for i in $(seq 600); do [ "$(wc -l <acked)" -ge 10 ] && break; sleep 0.1; done
  "$REPO/test/pg-cluster" restart "$PGDIR/c"
  wc -l <acked >restarted.tmp && mv restarted.tmp restarted
  wait "$load"
  wait_for fe_1.log "lost the store's notifications"
  wait_for fe_2.log "lost the store's notifications"
  # Every commit acknowledged is in the head, ten of them after the
  # restart; a refused one wrote nothing, and says so.
  n=$(wc -l <acked)
  [ "$n" -ge $(($(cat restarted) + 10)) ]
  [ "$(tail -n 1 acked)" = "epoch $((3 + n))" ]
  if [ -s refused ]; then
    run grep -v "the server could not write its store" refused
    assert_output ""
  fi
  # Both front ends listen again; the next commit reaches alice on 2.
  for i in $(seq 100); do
    [ "$(grep -c "listening for other front ends' commits" fe_2.log)" -ge 2 ] && break
    sleep 0.1
  done
  run ga rotate friends
  assert_output "epoch $((4 + n))"
  wait_epoch alice friends $((4 + n))
  kill -0 "$FE_1"
  kill -0 "$FE_2"
}

@test "a group created through one front end is served by the other, and admins added by the operator reach both" {
  init_store
  start_frontend 1 "$P1"
  start_frontend 2 "$P2"
  wait_for fe_2.log "listening for other front ends' commits"
  new_member carol
  run gdb admins add "$(cat carol.pub)" --master-key-file "$MK"
  assert_success
  assert_output --partial "$(cat carol.pub)"
  # carol creates through front end 2 only, at once.
  start_daemon carol
  run as carol grypt-admin create club "$(gdb reference --master-key-file "$MK" | tail -n 1)" --name carol
  assert_success
  run gdb groups --master-key-file "$MK"
  assert_success
  assert_output --partial "club  epoch 1  1 members  1 admins"
}

@test "gryptserver on PostgreSQL: a password in the connection string, a second init, a database without a store" {
  run gryptserver init --store "postgresql://grypt:secret@/grypt?host=$PGDIR/c" --admin "$(cat admin.pub)" \
    --new-master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: the store's connection string holds a password: keep it in PGPASSFILE or a service file (gryptserver(8)), never on a command line"
  [ ! -e "$MK" ]
  run gdb serve --master-key-file "$MK"
  assert_failure 2
  assert_output --partial "there is no store in PostgreSQL database grypt on $PGDIR/c"
  init_store
  run gdb init --listen 127.0.0.1:4433 --admin "$(cat admin.pub)" --new-master-key-file "$MK.2"
  assert_failure 2
  assert_output "gryptserver: error: the store PostgreSQL database grypt on $PGDIR/c exists already (gryptserver admins adds a key to it)"
  [ ! -e "$MK.2" ]
  run gryptserver init --store "$BATS_TEST_TMPDIR/sq" --listen 127.0.0.1:4433 --endpoint 127.0.0.1:4434 \
    --admin "$(cat admin.pub)" --new-master-key-file "$MK.3"
  assert_failure 2
  assert_output --partial "that store is a PostgreSQL database"
  [ ! -e "$BATS_TEST_TMPDIR/sq" ]
  run gdb groups
  assert_failure 2
  assert_output --partial "needs its master key"
  # A database that cannot be reached is named, and nothing is made.
  run gryptserver init --store "postgresql://grypt@/grypt?host=$BATS_TEST_TMPDIR/none" --listen 127.0.0.1:4433 \
    --admin "$(cat admin.pub)" --new-master-key-file "$MK.4"
  assert_failure 2
  assert_output --partial "gryptserver: error: cannot reach the store PostgreSQL database grypt on $BATS_TEST_TMPDIR/none: "
  [ ! -e "$MK.4" ]
}

@test "gryptserver init --endpoint: HOST:PORT as a reference names it, at most 8, checked before anything is made" {
  local e
  for e in 127.0.0.1 "127.0.0.1:0" "127.0.0.1:65536" "127.0.0.1:x" ":4433" $'bad\nhost:4433'; do
    run gryptserver init --store "$DB" --endpoint "$e" --admin "$(cat admin.pub)" --new-master-key-file "$MK"
    assert_failure 2
    assert_output --partial "gryptserver: error: --endpoint '"
    [ ! -e "$MK" ]
  done
  run gryptserver init --store "$DB" --endpoint 127.0.0.1 --admin "$(cat admin.pub)" --new-master-key-file "$MK"
  assert_output "gryptserver: error: --endpoint '127.0.0.1': give HOST:PORT"
  run gryptserver init --store "$DB" --endpoint 127.0.0.1:0 --admin "$(cat admin.pub)" --new-master-key-file "$MK"
  assert_output "gryptserver: error: --endpoint '127.0.0.1:0': the port is a number from 1 to 65535"
  local nine=()
  for e in $(seq 9); do nine+=(--endpoint "127.0.0.1:$((4430 + e))"); done
  run gryptserver init --store "$DB" "${nine[@]}" --admin "$(cat admin.pub)" --new-master-key-file "$MK"
  assert_failure 2
  assert_output "gryptserver: error: a reference names at most 8 endpoints"
  [ ! -e "$MK" ]
  # Nothing was made in the database either: a first init now goes through.
  run gryptserver init --store "$DB" --endpoint "[::1]:4433" --endpoint 127.0.0.1:4434 --admin "$(cat admin.pub)" \
    --new-master-key-file "$MK"
  assert_success
  [[ $output == grypt-srv:* ]]
}

@test "a front end that cannot read the store confirms no epoch: grypt-seal --require-fresh refuses until it can" {
  alice_on_2
  start_daemon alice
  wait_epoch alice friends 3
  echo "fresh" | as alice grypt-seal --require-fresh friends >/dev/null
  "$REPO/test/pg-cluster" down "$PGDIR/c"
  run --separate-stderr as alice grypt-seal --require-fresh friends <<<"not now"
  assert_failure 2
  [ -z "$output" ]
  [[ $stderr == *"did not confirm the newest epoch in time"* ]]
  "$REPO/test/pg-cluster" up "$PGDIR/c"
  # The owed answers come once the store is read again (tried each second).
  run as alice grypt-seal --require-fresh friends <<<"fresh again"
  assert_success
  [[ $output == grypt:* ]]
  kill -0 "$FE_2"
}
