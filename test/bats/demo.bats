#!/usr/bin/env bats
# make demo's script (build-aux/demo), as make demo runs it: it succeeds,
# shows the join, the pending request and the add by number, the removal,
# the server's absence and its warning, writes no escape code into a pipe,
# shows no command abbreviated, and leaves no process or file behind.

load helper

@test "make demo: end to end, plain text in a pipe, every command whole, nothing left behind" {
  skip_when_sanitized "the demo runs what the other tests run under the sanitizers; it is checked once"
  run --separate-stderr env TMPDIR="$BATS_TEST_TMPDIR" GRYPT_BIN="${GRYPT_BIN:-$REPO/bin}" "$REPO/build-aux/demo"
  assert_success
  # Plain text: no escape code when stdout is not a terminal.
  [[ $output != *$'\e'* ]]
  assert_line "$ grypt-admin pending friends      # (alice: bob's request, with his key's fingerprint)"
  assert_line "$ grypt-admin add friends 1 --name bob      # (alice: her daemon signs epoch 2 and boxes its key to each member)"
  assert_line "$ grypt-admin remove friends bob      # (alice)"
  # The server down: the seal warns with the time of the last confirmation,
  # and --require-fresh refuses.
  [[ $stderr == *"grypt-seal: warning: "*"sealing under epoch 3, last confirmed "* ]]
  assert_line "exit 2: nothing sealed"
  assert_line "Still on for Thursday."
  # Every command shown whole: no "..." in place of arguments.
  ! grep '^\$ .*\.\.\.' <<<"$output"
  assert_line --partial "Done: every process started here was stopped"
  # Nothing left: its directory removed, none of its processes running.
  [ -z "$(ls "$BATS_TEST_TMPDIR" | grep '^tmp\.')" ]
  for p in $(pgrep -x gryptd; pgrep -x gryptserver); do
    [[ $(readlink "/proc/$p/cwd") != "$BATS_TEST_TMPDIR"/tmp.* ]]
    ! tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -q "^HOME=$BATS_TEST_TMPDIR/tmp\."
  done
}
