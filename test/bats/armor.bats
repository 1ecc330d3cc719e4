#!/usr/bin/env bats
# The armor forms for sites that count characters (x, dense): their
# alphabets, and what sites and people do to a post.

load helper

@test "the alphabets regenerate byte for byte from Debian's Unicode data" {
  "$REPO/build-aux/armor-alphabets" --inc armor_alphabets.inc
  cmp armor_alphabets.inc "$REPO/src/core/armor_alphabets.inc"
}

@test "armor-alphabets: a missing Unicode database is named, exit 1" {
  run "$REPO/build-aux/armor-alphabets" --ucd "$BATS_TEST_TMPDIR/none" --inc out.inc
  assert_failure 1
  assert_output "armor-alphabets: cannot read $BATS_TEST_TMPDIR/none/DerivedAge.txt: No such file or directory (install the Debian package unicode-data)"
  [ ! -e out.inc ]
}
