#!/usr/bin/env bats
# The README's walkthroughs, run as written: each command line of a section,
# its comment cut, in order, in a private home, at a terminal (script(1))
# where a person would type the passphrase. A line that no longer does what
# the README says fails here. (The group walkthrough needs a server on a
# host name and system paths: grypt.bats and make demo run the same steps
# on 127.0.0.1.)

load helper

# readme_lines HEADING: the command lines (indented by four spaces) of the
# README section "### HEADING", without their comments.
readme_lines() {
  awk -v h="### $1" '
    $0 == h { on = 1; next }
    on && /^#/ { exit }
    on && /^    [^ ]/ { sub(/^    /, ""); sub(/ +# .*$/, ""); print }' "$REPO/README.md"
}

# at_terminal LINE TYPED...: LINE run by sh at a terminal, then its exit
# status as "rc=N"; TYPED... typed at its prompts.
at_terminal() {
  local line=$1
  shift
  script -qec "$line; echo rc=\$?" /dev/null < <(type_slowly "$@")
}

@test "README: identities and the vault in five minutes, line by line as written" {
  skip_when_sanitized "what the README says is checked once; vault.bats and grypt-keygen.bats run the code"
  mapfile -t steps < <(readme_lines "Identities and the vault in five minutes")
  [ "${#steps[@]}" -eq 13 ]
  grypt-keygen -o other --no-passphrase >/dev/null 2>&1
  declare -A out
  for line in "${steps[@]}"; do
    case $line in
      "grypt-keygen") typed=("first words" "first words") ;;
      "grypt-keygen --change-passphrase") typed=("first words" "second words" "second words") ;;
      "grypt-keygen --fingerprint") typed=() ;;
      # vault.bats runs --clip against a fake clipboard: none here.
      "vault-get --clip "*) continue ;;
      "vault-put --recipients keys.txt")
        { grypt-keygen --public; grypt-keygen --public -i other; } >keys.txt
        typed=("second words") ;;
      *) typed=("second words") ;;
    esac
    run at_terminal "$line" "${typed[@]}"
    [ "${lines[${#lines[@]} - 1]}" = "rc=0"$'\r' ] || { echo "README line: $line"; echo "$output"; false; }
    out[$line]=$output
  done
  [[ ${out[grypt-keygen]} == *"grypt-pk:"* ]]
  [[ ${out[grypt-keygen --fingerprint]} == *"$(fingerprint_of <(grypt-keygen --public))"* ]]
  [[ ${out[vault-get db/prod/password]} == *"s3cret"$'\r'* ]]
  [[ ${out[vault-get --version 1 db/prod/password]} == *"s3cret"$'\r'* ]]
  [[ ${out[vault-get --list db/ --json]} == *'"db/prod/password"'* ]]
  [[ ${out[vault-get --list \'api/*\']} != *"/"* ]]
  # Deleted, then sealed again to both keys: the other identity reads the
  # history, the name itself is gone.
  run vault-get -i other --version 1 db/prod/password
  assert_success
  assert_output "s3cret"
  run vault-get -i other db/prod/password
  assert_failure 2
  run vault-get -i other web/shop
  assert_success
  [ "${#output}" -eq 24 ]
}

@test "README: pw-hash in five commands, as written but for /etc" {
  skip_when_sanitized "what the README says is checked once; pw-hash.bats runs the code"
  mapfile -t steps < <(readme_lines "pw-hash in five commands")
  [ "${#steps[@]}" -eq 5 ]
  echo "correct horse" >password
  printf 'one\ntwo\nthree\n' >passwords
  outs=()
  for line in "${steps[@]}"; do
    # The pepper goes to this test's directory, not the machine's /etc.
    line=${line//\/etc\//$BATS_TEST_TMPDIR/etc/}
    run --separate-stderr sh -c "$line"
    [ "$status" -eq 0 ] || { echo "README line: $line: exit $status: $stderr"; false; }
    # The first line's PHC string is the $hash of those after it.
    [ -n "${hash:-}" ] || { hash=$output; export hash; }
    outs+=("$output")
  done
  # The fourth line moved the hash to the pepper: a new PHC string with its
  # id, which verifies with the pepper only.
  [[ ${outs[3]} == '$argon2id$v=19$m=2097152,t=1,p=4,keyid='"${outs[2]}"'$'* ]]
  pw-hash --verify "${outs[3]}" --pepper-file "$BATS_TEST_TMPDIR/etc/pw-hash/pepper" <password
  run pw-hash --verify "${outs[3]}" <password
  [ "$status" -ne 0 ]
  [[ $hash == '$argon2id$v=19$m=2097152,t=1,p=4$'* ]]
  [ -s "$BATS_TEST_TMPDIR/etc/pw-hash/pepper" ]
  [ "$(wc -l <hashes)" -eq 3 ]
}
