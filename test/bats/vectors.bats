#!/usr/bin/env bats
# Every test vector through the command-line checker: each opens, or fails
# for the reason its expect line names.

load helper

@test "every vector comes out as its expect line says" {
  run "$GRYPT_TEST_BIN/vector-check" "$REPO"/test/vectors/*.vec
  assert_success
  [ "${#lines[@]}" -eq "$(ls "$REPO"/test/vectors/*.vec | wc -l)" ]
  refute_output --partial FAIL
}

@test "the vectors cover every failure class and the chunk boundaries" {
  for class in ok armor header auth truncated 'trailing data' 'wrong key' 'wrong name'; do
    grep -lqx "expect: $class" "$REPO"/test/vectors/*.vec || { echo "no $class vector"; false; }
  done
  for n in message_anonymous_empty message_anonymous_65536 message_anonymous_65537 \
           vault_entry_empty vault_entry_65536 vault_entry_65537; do
    [ -f "$REPO/test/vectors/$n.vec" ] || { echo "missing $n"; false; }
  done
}

@test "the group vectors reach every state fault and each format's cases" {
  for fault in malformed 'bad signature' 'not genesis' 'other group' 'not next' 'bad previous' 'not admin' \
               'bad change' 'last admin' 'roster mismatch' renamed forked 'key mismatch'; do
    grep -lqx "expect: $fault" "$REPO"/test/vectors/state_*.vec || { echo "no state vector for $fault"; false; }
  done
  for code in stale bad-state not-admin bad-boxes name-taken protocol; do
    grep -lqx "expect: $code" "$REPO"/test/vectors/commit_*.vec || { echo "no commit vector for $code"; false; }
  done
  for format in state reference join-request commit; do
    grep -lx "format: $format" "$REPO"/test/vectors/*.vec | xargs grep -lqx "expect: ok" ||
      { echo "no $format vector that opens"; false; }
    grep -lx "format: $format" "$REPO"/test/vectors/*.vec | xargs grep -Lx "expect: ok" | grep -q . ||
      { echo "no $format vector that fails"; false; }
  done
  for n in state_genesis state_every_change state_history_granted state_replay_held \
           reference_group reference_server join_request_note; do
    [ -f "$REPO/test/vectors/$n.vec" ] || { echo "missing $n"; false; }
  done
}

@test "a commit vector whose boxes go to other members, or that a server refuses for another reason, is reported" {
  # The boxes stored for the members in another order.
  awk '/^box-for: /{b[++n]=$0; next} n==2 && !done {print b[2]; print b[1]; done=1} {print}' \
    "$REPO/test/vectors/commit_add.vec" >order.vec
  grep -c '^box-for: ' order.vec | grep -qx 2
  run "$GRYPT_TEST_BIN/vector-check" order.vec
  assert_failure
  assert_output --partial "box-for is"
  # Refused as stale, where the server refuses it for its boxes.
  sed 's/^expect: bad-boxes$/expect: stale/' "$REPO/test/vectors/commit_boxes_short.vec" >code.vec
  run "$GRYPT_TEST_BIN/vector-check" code.vec
  assert_failure
  assert_output --partial "expected stale, got bad-boxes"
}

@test "a state vector that opens to another roster or other keys is reported" {
  sed 's/^roster-entry: member bob /roster-entry: admin bob /' \
    "$REPO/test/vectors/state_every_change.vec" >roster.vec
  sed '/^held-key: 1 /d' "$REPO/test/vectors/state_history_granted.vec" >keys.vec
  sed 's/^placed: \(.*\) held$/placed: \1 appended/' "$REPO/test/vectors/state_replay_held.vec" >placed.vec
  run "$GRYPT_TEST_BIN/vector-check" roster.vec keys.vec placed.vec
  assert_failure 1
  assert_line --partial "FAIL roster.vec: opened, but roster-entry is"
  assert_line --partial "FAIL keys.vec: opened, but held-key is"
  assert_line --partial "FAIL placed.vec: opened, but placed is"
}

@test "a state vector refused for another reason than it names is reported" {
  sed '1s/.*/expect: bad previous/' "$REPO/test/vectors/state_not_next_gap.vec" >gap.vec
  run "$GRYPT_TEST_BIN/vector-check" gap.vec
  assert_failure 1
  assert_output --partial "FAIL gap.vec: expected bad previous, got not next"
}

@test "a vector whose expectation is wrong is reported" {
  sed '1s/.*/expect: auth/' "$REPO/test/vectors/message_anonymous_empty.vec" >wrong.vec
  run "$GRYPT_TEST_BIN/vector-check" wrong.vec
  assert_failure 1
  assert_output --partial "FAIL wrong.vec: expected auth, got ok"
}
