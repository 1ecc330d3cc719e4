#!/usr/bin/env bats
# pw-hash as a user runs it. Small parameters (-t 1 -m 64 -p 1) keep the
# suite fast; a few tests exercise the defaults on purpose.

load helper

FAST=(-t 1 -m 64 -p 1)
# With a pepper file a cost floor applies (by default the owasp profile);
# PEPPER lowers it to FAST.
PEPPER=(--pepper-file pepper --min-cost t=1,m=64)
PHC_RE='^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+(,keyid=[A-Za-z0-9+/]+)?\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$'

@test "hashes one line of stdin into a PHC string" {
  run pw-hash "${FAST[@]}" <<<"correct horse"
  assert_success
  assert_output --regexp "$PHC_RE"
  assert_output --partial '$m=64,t=1,p=1$'
}

@test "the default is RFC 9106's first recommendation and verifies" {
  run pw-hash <<<"default params"
  assert_success
  assert_output --regexp '^\$argon2id\$v=19\$m=2097152,t=1,p=4\$'
  hash=$output
  run pw-hash --verify "$hash" <<<"default params"
  assert_success
  assert_output ""
}

@test "profiles and explicit parameters" {
  run pw-hash --profile rfc9106-low <<<"pw"
  assert_output --regexp '^\$argon2id\$v=19\$m=65536,t=3,p=4\$'
  run pw-hash --profile owasp <<<"pw"
  assert_output --regexp '^\$argon2id\$v=19\$m=19456,t=2,p=1\$'
  run pw-hash --profile owasp -t 4 -m 1M -p 2 <<<"pw"
  assert_output --regexp '^\$argon2id\$v=19\$m=1024,t=4,p=2\$'
  run pw-hash -t 1 -m 2048K -p 1 <<<"pw"
  assert_output --regexp '^\$argon2id\$v=19\$m=2048,t=1,p=1\$'
  run pw-hash --profile nope <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: unknown profile 'nope': use rfc9106, rfc9106-low or owasp"
}

@test "matches the argon2 reference CLI for the same salt and parameters" {
  for p in "1 65536 4" "3 65536 4" "2 19456 1"; do
    read -r t m lanes <<<"$p"
    ref=$(printf '%s' 'interop password' | argon2 somesaltsomesalt -id -t "$t" -k "$m" -p "$lanes" -e)
    run pw-hash --salt c29tZXNhbHRzb21lc2FsdA -t "$t" -m "$m" -p "$lanes" <<<"interop password"
    assert_success
    assert_output "$ref"
  done
}

@test "verify: a match exits 0, a mismatch exits 1, both silently" {
  hash=$(pw-hash "${FAST[@]}" <<<"right")
  run pw-hash --verify "$hash" <<<"right"
  assert_success
  assert_output ""
  run pw-hash --verify "$hash" <<<"wrong"
  assert_failure 1
  assert_output ""
  run pw-hash --verify "$hash" <<<"right "
  assert_failure 1
}

@test "verify: every truncation of a hash is an error, not a mismatch" {
  hash=$(pw-hash "${FAST[@]}" <<<"pw")
  for ((i = 0; i < ${#hash}; i++)); do
    run pw-hash --verify "${hash:0:i}" <<<"pw"
    [ "$status" -eq 2 ] || { echo "prefix of $i chars: status $status: $output"; false; }
    [[ "$output" == "pw-hash: error: "* ]] || { echo "prefix $i: $output"; false; }
  done
}

@test "verify: malformed and unsupported hashes name the problem" {
  run pw-hash --verify '$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g' <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: unsupported algorithm 'argon2i': only argon2id is supported"
  run pw-hash --verify '$2b$12$abcdefghijklmnopqrstuu' <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: unsupported algorithm '2b': only argon2id is supported"
  run pw-hash --verify '$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g' <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: unsupported argon2 version 16: only v=19 is supported"
  run pw-hash --verify '$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2h' <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: malformed hash: hash is not canonical unpadded base64"
  run pw-hash --verify 'not a hash' <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: malformed hash: it does not start with '\$'"
}

@test "verify: a flipped character in salt or hash is a mismatch" {
  hash=$(pw-hash "${FAST[@]}" --salt AAAAAAAAAAAAAAAAAAAAAA <<<"pw")
  tampered=${hash/\$AAAAAAAAAAAAAAAAAAAAAA\$/\$AAAAAAAAAAAAAAAAAAAAAQ\$}
  [ "$tampered" != "$hash" ]
  run pw-hash --verify "$tampered" <<<"pw"
  assert_failure 1
}

@test "an empty password is refused unless --allow-empty" {
  run pw-hash "${FAST[@]}" <<<""
  assert_failure 2
  assert_output "pw-hash: error: empty password refused (use --allow-empty to allow it)"
  run pw-hash "${FAST[@]}" </dev/null
  assert_failure 2
  assert_output "pw-hash: error: no terminal to ask for the password, and nothing on standard input: give --password-fd or --password-file"
  run pw-hash "${FAST[@]}" --allow-empty <<<""
  assert_success
  hash=$output
  run pw-hash --verify "$hash" --allow-empty <<<""
  assert_success
  run pw-hash --verify "$hash" --allow-empty <<<"x"
  assert_failure 1
}

@test "a password over 64 KiB is refused" {
  run pw-hash "${FAST[@]}" < <(head -c 70000 /dev/zero | tr '\0' x; echo)
  assert_failure 2
  assert_output "pw-hash: error: the password is longer than 65536 bytes"
}

@test "--password-fd and --password-file read the password, not stdin" {
  echo "from file" >pwfile
  hash=$(pw-hash "${FAST[@]}" --password-file pwfile </dev/null)
  run pw-hash --verify "$hash" 3<<<"from file" --password-fd 3 </dev/null
  assert_success
  run pw-hash --verify "$hash" --password-fd 3 3<<<"other" </dev/null
  assert_failure 1
  run pw-hash "${FAST[@]}" --password-fd 3 --password-file pwfile
  assert_failure 2
  assert_output "pw-hash: error: give only one of --password-fd and --password-file"
  run pw-hash "${FAST[@]}" --password-file missing
  assert_failure 2
  assert_output "pw-hash: error: cannot open missing: No such file or directory"
  run pw-hash "${FAST[@]}" --password-fd 9
  assert_failure 2
  assert_output "pw-hash: error: cannot read the password: Bad file descriptor"
}

@test "a progress line at a terminal once hashing takes a while, erased at its end; none in a pipe or with --quiet" {
  command -v script >/dev/null || skip "script(1) is not installed"
  echo "pw" >pw
  export GRYPT_PROGRESS_AFTER_MS=0
  run script -qec "pw-hash -t 2 -m 64M -p 1 --password-file pw" /dev/null
  assert_success
  assert_output --partial $'\rpw-hash: hashing (t=2, m=64 MiB, p=1): 0 s'
  assert_output --partial $'\r\033[K$argon2id$v=19$m=65536,t=2,p=1$'
  hash=$(pw-hash -t 2 -m 64M -p 1 --password-file pw 2>err)
  [ ! -s err ]
  run script -qec "pw-hash --verify '$hash' --password-file pw; echo rc=\$?" /dev/null
  assert_output --partial $'\rpw-hash: hashing (t=2, m=64 MiB, p=1): 0 s\r\033[K'
  assert_output --partial "rc=0"
  run script -qec "pw-hash -t 2 -m 64M -p 1 --password-file pw --quiet" /dev/null
  assert_success
  refute_output --partial "hashing"
  # The default delay is a second: a fast hash shows nothing.
  unset GRYPT_PROGRESS_AFTER_MS
  run script -qec "pw-hash ${FAST[*]} --password-file pw" /dev/null
  refute_output --partial "hashing"
}

@test "--new-pepper makes the missing directories of its path, private" {
  run pw-hash --new-pepper etc/pw-hash/pepper
  assert_success
  [ "$(stat -c %a etc etc/pw-hash etc/pw-hash/pepper | tr '\n' ' ')" = "700 700 600 " ]
  P=(--pepper-file etc/pw-hash/pepper --min-cost t=1,m=64)
  run pw-hash --verify "$(pw-hash "${FAST[@]}" "${P[@]}" <<<pw)" "${P[@]}" <<<pw
  assert_success
}

@test "--new-pepper creates a private file and adds current peppers" {
  run pw-hash --new-pepper pepper
  assert_success
  assert_output --regexp '^[A-Za-z0-9+/]{8}$'
  first=$output
  [ "$(stat -c %a pepper)" = 600 ]
  run pw-hash --new-pepper pepper
  second=$output
  [ "$first" != "$second" ]
  grep -q "^$first " pepper
  grep -q "^$second " pepper
  [ "$(grep -vc '^#' pepper)" = 2 ]
}

@test "two rotations at once: every id printed with exit 0 is in the file" {
  pw-hash --new-pepper pepper >/dev/null
  pids=()
  for i in $(seq 1 16); do
    pw-hash --new-pepper pepper >"id.$i" 2>"err.$i" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for i in $(seq 1 16); do
    [ -s "id.$i" ] || { cat "err.$i"; false; }
    grep -q "^$(cat "id.$i") " pepper || { echo "id $(cat "id.$i") (run $i) is missing"; false; }
  done
  [ "$(grep -vc '^#' pepper)" -eq 17 ]
}

@test "--new-pepper with stdout closed or full changes nothing" {
  pw-hash --new-pepper pepper >/dev/null
  cp pepper before
  run bash -c 'pw-hash --new-pepper pepper >&-'
  assert_failure 2
  assert_output "pw-hash: error: cannot write to stdout: Bad file descriptor"
  cmp pepper before
  run bash -c 'pw-hash --new-pepper pepper >/dev/full'
  assert_failure 2
  assert_output "pw-hash: error: cannot write to stdout: No space left on device"
  cmp pepper before
  run bash -c 'pw-hash --new-pepper fresh >/dev/full'
  assert_failure 2
  [ ! -e fresh ]
}

@test "--new-pepper on a symlink updates the target; a FIFO or device is refused" {
  pw-hash --new-pepper real >/dev/null
  ln -s real link
  id=$(pw-hash --new-pepper link)
  [ -L link ]
  grep -q "^$id " real
  mkfifo -m 600 fifo
  run timeout 10 pw-hash --new-pepper fifo
  assert_failure 2
  assert_output "pw-hash: error: fifo is a FIFO, not a regular file"
  [ -p fifo ]
  run timeout 10 pw-hash --pepper-file fifo <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: fifo is a FIFO, not a regular file"
  run timeout 10 pw-hash --new-pepper /dev/null
  assert_failure 2
  assert_output "pw-hash: error: /dev/null is a device, not a regular file"
}

@test "a hash with control characters is quoted escaped, on one line" {
  run pw-hash --verify $'$argon2id$v=19$m=64,t=1,p=1\e]0;owned\a\n$x$y' <<<"pw"
  assert_failure 2
  [ "${#lines[@]}" -eq 1 ]
  assert_output --partial '\x1b]0;owned\x07\x0a'
  refute_output --partial $'\e'
}

@test "a peppered hash carries keyid and needs its pepper to verify" {
  id=$(pw-hash --new-pepper pepper)
  hash=$(pw-hash "${FAST[@]}" "${PEPPER[@]}" <<<"pw")
  assert_regex "$hash" "$PHC_RE"
  [[ "$hash" == *",keyid=$id\$"* ]]
  run pw-hash --verify "$hash" "${PEPPER[@]}" <<<"pw"
  assert_success
  run pw-hash --verify "$hash" "${PEPPER[@]}" <<<"nope"
  assert_failure 1
  run pw-hash --verify "$hash" <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: the hash was made with pepper $id: give its --pepper-file"
  pw-hash --new-pepper other >/dev/null
  run pw-hash --verify "$hash" --pepper-file other <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: pepper $id is not in other"
}

@test "with --pepper-file, a hash without a pepper id is refused: a planted hash opens nothing" {
  pw-hash --new-pepper pepper >/dev/null
  echo "known to the attacker" >pw
  planted=$(pw-hash "${FAST[@]}" --password-file pw </dev/null)
  run pw-hash --verify "$planted" "${PEPPER[@]}" --password-file pw </dev/null
  assert_failure 1
  assert_output "pw-hash: error: the hash has no pepper id: refused with --pepper-file (to migrate unpeppered hashes, add --accept-unpeppered --rehash)"
  run pw-hash --verify "$planted" --rehash "${FAST[@]}" "${PEPPER[@]}" --password-file pw </dev/null
  assert_failure 1
  assert_output "pw-hash: error: the hash has no pepper id: refused with --pepper-file (to migrate unpeppered hashes, add --accept-unpeppered --rehash)"
  # Refused before the password is read: no prompt, no read.
  run pw-hash --verify "$planted" "${PEPPER[@]}" --password-fd 9
  assert_failure 1
  assert_output --partial "the hash has no pepper id"
  # The same with the defaults, for a hash at the default cost floor.
  planted=$(pw-hash --profile owasp --password-file pw </dev/null)
  run pw-hash --verify "$planted" --pepper-file pepper --password-file pw </dev/null
  assert_failure 1
  assert_output "pw-hash: error: the hash has no pepper id: refused with --pepper-file (to migrate unpeppered hashes, add --accept-unpeppered --rehash)"
  # Without a pepper file it is a standard PHC string and verifies.
  run pw-hash --verify "$planted" --password-file pw </dev/null
  assert_success
  assert_output ""
}

@test "--accept-unpeppered: a legacy hash that matches is replaced by a peppered one, with a warning" {
  id=$(pw-hash --new-pepper pepper)
  echo "legacy password" >pw
  echo "not it" >wrong
  legacy=$(pw-hash "${FAST[@]}" --password-file pw </dev/null)
  run --separate-stderr pw-hash --verify "$legacy" --rehash --accept-unpeppered "${FAST[@]}" \
    "${PEPPER[@]}" --password-file pw </dev/null
  assert_success
  assert_output --regexp "$PHC_RE"
  [[ "$output" == *",keyid=$id\$"* ]]
  [ "$stderr" = "pw-hash: warning: accepted a hash without a pepper id (--accept-unpeppered): replace it with the peppered hash printed" ]
  fresh=$output
  # The replacement needs no opt-in, and the opt-in leaves it as it is.
  run --separate-stderr pw-hash --verify "$fresh" "${PEPPER[@]}" --password-file pw </dev/null
  assert_success
  assert_output ""
  [ -z "$stderr" ]
  run --separate-stderr pw-hash --verify "$fresh" --rehash --accept-unpeppered "${FAST[@]}" \
    "${PEPPER[@]}" --password-file pw </dev/null
  assert_success
  assert_output "$fresh"
  [ -z "$stderr" ]
  # A wrong password is a plain mismatch: nothing printed, nothing warned.
  run --separate-stderr pw-hash --verify "$legacy" --rehash --accept-unpeppered "${FAST[@]}" \
    "${PEPPER[@]}" --password-file wrong </dev/null
  assert_failure 1
  assert_output ""
  [ -z "$stderr" ]
}

@test "--accept-unpeppered needs --verify, --rehash and --pepper-file" {
  pw-hash --new-pepper pepper >/dev/null
  echo "pw" >pw
  legacy=$(pw-hash "${FAST[@]}" --password-file pw </dev/null)
  for args in "--verify $legacy --pepper-file pepper" "--verify $legacy --rehash" \
    "--pepper-file pepper" "--batch --pepper-file pepper"; do
    # shellcheck disable=SC2086
    run pw-hash $args --accept-unpeppered "${FAST[@]}" --password-file pw </dev/null
    assert_failure 2
    assert_output "pw-hash: error: --accept-unpeppered goes with --verify, --rehash and --pepper-file"
  done
}

@test "with --pepper-file, a hash under the cost floor is refused; one at the floor verifies" {
  pw-hash --new-pepper pepper >/dev/null
  echo "pw" >pw
  made=(-p 1 --pepper-file pepper --min-cost t=1,m=8 --password-file pw)
  floor=(--pepper-file pepper --min-cost t=2,m=64 --password-file pw)
  # The floor t=2,m=64: at least 64 KiB of memory and t x m = 128 KiB of work.
  for tm in "2 64" "1 128" "3 64"; do
    read -r t m <<<"$tm"
    hash=$(pw-hash -t "$t" -m "$m" "${made[@]}" </dev/null)
    run pw-hash --verify "$hash" "${floor[@]}" </dev/null
    [ "$status" -eq 0 ] || { echo "t=$t m=$m: status $status: $output"; false; }
    assert_output ""
  done
  # Lanes do not count.
  hash=$(pw-hash -t 2 -m 64 -p 8 --pepper-file pepper --min-cost t=1,m=8 --password-file pw </dev/null)
  run pw-hash --verify "$hash" "${floor[@]}" </dev/null
  assert_success
  # One KiB of memory less; more passes do not make up for memory.
  for t in 2 4; do
    hash=$(pw-hash -t "$t" -m 63 "${made[@]}" </dev/null)
    run pw-hash --verify "$hash" "${floor[@]}" </dev/null
    assert_failure 1
    assert_output "pw-hash: error: the hash is under the cost floor: m=63 KiB is below the memory floor of 64 KiB (see --min-cost)"
  done
  # One KiB of work less.
  hash=$(pw-hash -t 1 -m 127 "${made[@]}" </dev/null)
  run pw-hash --verify "$hash" "${floor[@]}" </dev/null
  assert_failure 1
  assert_output "pw-hash: error: the hash is under the cost floor: t=1 with m=127 KiB is below the work floor of t x m = 128 KiB (see --min-cost)"
  # Refused before the password is read, also with --rehash.
  run pw-hash --verify "$hash" --rehash -t 2 -m 64 -p 1 --pepper-file pepper --min-cost t=2,m=64 --password-fd 9
  assert_failure 1
  assert_output "pw-hash: error: the hash is under the cost floor: t=1 with m=127 KiB is below the work floor of t x m = 128 KiB (see --min-cost)"
  # --accept-unpeppered does not lower the floor.
  legacy=$(pw-hash -t 1 -m 127 -p 1 --password-file pw </dev/null)
  run pw-hash --verify "$legacy" --rehash --accept-unpeppered -t 2 -m 64 -p 1 "${floor[@]}" </dev/null
  assert_failure 1
  assert_output "pw-hash: error: the hash is under the cost floor: t=1 with m=127 KiB is below the work floor of t x m = 128 KiB (see --min-cost)"
  legacy=$(pw-hash -t 2 -m 64 -p 1 --password-file pw </dev/null)
  run --separate-stderr pw-hash --verify "$legacy" --rehash --accept-unpeppered -t 2 -m 64 -p 1 \
    "${floor[@]}" </dev/null
  assert_success
  assert_output --regexp ',keyid=[A-Za-z0-9+/]{8}\$'
  # Without a pepper file there is no floor: the hash is a standard PHC string.
  run pw-hash --verify "$legacy" --password-file pw </dev/null
  assert_success
}

@test "the default cost floor is the owasp profile, at its edges" {
  pw-hash --new-pepper pepper >/dev/null
  echo "pw" >pw
  made=(-p 1 --pepper-file pepper --min-cost t=1,m=8 --password-file pw)
  for tm in "2 19456" "1 38912"; do
    read -r t m <<<"$tm"
    hash=$(pw-hash -t "$t" -m "$m" "${made[@]}" </dev/null)
    run pw-hash --verify "$hash" --pepper-file pepper --password-file pw </dev/null
    [ "$status" -eq 0 ] || { echo "t=$t m=$m: status $status: $output"; false; }
  done
  hash=$(pw-hash -t 2 -m 19455 "${made[@]}" </dev/null)
  run pw-hash --verify "$hash" --pepper-file pepper --password-file pw </dev/null
  assert_failure 1
  assert_output "pw-hash: error: the hash is under the cost floor: m=19455 KiB is below the memory floor of 19456 KiB (see --min-cost)"
  hash=$(pw-hash -t 1 -m 38911 "${made[@]}" </dev/null)
  run pw-hash --verify "$hash" --pepper-file pepper --password-file pw </dev/null
  assert_failure 1
  assert_output "pw-hash: error: the hash is under the cost floor: t=1 with m=38911 KiB is below the work floor of t x m = 38912 KiB (see --min-cost)"
  # New hashes with a pepper must be at the floor too: every profile is.
  run pw-hash --profile owasp --pepper-file pepper --password-file pw </dev/null
  assert_success
  run pw-hash --profile rfc9106-low --pepper-file pepper --password-file pw </dev/null
  assert_success
  run pw-hash -t 1 -m 19456 -p 1 --pepper-file pepper --password-file pw </dev/null
  assert_failure 2
  assert_output "pw-hash: error: the parameters are under the cost floor: t=1 with m=19456 KiB is below the work floor of t x m = 38912 KiB (see --min-cost)"
  run pw-hash --batch "${FAST[@]}" --pepper-file pepper </dev/null
  assert_failure 2
  assert_output "pw-hash: error: the parameters are under the cost floor: m=64 KiB is below the memory floor of 19456 KiB (see --min-cost)"
}

@test "--min-cost: a profile or t=N,m=SIZE, with --pepper-file only" {
  pw-hash --new-pepper pepper >/dev/null
  echo "pw" >pw
  run pw-hash --min-cost owasp --profile owasp --password-file pw </dev/null
  assert_failure 2
  assert_output "pw-hash: error: --min-cost goes with --pepper-file"
  run pw-hash --min-cost rfc9106-low --profile owasp --pepper-file pepper --password-file pw </dev/null
  assert_failure 2
  assert_output "pw-hash: error: the parameters are under the cost floor: m=19456 KiB is below the memory floor of 65536 KiB (see --min-cost)"
  run pw-hash --min-cost m=1M,t=3 -t 3 -m 1M -p 1 --pepper-file pepper --password-file pw </dev/null
  assert_success
  run pw-hash --min-cost t=3,m=1M -t 3 -m 1023 -p 1 --pepper-file pepper --password-file pw </dev/null
  assert_failure 2
  assert_output "pw-hash: error: the parameters are under the cost floor: m=1023 KiB is below the memory floor of 1024 KiB (see --min-cost)"
  for bad in m=64 t=1 t=x,m=64 t=01,m=64 t=1,m=64,p=1 t=1,t=2,m=64 nope ""; do
    run pw-hash --min-cost "$bad" --pepper-file pepper --password-file pw </dev/null
    assert_failure 2
    assert_output "pw-hash: error: invalid --min-cost '$bad': give a profile (rfc9106, rfc9106-low or owasp) or t=N,m=SIZE"
  done
  run pw-hash --min-cost t=1,m=lots --pepper-file pepper --password-file pw </dev/null
  assert_failure 2
  assert_output "pw-hash: error: invalid memory size 'lots': give KiB, or a number with K, M or G"
  run pw-hash --min-cost t=17,m=64 --pepper-file pepper --password-file pw </dev/null
  assert_failure 2
  assert_output "pw-hash: error: --min-cost t=17,m=64: t=17 is above the limit of 16 passes"
}

@test "the pepper changes the hash: without it the same salt gives another" {
  pw-hash --new-pepper pepper >/dev/null
  with=$(pw-hash "${FAST[@]}" --salt AAAAAAAAAAAAAAAAAAAAAA "${PEPPER[@]}" <<<"pw")
  without=$(pw-hash "${FAST[@]}" --salt AAAAAAAAAAAAAAAAAAAAAA <<<"pw")
  [ "${with##*\$}" != "${without##*\$}" ]
}

@test "a pepper file others can read is refused" {
  pw-hash --new-pepper pepper >/dev/null
  chmod 644 pepper
  run pw-hash "${FAST[@]}" "${PEPPER[@]}" <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: pepper has mode 0644: it must not be readable by others (chmod 600 pepper)"
  run pw-hash --new-pepper pepper
  assert_failure 2
  chmod 600 pepper
  run pw-hash "${FAST[@]}" "${PEPPER[@]}" <<<"pw"
  assert_success
}

@test "a malformed pepper file is refused, naming the line" {
  printf '# peppers\nshort\n' >pepper
  chmod 600 pepper
  run pw-hash "${FAST[@]}" "${PEPPER[@]}" <<<"pw"
  assert_failure 2
  assert_output 'pw-hash: error: pepper line 2: expected "<id> <secret>"'
}

@test "pepper rotation: old hashes verify, --rehash moves them to the current pepper" {
  old_id=$(pw-hash --new-pepper pepper)
  old=$(pw-hash "${FAST[@]}" "${PEPPER[@]}" <<<"pw")
  new_id=$(pw-hash --new-pepper pepper)
  run pw-hash --verify "$old" "${PEPPER[@]}" <<<"pw"
  assert_success
  run pw-hash --verify "$old" --rehash "${FAST[@]}" "${PEPPER[@]}" <<<"pw"
  assert_success
  [[ "$output" == *",keyid=$new_id\$"* ]]
  fresh=$output
  run pw-hash --verify "$fresh" "${PEPPER[@]}" <<<"pw"
  assert_success
  run pw-hash --verify "$fresh" --rehash "${FAST[@]}" "${PEPPER[@]}" <<<"pw"
  assert_output "$fresh"
}

@test "--rehash keeps a current hash and upgrades outdated parameters" {
  hash=$(pw-hash -t 1 -m 64 -p 1 <<<"pw")
  run pw-hash --verify "$hash" --rehash -t 1 -m 64 -p 1 <<<"pw"
  assert_success
  assert_output "$hash"
  run pw-hash --verify "$hash" --rehash -t 2 -m 128 -p 1 <<<"pw"
  assert_success
  assert_output --regexp '^\$argon2id\$v=19\$m=128,t=2,p=1\$'
  upgraded=$output
  run pw-hash --verify "$upgraded" <<<"pw"
  assert_success
  run pw-hash --verify "$hash" --rehash -t 2 -m 128 -p 1 <<<"wrong"
  assert_failure 1
  assert_output ""
  run pw-hash --rehash <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: --rehash goes with --verify"
}

@test "parameters beyond the limits are refused, naming the parameter, at each edge" {
  H='c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'
  # t: 16 is allowed, 17 is not; a planted hash asking for 2^32 - 1 passes
  # is refused at once instead of running for hours.
  run pw-hash -t 16 -m 64 -p 1 <<<"pw"
  assert_success
  run pw-hash -t 17 -m 64 -p 1 <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: t=17 is above the limit of 16 passes"
  run timeout 5 pw-hash --verify "\$argon2id\$v=19\$m=64,t=4294967295,p=1\$$H" <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: refusing the hash: t=4294967295 is above the limit of 16 passes"
  run pw-hash --verify "\$argon2id\$v=19\$m=64,t=17,p=1\$$H" <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: refusing the hash: t=17 is above the limit of 16 passes"
  # p: 64 lanes are allowed, 65 are not.
  run pw-hash -t 1 -m 512 -p 64 <<<"pw"
  assert_success
  run pw-hash -t 1 -m 520 -p 65 <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: p=65 is above the limit of 64 lanes"
  run pw-hash --verify "\$argon2id\$v=19\$m=1024,t=1,p=65\$$H" <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: refusing the hash: p=65 is above the limit of 64 lanes"
  # m: 4 GiB is the most; one KiB more is refused before any memory check.
  run pw-hash -t 1 -m 4194305 -p 1 <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: m=4194305 KiB is above the limit of 4 GiB (4194304 KiB)"
  run pw-hash --verify "\$argon2id\$v=19\$m=4000000000,t=1,p=1\$$H" <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: refusing the hash: m=4000000000 KiB is above the limit of 4 GiB (4194304 KiB)"
  # t x m: 8 GiB of work is the most.
  run pw-hash -t 3 -m 4G -p 1 <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: t=3 with m=4194304 KiB is above the work limit of t x m = 8 GiB (8388608 KiB)"
  run pw-hash --verify "\$argon2id\$v=19\$m=1048576,t=9,p=1\$$H" <<<"pw"
  assert_failure 2
  assert_output --partial "above the work limit"
  # Below the limits, a memory size that does not fit this process is
  # refused with a hint before anything is allocated (sanitizers reserve
  # more address space than the limit leaves, so they are spared this).
  [ "${GRYPT_SANITIZE:-}" != 1 ] || return 0
  run bash -c 'ulimit -v 1000000; pw-hash -t 1 -m 4G -p 1 <<<"pw"'
  assert_failure 2
  assert_output --regexp '^pw-hash: error: Argon2 needs 4096 MiB of memory but only [0-9]+ MiB is available; try --profile rfc9106-low or a smaller -m$'
  run bash -c 'ulimit -v 1000000; pw-hash -t 2 -m 4G -p 1 <<<"pw"'
  assert_failure 2
  assert_output --partial "Argon2 needs 4096 MiB"
  run bash -c 'ulimit -v 400000; pw-hash -t 16 -m 512M -p 1 <<<"pw"'
  assert_failure 2
  assert_output --partial "Argon2 needs 512 MiB"
}

@test "memory sizes: suffixes, nonsense and the per-lane minimum" {
  run pw-hash -m 5000G <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: memory size 5000G is too large: Argon2 takes at most 4 TiB"
  run pw-hash -m lots <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: invalid memory size 'lots': give KiB, or a number with K, M or G"
  run pw-hash -m 31 -p 4 <<<"pw"
  assert_failure 2
  assert_output "pw-hash: error: m=31: memory must be at least 8 KiB per lane (32 KiB for 4 lanes)"
  run pw-hash -t 1 -m 32 -p 4 <<<"pw"
  assert_success
}

@test "--batch: one hash per line, in input order" {
  for i in $(seq 1 24); do echo "password number $i"; done >passwords
  run pw-hash --batch "${FAST[@]}" <passwords
  assert_success
  [ "${#lines[@]}" -eq 24 ]
  for i in $(seq 1 24); do
    assert_regex "${lines[i - 1]}" "$PHC_RE"
    pw-hash --verify "${lines[i - 1]}" <<<"password number $i" ||
      { echo "line $i does not verify"; false; }
  done
  run pw-hash --verify "${lines[0]}" <<<"password number 2"
  assert_failure 1
}

@test "--batch: an unterminated last line counts, empty input hashes nothing" {
  run pw-hash --batch "${FAST[@]}" < <(printf 'a\nb')
  assert_success
  [ "${#lines[@]}" -eq 2 ]
  pw-hash --verify "${lines[1]}" <<<"b"
  run pw-hash --batch "${FAST[@]}" </dev/null
  assert_success
  assert_output ""
}

@test "--batch: an empty line is refused, naming it" {
  run pw-hash --batch "${FAST[@]}" < <(printf 'a\n\nb\n')
  assert_failure 2
  assert_output "pw-hash: error: line 2: empty password refused (use --allow-empty to allow it)"
  run pw-hash --batch --allow-empty "${FAST[@]}" < <(printf 'a\n\nb\n')
  assert_success
  [ "${#lines[@]}" -eq 3 ]
}

@test "--batch with a pepper peppers every line" {
  id=$(pw-hash --new-pepper pepper)
  run pw-hash --batch "${FAST[@]}" "${PEPPER[@]}" < <(printf 'a\nb\n')
  assert_success
  [[ "${lines[0]}" == *",keyid=$id\$"* ]]
  pw-hash --verify "${lines[1]}" "${PEPPER[@]}" <<<"b"
}

@test "usage errors exit 2 with a hint" {
  run pw-hash --bogus
  assert_failure 2
  assert_output "pw-hash: error: option ‘bogus’ does not exist (see pw-hash --help)"
  run pw-hash --verify
  assert_failure 2
  run pw-hash --batch --verify x
  assert_failure 2
  assert_output "pw-hash: error: give only one of --verify, --batch and --new-pepper"
  run pw-hash extra-argument
  assert_failure 2
  assert_output "pw-hash: error: unexpected argument 'extra-argument' (see pw-hash --help)"
  run pw-hash -t x
  assert_failure 2
}

@test "--help and --version" {
  run pw-hash --help
  assert_success
  assert_output --partial "--pepper-file"
  assert_output --partial "Exit status: 0 success or match, 1 mismatch or refused hash, 2 error"
  run pw-hash --version
  assert_success
  assert_output --regexp '^pw-hash [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a full stdout is an error, not a silent loss" {
  run bash -c 'pw-hash -t 1 -m 64 -p 1 >/dev/full <<<"pw"'
  assert_failure 2
  assert_output "pw-hash: error: cannot write to stdout: No space left on device"
}

@test "a full disk leaves the pepper file as it was" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
  mkdir small
  mount -t tmpfs -o size=8k tmpfs small || skip "cannot mount tmpfs here"
  pw-hash --new-pepper small/pepper >/dev/null
  before=$(cat small/pepper)
  head -c 8192 /dev/zero >small/filler 2>/dev/null || true
  run pw-hash --new-pepper small/pepper
  status_seen=$status
  after=$(cat small/pepper)
  leftovers=$(ls -A small | grep -c tmp || true)
  umount small
  [ "$status_seen" -eq 2 ]
  assert_output --regexp '^pw-hash: error: cannot (write|create a file in) small.*: No space left on device$'
  [ "$before" = "$after" ]
  [ "$leftovers" -eq 0 ]
}

@test "at a terminal: the password is asked twice with echo off; a mismatch is an error" {
  command -v script >/dev/null || skip "script(1) is not installed"
  run terminal "pw-hash -t 1 -m 64 -p 1" 'hunter2' 'hunter3'
  assert_failure
  assert_output --partial "pw-hash: error: the passwords do not match"
  refute_output --partial "hunter"
  run terminal "pw-hash -t 1 -m 64 -p 1" 'hunter2' 'hunter2'
  assert_success
  refute_output --partial "hunter2"
  hash=$(printf '%s' "$output" | grep -o '\$argon2id\$[^[:space:]]*')
  pw-hash --verify "$hash" <<<"hunter2"
}
