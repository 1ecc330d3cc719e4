#!/usr/bin/env bats
# Tampering with a sealed vault entry and a message: every flipped byte,
# every cut and every appendix must exit 1 and release no plaintext that
# was not authenticated.

load helper

vector_data() { sed '1,/^$/d' "$REPO/test/vectors/$1.vec" | base64 -d; }

entry_setup() {
  grypt-keygen -o host --no-passphrase >/dev/null 2>&1
  VG=(vault-get -i host --vault v)
}

@test "vault entry: every flipped byte exits 1 with no output" {
  entry_setup
  head -c 300 /dev/urandom | vault-put -i host --vault v name
  entry=$(find v/entries -type f)
  size=$(stat -c %s "$entry")
  [ "$size" -eq $((48 + 272 + 300 + 16)) ]
  cp "$entry" orig
  for i in $(flip_positions "$size" 48); do
    cp orig "$entry"
    flip "$entry" "$i"
    "${VG[@]}" name >out 2>err && { echo "byte $i: opened"; false; } || rc=$?
    [ "$rc" -eq 1 ] || { echo "byte $i: exit $rc: $(cat err)"; false; }
    [ ! -s out ] || { echo "byte $i: wrote $(stat -c %s out) bytes"; false; }
  done
  cp orig "$entry"
  "${VG[@]}" name >/dev/null
}

@test "vault entry: cuts at and inside chunk boundaries exit 1, output only whole verified chunks" {
  entry_setup
  head -c $((2 * 65536 + 1000)) /dev/urandom >plain
  vault-put -i host --vault v name <plain
  entry=$(find v/entries -type f)
  cp "$entry" orig
  head=$((48 + 272))
  for cut in 0 1 47 48 200 $head $((head + 1)) $((head + 15)) $((head + 16)) \
             $((head + 65551)) $((head + 65552)) $((head + 65553)) $((head + 100000)) \
             $((head + 2 * 65552)) $((head + 2 * 65552 + 1)) $(($(stat -c %s orig) - 1)); do
    head -c "$cut" orig >"$entry"
    "${VG[@]}" name >out 2>err && { echo "cut $cut: opened"; false; } || rc=$?
    [ "$rc" -eq 1 ] || { echo "cut $cut: exit $rc: $(cat err)"; false; }
    n=$(stat -c %s out)
    [ $((n % 65536)) -eq 0 ] || { echo "cut $cut: $n bytes is not whole chunks"; false; }
    cmp -s out <(head -c "$n" plain) || { echo "cut $cut: output is not the plaintext"; false; }
  done
}

@test "vault entry: appended bytes exit 1" {
  entry_setup
  echo "short secret" | vault-put -i host --vault v name
  entry=$(find v/entries -type f)
  cp "$entry" orig
  for n in 1 16 17 100 65552; do
    cp orig "$entry"
    head -c "$n" /dev/zero >>"$entry"
    run "${VG[@]}" name
    assert_failure 1
    refute_output --partial "short secret"
  done
}

@test "vault entry: moved to another name's place exits 1" {
  entry_setup
  echo a | vault-put -i host --vault v a
  a_dir=$(echo v/entries/*)
  echo b | vault-put -i host --vault v b
  b_dir=$(ls -d v/entries/* | grep -vx "$a_dir")
  cp "$a_dir"/* "$b_dir"/
  run "${VG[@]}" b
  assert_failure 1
  assert_output --partial "moved or renamed"
}

@test "message: every flipped byte exits 1 with no output" {
  vector_data message_signed_post_200 >msg
  vec="$REPO/test/vectors/message_signed_post_200.vec"
  size=$(stat -c %s msg)
  # grypt.5: a 32-byte header, 200 bytes and a tag of 16, a trailer of 72.
  [ "$size" -eq 320 ]
  "$GRYPT_TEST_BIN/vector-check" --open "$vec" <msg >/dev/null
  for i in $(flip_positions "$size" 32); do
    cp msg m
    flip m "$i"
    "$GRYPT_TEST_BIN/vector-check" --open "$vec" <m >out 2>err && { echo "byte $i: opened"; false; } || rc=$?
    [ "$rc" -eq 1 ] || { echo "byte $i: exit $rc: $(cat err)"; false; }
    [ ! -s out ] || { echo "byte $i: wrote output"; false; }
  done
}

@test "message: every cut and appendix exits 1, output only whole verified chunks" {
  vec="$REPO/test/vectors/message_signed_65537.vec"
  vector_data message_signed_65537 >msg
  "$GRYPT_TEST_BIN/vector-check" --open "$vec" <msg >plain
  size=$(stat -c %s msg)
  for cut in $(seq 0 7 60) 31 32 33 48 $((32 + 65551)) $((32 + 65552)) $((32 + 65553)) $((size - 1)); do
    head -c "$cut" msg >m
    "$GRYPT_TEST_BIN/vector-check" --open "$vec" <m >out 2>err && { echo "cut $cut: opened"; false; } || rc=$?
    [ "$rc" -eq 1 ] || { echo "cut $cut: exit $rc: $(cat err)"; false; }
    n=$(stat -c %s out)
    [ $((n % 65536)) -eq 0 ] && cmp -s out <(head -c "$n" plain) || { echo "cut $cut: bad output"; false; }
  done
  for n in 1 72 88 65552; do
    { cat msg; head -c "$n" /dev/zero; } >m
    run "$GRYPT_TEST_BIN/vector-check" --open "$vec" <m
    assert_failure 1
  done
}
