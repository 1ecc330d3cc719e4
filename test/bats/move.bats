#!/usr/bin/env bats
# Moving to a new identity (grypt-keygen --move-to, grypt-admin move;
# grypt-protocol.7, MOVE STATEMENTS) end to end on 127.0.0.1: the member
# keeps its name, role and history under its new key, and its old key is
# out. Every process is started and stopped by the test, by pid.

load helper
load member_helper
load server_helper

setup() {
  setup_home
  new_member alice
  new_member bob
}

teardown() { server_teardown; }

# alice's data directory, where her identities are.
alice_data() { echo "$BATS_TEST_TMPDIR/u/alice/data/grypt"; }

@test "a member moves: one statement, one change; its name, role and history go to the new key, the old key is out" {
  friends_online
  echo "before the move" | as alice grypt-seal friends >post1
  as alice grypt-keygen --public >old.pub
  d=$(alice_data)
  as alice grypt-keygen --no-passphrase -o "$d/identity.new" >new.pub 2>/dev/null
  run --separate-stderr as alice grypt-keygen --move-to "$d/identity.new"
  assert_success
  [ -z "$stderr" ]
  [[ "$output" =~ ^grypt-move:[A-Za-z0-9_-]{363}$ ]]
  echo "$output" >move.txt

  run --separate-stderr ga move friends - <move.txt
  assert_success
  assert_output "epoch 4"
  [[ "$stderr" =~ ^"grypt-admin: alice moved from $(fingerprint_of old.pub) to $(fingerprint_of new.pub) (statement signed "[0-9T:-]+Z")"$ ]]
  run ga log friends
  assert_line --index 3 --regexp "^epoch 4  [0-9TZ:-]+  admin  move  alice \(member\)$"
  run ga members friends
  assert_line "alice  member  since epoch 4  $(fingerprint_of new.pub)"
  refute_output --partial "$(fingerprint_of old.pub)"
  wait_epoch bob friends 4

  # The old key gets nothing of epoch 4 and is told it was removed.
  echo "after the move" | as bob grypt-seal friends >post2
  run as alice grypt-open <post2
  assert_failure 1
  assert_output --partial "you lack epoch 4 of friends"
  for _ in $(seq 50); do grep -q "friends: removed from the group" alice.log && break; sleep 0.1; done
  grep -q "friends: removed from the group" alice.log

  # alice puts the new identity in place: her groups file stays, the new
  # key's daemon fetches the chain, its box and the history of epochs 2 and 3.
  stop_daemon alice
  mv "$d/identity" "$d/identity.old"
  mv "$d/identity.new" "$d/identity"
  start_daemon alice
  wait_epoch alice friends 4
  run as alice grypt-open <post1
  assert_success
  assert_output --partial "before the move"
  assert_output --partial "friends epoch 3: from alice [$(fingerprint_of old.pub)]"
  run as alice grypt-open <post2
  assert_success
  assert_output --partial "after the move"
  echo "from my new key" | as alice grypt-seal friends >post3
  run as bob grypt-open <post3
  assert_success
  assert_output --partial "friends epoch 4: from alice [$(fingerprint_of new.pub)]"

  # The statement is spent: its old key is no member any more.
  run ga move friends "$(cat move.txt)"
  assert_failure 2
  assert_output "grypt-admin: error: the key that moves is not a member of friends"
}

@test "an administrator moves itself, the group's only one, and goes on administering with its new key" {
  friends_online
  d="$BATS_TEST_TMPDIR/u/admin/data/grypt"
  as admin grypt-keygen --no-passphrase -o "$d/identity.new" >new.pub 2>/dev/null
  as admin grypt-keygen --move-to "$d/identity.new" >move.txt
  run --separate-stderr ga move friends "$(cat move.txt)"
  assert_success
  assert_output "epoch 4"
  [[ "$stderr" == "grypt-admin: admin moved from "*" to $(fingerprint_of new.pub) (statement signed "* ]]
  stop_daemon admin
  mv "$d/identity.new" "$d/identity"
  start_daemon admin
  wait_epoch admin friends 4
  run ga members friends
  assert_line "admin  admin  since epoch 4  $(fingerprint_of new.pub)"
  run ga remove friends bob
  assert_success
  assert_output "epoch 5"
  wait_epoch alice friends 5
}

@test "an administrator removes itself while another remains: answered with the epoch, then out" {
  friends_online
  ga promote friends alice >/dev/null
  run ga remove friends admin
  assert_success
  assert_output "epoch 5"
  wait_epoch alice friends 5
  run as alice grypt-admin members friends
  refute_output --partial "admin  admin"
  for _ in $(seq 50); do grep -q "friends: removed from the group" admin.log && break; sleep 0.1; done
  grep -q "friends: removed from the group" admin.log
}

@test "grypt-admin move refuses a damaged statement, a stranger's, and a new key that is a member, changing nothing" {
  friends_online
  d=$(alice_data)
  as alice grypt-keygen --no-passphrase -o "$d/identity.new" >/dev/null 2>&1
  good=$(as alice grypt-keygen --move-to "$d/identity.new")
  # One character changed in the new key's signature; the text cut short.
  c=${good:370:1}
  [ "$c" = A ] && c=B || c=A
  run ga move friends "${good:0:370}$c${good:371}"
  assert_failure 2
  assert_output "grypt-admin: error: not a move statement: the new key's signature does not verify"
  run ga move friends "${good:0:300}"
  assert_failure 2
  assert_output "grypt-admin: error: not a move statement: not base64url of 272 bytes"
  run ga move friends "grypt-pk:${good:11}"
  assert_failure 2
  assert_output "grypt-admin: error: not a move statement: no grypt-move: prefix"
  head -c 5000 /dev/zero | tr '\0' A >long
  run ga move friends - <long
  assert_failure 2
  assert_output "grypt-admin: error: the standard input is too large (more than 1024 bytes)"
  run ga move friends "$(cat long)"
  assert_failure 2
  assert_output "grypt-admin: error: not a move statement: too long"
  # carol is no member: her statement moves no one.
  new_member carol
  cd_=$BATS_TEST_TMPDIR/u/carol/data/grypt
  as carol grypt-keygen --no-passphrase -o "$cd_/identity.new" >/dev/null 2>&1
  run ga move friends "$(as carol grypt-keygen --move-to "$cd_/identity.new")"
  assert_failure 2
  assert_output "grypt-admin: error: the key that moves is not a member of friends"
  # alice moving to bob's key: bob signs it, and still it is refused.
  run ga move friends "$(as alice grypt-keygen --move-to "$BATS_TEST_TMPDIR/u/bob/data/grypt/identity")"
  assert_failure 2
  assert_output "grypt-admin: error: friends: the new key is a member already, as bob"
  # A member that is not an administrator.
  run as alice grypt-admin move friends "$good"
  assert_failure 1
  [ "$(daemon_epoch admin friends)" = 3 ]
  run ga log friends
  refute_output --partial "move"
  # The good one still works.
  run --separate-stderr ga move friends "$good"
  assert_success
  assert_output "epoch 4"
  [[ "$stderr" == "grypt-admin: alice moved from "* ]]
}

@test "grypt-keygen --move-to: both passphrases, a wrong one is exit 1 with nothing printed; the same key and usage are refused" {
  printf 'old secret\n' >p1
  printf 'new secret\n' >p2
  printf 'wrong\n' >p3
  grypt-keygen -o old.id --passphrase-file p1 >old.pub
  grypt-keygen -o new.id --passphrase-file p2 >new.pub
  run --separate-stderr grypt-keygen --move-to new.id -i old.id --passphrase-file p1 --new-passphrase-file p2
  assert_success
  [[ "$output" =~ ^grypt-move:[A-Za-z0-9_-]{363}$ ]]
  # Without a terminal: the first line of standard input is the old
  # passphrase, the second the new.
  run --separate-stderr grypt-keygen --move-to new.id -i old.id < <(cat p1 p2)
  assert_success
  [[ "$output" =~ ^grypt-move: ]]
  # No daemon to take it: said, exit 2.
  run grypt-admin move friends "$output"
  assert_failure 2
  assert_output --partial "grypt-admin: error: gryptd is not running"
  run --separate-stderr grypt-keygen --move-to new.id -i old.id --passphrase-file p3 --new-passphrase-file p2
  assert_failure 1
  [ -z "$output" ]
  [ "$stderr" = "grypt-keygen: error: wrong passphrase for old.id" ]
  run --separate-stderr grypt-keygen --move-to new.id -i old.id --passphrase-file p1 --new-passphrase-file p3
  assert_failure 1
  [ -z "$output" ]
  [ "$stderr" = "grypt-keygen: error: wrong passphrase for new.id" ]
  run --separate-stderr grypt-keygen --move-to new.id -i old.id </dev/null
  assert_failure 2
  [ -z "$output" ]
  [ "$stderr" = "grypt-keygen: error: no terminal to ask for the passphrase of old.id, and nothing on standard input: give --passphrase-fd or --passphrase-file" ]
  cp old.id same.id
  run grypt-keygen --move-to same.id -i old.id --passphrase-file p1 --new-passphrase-file p1
  assert_failure 2
  assert_output "grypt-keygen: error: old.id and same.id hold the same key"
  run grypt-keygen --move-to new.id -o x.id
  assert_failure 2
  assert_output --partial "grypt-keygen: error: --move-to signs a move statement"
  run grypt-keygen --move-to missing.id -i old.id --passphrase-file p1
  assert_failure 2
  assert_output --partial "missing.id"
  [ ! -e x.id ]
}
