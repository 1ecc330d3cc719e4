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

@test "a vector whose expectation is wrong is reported" {
  sed '1s/.*/expect: auth/' "$REPO/test/vectors/message_anonymous_empty.vec" >wrong.vec
  run "$GRYPT_TEST_BIN/vector-check" wrong.vec
  assert_failure 1
  assert_output --partial "FAIL wrong.vec: expected auth, got ok"
}
