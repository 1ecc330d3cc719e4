#!/usr/bin/env bats
# grypt.7, BACKUP: the files it names are a complete backup of a member, an
# administrator and a server; each is restored into a fresh place here and
# works.

load helper
load member_helper
load server_helper

setup() {
  setup_home
  new_member alice
  new_member bob
}

teardown() { server_teardown; }

# backup NAME: the files grypt.7 names for NAME, as a tar file NAME.tar.
backup() {
  local d=$BATS_TEST_TMPDIR/u/$1
  tar -C "$d" -cf "$1.tar" data/grypt/identity config/grypt/groups state/grypt
}

# restore NAME: NAME's home wiped and its backup put back.
restore() {
  local d=$BATS_TEST_TMPDIR/u/$1
  rm -rf "$d"
  mkdir -p "$d/run"
  chmod 700 "$d/run"
  tar -C "$d" -xpf "$1.tar"
}

@test "a member restored from its backup opens its old posts and seals new ones; without its cache too" {
  friends_online
  echo "before the loss" | as alice grypt-seal friends >old
  stop_daemon alice
  backup alice
  restore alice
  [ "$(stat -c %a "$BATS_TEST_TMPDIR/u/alice/data/grypt/identity")" = 600 ]
  start_daemon alice
  wait_epoch alice friends 3
  run --separate-stderr as alice grypt-open <old
  assert_success
  assert_output "before the loss"
  echo "after the restore" | as alice grypt-seal friends >new
  run as bob grypt-open <new
  assert_output --partial "after the restore"
  # The identity and the groups file alone: the server sends the states
  # and boxes again.
  stop_daemon alice
  rm -rf "$BATS_TEST_TMPDIR/u/alice/state"
  start_daemon alice
  wait_epoch alice friends 3
  run --separate-stderr as alice grypt-open <old
  assert_success
  assert_output "before the loss"
}

@test "an administrator restored from its backup still signs the group's changes" {
  friends_online
  stop_daemon admin
  backup admin
  restore admin
  start_admin
  wait_epoch admin friends 3
  run ga remove friends bob
  assert_success
  assert_output "epoch 4"
  wait_epoch alice friends 4
}

@test "a server restored from its store and master key serves the groups as they were" {
  friends_online
  echo "kept by the server" | as alice grypt-seal friends >post
  stop_server
  cp -a "$STORE" store.backup
  cp -p "$MK" mk.backup
  rm -rf "$STORE" "$MK"
  cp -a store.backup "$STORE"
  cp -p mk.backup "$MK"
  # Where the references point.
  SERVE_LISTEN=127.0.0.1:$PORT
  start_server
  [ "$(gs groups | cut -d ' ' -f 1-4)" = "friends  epoch 3" ]
  # Members reconnect by themselves, and a change reaches them.
  run ga remove friends bob
  assert_output "epoch 4"
  wait_epoch alice friends 4
  run --separate-stderr as alice grypt-open <post
  assert_output "kept by the server"
}
