#!/usr/bin/env bats
# The README's walkthroughs, run as written: each command line of a section,
# its comment cut, in order, in a private home, at a terminal (script(1))
# where a person would type the passphrase. A line that no longer does what
# the README says fails here. Only names and places change: the machine's
# /etc and /var/lib move under the test's directory, the server's host name
# becomes 127.0.0.1, and the ... of a key or reference is the real one.

load helper
load member_helper
load server_helper
load pg_helper

teardown() {
  server_teardown
  stop_pg
}

# readme_lines HEADING: the command lines (indented by four spaces) of the
# README section "### HEADING", without their comments; a line that ends
# in a backslash is joined with the next, as sh reads it.
readme_lines() {
  awk -v h="### $1" '
    $0 == h { on = 1; next }
    on && /^#/ { exit }
    on && cont != "" { sub(/^ +/, ""); line = cont $0 }
    on && cont == "" && /^    [^ ]/ { line = substr($0, 5) }
    on && line != "" {
      if (line ~ /\\$/) { cont = substr(line, 1, length(line) - 1); line = ""; next }
      cont = ""; sub(/ +# .*$/, "", line); print line; line = ""
    }' "$REPO/README.md"
}

# at_terminal LINE TYPED...: LINE at a terminal (helper.bash, terminal),
# then its exit status as a last line "rc=N".
at_terminal() {
  local rc=0
  terminal "$@" || rc=$?
  printf '\nrc=%s\n' "$rc"
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
    [ "${lines[${#lines[@]} - 1]}" = "rc=0" ] || { echo "README line: $line"; echo "$output"; false; }
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

# step PREFIX: the one line of STEPS that starts with PREFIX, taken from
# the lines left (each is run once: the test ends with none left).
step() {
  local i found=
  for i in "${!STEPS[@]}"; do
    if [[ ${STEPS[$i]} == "$1"* ]]; then
      [ -z "$found" ] || { echo "two README lines start with $1" >&2; return 1; }
      found=$i
    fi
  done
  [ -n "$found" ] || { echo "no README line starts with $1" >&2; return 1; }
  LINE=${STEPS[$found]}
  unset 'STEPS[found]'
  # The machine's places under the test's root, the server on 127.0.0.1.
  LINE=${LINE//\/var\/lib\//$ROOT/var/lib/}
  LINE=${LINE//\/etc\//$ROOT/etc/}
  LINE=${LINE//--host grypt.example.org/--host 127.0.0.1 --listen 127.0.0.1:$PORT}
}

@test "README: a group in ten commands, as written but for names and places, on 127.0.0.1" {
  skip_when_sanitized "what the README says is checked once; grypt.bats runs the code"
  mapfile -t STEPS < <(readme_lines "A group in ten commands")
  [ "${#STEPS[@]}" -eq 12 ]
  ROOT=$BATS_TEST_TMPDIR/root
  PORT=$(free_port)
  new_member admin
  new_member bob
  # The operator: init, serve (in the background, by pid), the reference.
  step "gryptserver init"
  sh -c "${LINE//grypt-pk:.../$(cat admin.pub)}"
  step "gryptserver serve"
  [[ $LINE == *" &" ]]
  sh -c "exec ${LINE% &}" 2>server.log &
  echo $! >>"$BATS_TEST_TMPDIR/pids"
  for ((i = 0; i < 100; i++)); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  step "gryptserver reference"
  SREF=$(sh -c "$LINE")
  [[ $SREF == grypt-srv:* ]]
  # The administrator, with gryptd running.
  start_daemon admin
  step "grypt-admin create"
  REF=$(as admin sh -c "${LINE//grypt-srv:.../$SREF}")
  [[ $REF == grypt-ref:* ]]
  # A member: a protected identity, asked at a terminal; the daemon detaches.
  mkdir -p "$BATS_TEST_TMPDIR/u/alice/run"
  chmod 700 "$BATS_TEST_TMPDIR/u/alice/run"
  user_env alice
  step "grypt-keygen"
  run at_terminal "env ${USER_ENV[*]} $LINE" "alice's words" "alice's words"
  assert_line "rc=0"
  step "gryptd join"
  as alice sh -c "${LINE//grypt-ref:.../$REF}"
  step "gryptd"  # the join above is taken: the one line left
  [ "$LINE" = "gryptd" ]
  run at_terminal "env ${USER_ENV[*]} $LINE" "alice's words"
  assert_line "rc=0"
  as alice gryptd status --json | sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' >>"$BATS_TEST_TMPDIR/pids"
  # The administrator admits her by number, once her fingerprint matched,
  # and bob from a file.
  step "grypt-admin pending"
  run as admin sh -c "$LINE"
  assert_success
  assert_output --partial "$(as alice grypt-keygen --fingerprint </dev/null)"
  assert_output --partial "alice from the club"
  step "grypt-admin add friends 1"
  as admin sh -c "$LINE"
  echo "bob $(cat bob.pub)" >members.txt
  step "grypt-admin add friends --from"
  as admin sh -c "$LINE"
  wait_epoch alice friends 3
  # Her post, on a page, opened as the README opens a forum thread.
  step "echo 'meet at six'"
  as alice sh -c "$LINE" >post
  { echo "<p>a forum thread</p><p>"; cat post; echo "</p>"; } >page.html
  step "curl -s https://forum.example/t/42"
  run --separate-stderr as alice sh -c "${LINE//curl -s https:\/\/forum.example\/t\/42/cat page.html}"
  assert_success
  assert_output "meet at six"
  [[ $stderr == *"from alice"* ]]
  [ "${#STEPS[@]}" -eq 0 ]
}

@test "README: several front ends on PostgreSQL, as written but for names and places, on 127.0.0.1" {
  skip_when_sanitized "what the README says is checked once; frontends.bats runs the code"
  mapfile -t STEPS < <(readme_lines "Beyond one machine: several front ends on PostgreSQL")
  [ "${#STEPS[@]}" -eq 2 ]
  ROOT=$BATS_TEST_TMPDIR/root
  start_pg
  P1=$(free_port)
  P2=$(free_port)
  new_member admin
  # The places: the database the test started, two front ends on 127.0.0.1.
  places() {
    LINE=${LINE//postgresql:\/\/grypt@db.example.org\/grypt/$DB}
    LINE=${LINE//a.example.org:4433/127.0.0.1:$P1}
    LINE=${LINE//b.example.org:4433/127.0.0.1:$P2}
  }
  step "gryptserver init"
  places
  SREF=$(sh -c "${LINE//grypt-pk:.../$(cat admin.pub)}")
  [[ $SREF == grypt-srv:* ]]
  step "gryptserver serve"
  places
  for p in "$P1" "$P2"; do
    sh -c "exec ${LINE//0.0.0.0:4433/127.0.0.1:$p}" 2>>"server$p.log" &
    echo $! >>"$BATS_TEST_TMPDIR/pids"
  done
  for p in "$P1" "$P2"; do
    for ((i = 0; i < 100; i++)); do (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
  done
  # The reference names both; a group made through the first is served by the second.
  start_daemon admin
  REF=$(ga create friends "$SREF" --name admin)
  for ((i = 0; i < 100; i++)); do grep -q "friends: created through another front end" "server$P2.log" && break; sleep 0.1; done
  run grep -c "friends: created" "server$P1.log" "server$P2.log"
  assert_output "server$P1.log:1
server$P2.log:1"
  [ "${#STEPS[@]}" -eq 0 ]
}
