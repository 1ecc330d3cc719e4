#!/usr/bin/env bats
# vault-put and vault-get as a user and a cron job use them.

load helper

setup() {
  setup_home
  echo "vault pass" >pass
  chmod 600 pass
  grypt-keygen --passphrase-file pass --kdf-profile owasp >pub
  V=(--passphrase-file pass)
}

@test "put then get: exactly the bytes stored, nothing printed on put" {
  run --separate-stderr vault-put "${V[@]}" db/prod/password <<<"s3cret"
  assert_success
  assert_output ""
  [ -z "$stderr" ]
  run vault-get "${V[@]}" db/prod/password
  assert_success
  assert_output "s3cret"
  printf 'no newline' | vault-put "${V[@]}" raw
  [ "$(vault-get "${V[@]}" raw | od -c | head -1)" = "$(printf 'no newline' | od -c | head -1)" ]
  head -c 1000 /dev/urandom >bin
  vault-put "${V[@]}" binary <bin
  vault-get "${V[@]}" binary | cmp - bin
}

@test "the first put creates a private vault; names never reach the disk" {
  vault-put "${V[@]}" "mail/work password" <<<"x"
  vault="$XDG_DATA_HOME/grypt/vault"
  [ "$(stat -c %a "$vault")" = 700 ]
  [ -f "$vault/vault.key" ]
  run grep -rl "mail" "$vault"
  assert_failure
  run find "$vault" -name '*mail*'
  assert_output ""
}

@test "versions: --history lists them newest first, --version K prints one" {
  for v in one two three; do vault-put "${V[@]}" api/token <<<"$v"; done
  run vault-get "${V[@]}" --history api/token
  assert_success
  [ "${#lines[@]}" -eq 3 ]
  assert_line --index 0 --regexp '^3  [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z  6 bytes$'
  assert_line --index 2 --regexp '^1  .*  4 bytes$'
  run vault-get "${V[@]}" --version 2 api/token
  assert_output "two"
  run vault-get "${V[@]}" --version=1 api/token
  assert_output "one"
  vault-put "${V[@]}" 2fa/x <<<"totp"
  run vault-get "${V[@]}" --version 1 2fa/x
  assert_output "totp"
  run vault-get "${V[@]}" --history --json api/token
  assert_output --regexp '^\[\{"version":3,"time":"[0-9T:Z-]+","size":6,"deleted":false\},\{"version":2,.*\},\{"version":1,.*"size":4,"deleted":false\}\]$'
  run vault-get "${V[@]}" --version 9 api/token
  assert_failure 2
  assert_output "vault-get: error: api/token has no version 9 (see --history)"
}

@test "--keep N keeps the newest N versions" {
  for i in 1 2 3 4 5; do vault-put "${V[@]}" --keep 2 k <<<"v$i"; done
  run vault-get "${V[@]}" --history k
  [ "${#lines[@]}" -eq 2 ]
  assert_line --index 0 --regexp '^5 '
  assert_line --index 1 --regexp '^4 '
  run vault-get "${V[@]}" --version 3 k
  assert_failure 2
  run vault-put "${V[@]}" --keep 0 k <<<"x"
  assert_failure 2
  assert_output "vault-put: error: --keep must be at least 1"
}

@test "--delete is soft: get fails, history and old versions stay" {
  vault-put "${V[@]}" gone <<<"was here"
  vault-put "${V[@]}" kept <<<"still"
  run vault-put "${V[@]}" --delete gone
  assert_success
  run vault-get "${V[@]}" gone
  assert_failure 2
  assert_output "vault-get: error: gone was deleted (see --history)"
  run vault-get "${V[@]}" --history gone
  assert_line --index 0 --regexp '^2  .*  0 bytes  deleted$'
  run vault-get "${V[@]}" --version 1 gone
  assert_output "was here"
  run vault-get "${V[@]}" --list
  assert_output "kept"
  run vault-put "${V[@]}" --delete gone
  assert_failure 2
  assert_output "vault-put: error: gone is already deleted"
  run vault-put "${V[@]}" --delete never-existed
  assert_failure 2
  assert_output "vault-put: error: no secret named never-existed"
  vault-put "${V[@]}" gone <<<"back"
  run vault-get "${V[@]}" gone
  assert_output "back"
}

@test "--generate N stores N random letters and digits and prints them once; stdin is not read" {
  run --separate-stderr vault-put "${V[@]}" --generate 24 web/shop <<<"not this"
  assert_success
  assert_output --regexp '^[A-Za-z0-9]{24}$'
  [ -z "$stderr" ]
  generated=$output
  run vault-get "${V[@]}" web/shop
  assert_output "$generated"
  # Stored as vault-put stores it from stdin: the characters, no newline.
  [ "$(vault-get "${V[@]}" web/shop | wc -c)" -eq 24 ]
  run vault-put "${V[@]}" --generate 24 web/shop
  refute_output "$generated"
  run vault-get "${V[@]}" --history web/shop
  [ "${#lines[@]}" -eq 2 ]
  # Stdin is left as it was, unread.
  rest=$({ vault-put "${V[@]}" --generate 8 web/other >/dev/null; cat; } <<<"the rest")
  [ "$rest" = "the rest" ]
  run vault-put "${V[@]}" --generate 1 one
  assert_output --regexp '^[A-Za-z0-9]$'
}

@test "--generate --symbols adds punctuation; 4096 is the longest; --quiet prints nothing" {
  run vault-put "${V[@]}" --generate 4096 long
  assert_success
  assert_output --regexp '^[A-Za-z0-9]{4096}$'
  run vault-put "${V[@]}" --generate 4096 --symbols long
  assert_success
  assert_output --regexp '^[!-~]{4096}$'
  assert_output --regexp '[^A-Za-z0-9]'
  [ "$(vault-get "${V[@]}" long)" = "$output" ]
  run --separate-stderr vault-put "${V[@]}" --generate 16 --quiet --symbols quiet
  assert_success
  assert_output ""
  [ -z "$stderr" ]
  run vault-get "${V[@]}" quiet
  assert_output --regexp '^[!-~]{16}$'
}

@test "--generate refuses a nonsense length and combinations, and stores nothing" {
  for n in 0 4097 -1 abc '' 1e3 ' 5' 00000001 99999999999999999999; do
    run --separate-stderr vault-put "${V[@]}" --generate "$n" x
    assert_failure 2
    assert_output ""
    [ "$stderr" = "vault-put: error: --generate needs a length from 1 to 4096, not '$n'" ]
  done
  run vault-get "${V[@]}" x
  assert_output "vault-get: error: there is no vault at $XDG_DATA_HOME/grypt/vault (vault-put creates one)"
  run vault-put "${V[@]}" --symbols x <<<"y"
  assert_failure 2
  assert_output "vault-put: error: --symbols goes with --generate"
  run vault-put "${V[@]}" --quiet --delete x
  assert_failure 2
  assert_output "vault-put: error: --quiet goes with storing a secret (NAME or --generate)"
  run vault-put "${V[@]}" --generate 8 --delete x
  assert_failure 2
  assert_output "vault-put: error: give only one of --generate and --delete"
  run vault-put "${V[@]}" --generate 8 --recipients pub
  assert_failure 2
  assert_output "vault-put: error: --recipients takes no NAME, no --delete and no --generate"
  run vault-put "${V[@]}" --generate 8
  assert_failure 2
  assert_output "vault-put: error: give the NAME of the secret (see vault-put --help)"
}

@test "--generate never takes the passphrase from stdin; a wrong one prints and stores nothing" {
  run setsid bash -c 'echo "vault pass" | vault-put --generate 8 x' </dev/null
  assert_failure 2
  assert_output "vault-put: error: no terminal to ask for the passphrase: give --passphrase-fd or --passphrase-file"
  vault-put "${V[@]}" x <<<"old"
  echo wrong >bad
  run --separate-stderr vault-put --passphrase-file bad --generate 8 x
  assert_failure 1
  assert_output ""
  run vault-get "${V[@]}" x
  assert_output "old"
}

@test "--generate on a full disk: nothing printed, nothing stored, the old version stays" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
  grypt-keygen -o host --no-passphrase >/dev/null 2>&1
  mkdir small
  mount -t tmpfs -o size=256k tmpfs small || skip "cannot mount tmpfs here"
  echo "old value" | vault-put -i host --vault small/v name
  head -c 1M /dev/zero >small/fill 2>/dev/null || true
  run --separate-stderr vault-put -i host --vault small/v --generate 64 name
  status_seen=$status out=$output err=$stderr
  rm small/fill
  got=$(vault-get -i host --vault small/v name)
  versions=$(vault-get -i host --vault small/v --history name | wc -l)
  leftovers=$(find small -name '*.tmp-*' | wc -l)
  umount small
  [ "$status_seen" -eq 2 ]
  [ -z "$out" ]
  [[ "$err" == "vault-put: error: cannot write "*"No space left on device" ]]
  [ "$got" = "old value" ]
  [ "$versions" -eq 1 ]
  [ "$leftovers" -eq 0 ]
}

@test "--list PREFIX (no glob character): names that start with it, plain and --json, sorted" {
  for n in db/prod/password db/test/password mail 'quote"d'; do vault-put "${V[@]}" "$n" <<<"x"; done
  run vault-get "${V[@]}" --list
  assert_output "$(printf 'db/prod/password\ndb/test/password\nmail\nquote"d')"
  run vault-get "${V[@]}" --list db/
  assert_output "$(printf 'db/prod/password\ndb/test/password')"
  run vault-get "${V[@]}" --list --json
  assert_output '["db/prod/password","db/test/password","mail","quote\"d"]'
  run vault-get "${V[@]}" --list nothing-here --json
  assert_output '[]'
}

@test "--list PATTERN: a glob matches whole names, and no '*', '?' or '[...]' matches a '/'" {
  for n in api/github api/github/token api/gitlab mytoken db/prod/password db/production/key .env; do
    vault-put "${V[@]}" "$n" <<<"x"
  done
  run vault-get "${V[@]}" --list 'api/*'
  assert_success
  assert_output "$(printf 'api/github\napi/gitlab')"
  run vault-get "${V[@]}" --list 'api/*/*'
  assert_output "api/github/token"
  run vault-get "${V[@]}" --list '*token*'
  assert_output "mytoken"
  run vault-get "${V[@]}" --list '*/*/*token*'
  assert_output "api/github/token"
  run vault-get "${V[@]}" --list 'api/git?ab'
  assert_output "api/gitlab"
  run vault-get "${V[@]}" --list 'api?github'
  assert_output ""
  run vault-get "${V[@]}" --list 'api[/]github'
  assert_output ""
  run vault-get "${V[@]}" --list 'api/git[hl]*'
  assert_output "$(printf 'api/github\napi/gitlab')"
  run vault-get "${V[@]}" --list '*'
  assert_output "$(printf '.env\nmytoken')"
  run vault-get "${V[@]}" --list --json 'db/*/*'
  assert_output '["db/prod/password","db/production/key"]'
  # Without a glob character it is a prefix, as before.
  run vault-get "${V[@]}" --list db/prod
  assert_output "$(printf 'db/prod/password\ndb/production/key')"
  run vault-get "${V[@]}" --list api/github/
  assert_output "api/github/token"
}

@test "--list PATTERN that matches nothing: empty output, [] with --json, exit 0" {
  vault-put "${V[@]}" api/github <<<"x"
  run --separate-stderr vault-get "${V[@]}" --list 'nothing*'
  assert_success
  assert_output ""
  [ -z "$stderr" ]
  run vault-get "${V[@]}" --list --json '*/*/*'
  assert_success
  assert_output "[]"
  run vault-get "${V[@]}" --list 'api'
  assert_output "api/github"
  run vault-get "${V[@]}" --list 'api*'
  assert_output ""
}

@test "--list PATTERN: special characters, quoted with '\\'; '?' is one byte" {
  for n in 'weird*name' weird-name 'q?' qx 'a[1' 'back\slash' 'α/β' 'αβ/γ'; do vault-put "${V[@]}" "$n" <<<"x"; done
  run vault-get "${V[@]}" --list 'weird\*name'
  assert_output 'weird*name'
  run vault-get "${V[@]}" --list 'weird*'
  assert_output "$(printf 'weird*name\nweird-name')"
  run vault-get "${V[@]}" --list 'q\?'
  assert_output 'q?'
  run vault-get "${V[@]}" --list 'q?'
  assert_output "$(printf 'q?\nqx')"
  # An unclosed bracket is itself.
  run vault-get "${V[@]}" --list 'a[*'
  assert_output 'a[1'
  # No glob character: a prefix, and a backslash is itself.
  run vault-get "${V[@]}" --list 'back\'
  assert_output 'back\slash'
  run vault-get "${V[@]}" --list 'back\\*'
  assert_output 'back\slash'
  # α, β and γ are two bytes each in UTF-8.
  run vault-get "${V[@]}" --list '?/?'
  assert_success
  assert_output ''
  run vault-get "${V[@]}" --list '??/??'
  assert_output 'α/β'
  run vault-get "${V[@]}" --list --json 'α*/*'
  assert_output '["α/β","αβ/γ"]'
}

@test "unknown names, bad names and a missing vault" {
  run vault-get "${V[@]}" nothing
  assert_failure 2
  assert_output "vault-get: error: there is no vault at $XDG_DATA_HOME/grypt/vault (vault-put creates one)"
  vault-put "${V[@]}" a <<<"x"
  run vault-get "${V[@]}" nothing
  assert_failure 2
  assert_output "vault-get: error: no secret named nothing"
  for bad in /abs trailing/ a//b ../up; do
    run vault-put "${V[@]}" "$bad" <<<"x"
    assert_failure 2
    assert_output "vault-put: error: invalid secret name '$bad': no empty, '.' or '..' part, no leading or trailing '/'"
  done
  run vault-put "${V[@]}" <<<"x"
  assert_failure 2
  assert_output "vault-put: error: give the NAME of the secret (see vault-put --help)"
}

@test "a wrong passphrase is exit 1 and nothing is written" {
  vault-put "${V[@]}" a <<<"x"
  before=$(find "$XDG_DATA_HOME/grypt/vault" -type f | sort)
  echo wrong >bad
  run vault-put --passphrase-file bad a <<<"y"
  assert_failure 1
  assert_output "vault-put: error: wrong passphrase for $XDG_DATA_HOME/grypt/identity"
  [ "$(find "$XDG_DATA_HOME/grypt/vault" -type f | sort)" = "$before" ]
}

@test "another identity is not a recipient: exit 1" {
  vault-put "${V[@]}" a <<<"x"
  grypt-keygen -o other --no-passphrase >other.pub 2>/dev/null
  run vault-get -i other a
  assert_failure 1
  assert_output "vault-get: error: this identity ($(fingerprint_of other.pub)) is not a recipient of the vault ($XDG_DATA_HOME/grypt/vault/vault.key)"
}

@test "--recipients shares the vault; refuses to drop yourself without --force" {
  vault-put "${V[@]}" shared <<<"for both"
  grypt-keygen -o bob --no-passphrase >bobpub 2>/dev/null
  cat pub bobpub >list
  run vault-put "${V[@]}" --recipients list
  assert_success
  run vault-get -i bob shared
  assert_output "for both"
  run vault-put "${V[@]}" --recipients bobpub
  assert_failure 2
  assert_output "vault-put: error: the list does not include your own key: you would lose access to the vault (add it, or use --force)"
  vault-put "${V[@]}" --recipients bobpub --force
  run vault-get "${V[@]}" shared
  assert_failure 1
  run vault-get -i bob shared
  assert_output "for both"
  printf '# comment\n\ngrypt-pk:nonsense\n' >badlist
  run vault-put -i bob --recipients badlist
  assert_failure 2
  assert_output "vault-put: error: badlist line 3: invalid public key: 6 bytes, not 68"
}

@test "--move: the vault re-sealed for a recipient's new key on its move statement, and only so" {
  vault-put "${V[@]}" kept <<<"still mine"
  grypt-keygen -o bob --no-passphrase >bobpub 2>/dev/null
  cat pub bobpub >list
  vault-put "${V[@]}" --recipients list
  grypt-keygen -o new --no-passphrase >newpub 2>/dev/null
  grypt-keygen --move-to new --passphrase-file pass >move.txt
  # Damaged, or not a recipient's: refused before anything is asked.
  head -c 300 move.txt >bad.txt
  run vault-put --move bad.txt </dev/null
  assert_failure 2
  assert_output "vault-put: error: not a move statement: not base64url of 272 bytes"
  grypt-keygen -o carol --no-passphrase >/dev/null 2>&1
  grypt-keygen -o carol2 --no-passphrase >/dev/null 2>&1
  grypt-keygen --move-to carol2 -i carol >carol-move.txt
  run vault-put "${V[@]}" --move carol-move.txt
  assert_failure 2
  assert_output "vault-put: error: the key that moves is not a recipient of the vault $XDG_DATA_HOME/grypt/vault"
  cp "$XDG_DATA_HOME/grypt/vault/vault.key" before.key
  # The old identity opens it; the new key takes the old one's place.
  run vault-put "${V[@]}" --move - <move.txt
  assert_success
  assert_output ""
  run vault-get -i new kept
  assert_success
  assert_output "still mine"
  run vault-get "${V[@]}" kept
  assert_failure 1
  run vault-get -i bob kept
  assert_output "still mine"
  # Spent: the old key is no recipient now.
  run vault-put -i new --move move.txt
  assert_failure 2
  assert_output --partial "the key that moves is not a recipient"
  ! cmp -s before.key "$XDG_DATA_HOME/grypt/vault/vault.key"
  run vault-put --move move.txt kept
  assert_failure 2
  assert_output "vault-put: error: --move takes no NAME, no --recipients, no --delete and no --generate"
}

@test "progress at a terminal: a slow put and a large get show bytes and seconds, erased; none with --quiet, in a pipe or beside the secret" {
  export GRYPT_PROGRESS_AFTER_MS=0  # the first line at once, then one a second
  run script -qec "(head -c 20000000 /dev/zero; sleep 2.5) | vault-put --passphrase-file pass big" /dev/null
  assert_success
  assert_output --regexp $'\rvault-put: storing big: 19.1 MiB, [12] s\033\\[K'
  [[ "$output" == *$'\r\033[K' ]]
  run script -qec "vault-get --passphrase-file pass big >big.out" /dev/null
  assert_success
  assert_output --partial $'\rvault-get: reading big: '
  [ "$(wc -c <big.out)" = 20000000 ]
  run script -qec "vault-get --passphrase-file pass --quiet big >q.out" /dev/null
  refute_output --partial "reading"
  run script -qec "(head -c 1000 /dev/zero; sleep 1.2) | vault-put --passphrase-file pass --quiet small" /dev/null
  assert_success
  refute_output --partial "storing"
  # The secret to the terminal: no line beside it.
  printf 'text\n' | vault-put --passphrase-file pass text
  run script -qec "vault-get --passphrase-file pass text" /dev/null
  assert_success
  refute_output --partial "reading"
  vault-get --passphrase-file pass big >/dev/null 2>err
  [ ! -s err ]
}

@test "re-seals take the vault directory's lock: two moves at once both take effect" {
  command -v flock >/dev/null || skip "flock(1) is not installed"
  vault-put "${V[@]}" kept <<<"still ours"
  grypt-keygen -o bob --no-passphrase >bobpub 2>/dev/null
  cat pub bobpub >list
  vault-put "${V[@]}" --recipients list
  grypt-keygen -o new --no-passphrase >/dev/null 2>&1
  grypt-keygen -o bob2 --no-passphrase >/dev/null 2>&1
  grypt-keygen --move-to new --passphrase-file pass >mine.txt
  grypt-keygen --move-to bob2 -i bob >bobs.txt
  vault="$XDG_DATA_HOME/grypt/vault"
  # The lock held four seconds: both moves open the vault, then wait for
  # it, and each reads the list the other left.
  flock -x "$vault" sleep 4 &
  holder=$!
  for _ in $(seq 100); do flock -n "$vault" true || break; sleep 0.05; done
  vault-put "${V[@]}" --move mine.txt &
  one=$!
  vault-put -i bob --move bobs.txt &
  two=$!
  # Both still wait while the lock is held.
  sleep 1
  kill -0 "$one"
  kill -0 "$two"
  wait "$holder"
  wait "$one"
  wait "$two"
  run vault-get -i new kept
  assert_output "still ours"
  run vault-get -i bob2 kept
  assert_output "still ours"
  run vault-get -i bob kept
  assert_failure 1
  run vault-get "${V[@]}" kept
  assert_failure 1
}

@test "cron: an unencrypted host identity and GRYPT_VAULT, no terminal" {
  grypt-keygen -o host --no-passphrase >/dev/null 2>&1
  export GRYPT_IDENTITY="$PWD/host" GRYPT_VAULT="$PWD/cronvault"
  setsid bash -c 'echo token | vault-put backup/token' </dev/null
  run setsid vault-get backup/token </dev/null
  assert_success
  assert_output "token"
}

@test "an encrypted identity with no terminal and no passphrase source: clear error" {
  run setsid bash -c 'echo x | vault-put secret' </dev/null
  assert_failure 2
  assert_output "vault-put: error: no terminal to ask for the passphrase: give --passphrase-fd or --passphrase-file"
}

@test "a vault others can write is refused" {
  vault-put "${V[@]}" a <<<"x"
  chmod 770 "$XDG_DATA_HOME/grypt/vault"
  run vault-get "${V[@]}" a
  assert_failure 2
  assert_output "vault-get: error: the vault $XDG_DATA_HOME/grypt/vault is writable by others: refusing to use it (chmod 700 $XDG_DATA_HOME/grypt/vault)"
}

@test "a 1 GiB secret goes in and out in constant memory" {
  grypt-keygen -o host --no-passphrase >/dev/null 2>&1
  [ -x /usr/bin/time ] || skip "GNU time is not installed"
  # Under the sanitizers 64 MiB: the same paths (a thousand chunks), a
  # sixteenth of the time; memory is measured by the plain check only.
  size=1073741824
  [ -z "${GRYPT_SANITIZE:-}" ] || size=67108864
  head -c "$size" /dev/zero | /usr/bin/time -f %M -o put.rss vault-put -i host --vault big huge
  /usr/bin/time -f %M -o get.rss vault-get -i host --vault big huge | sha256sum >got
  head -c "$size" /dev/zero | sha256sum >want
  [ "$(cat got)" = "$(cat want)" ]
  run vault-get -i host --vault big --history huge
  assert_output --regexp "^1  .*  $size bytes\$"
  if [ -z "${GRYPT_SANITIZE:-}" ]; then
    echo "peak RSS: put $(cat put.rss) KiB, get $(cat get.rss) KiB"
    [ "$(cat put.rss)" -lt 16384 ]
    [ "$(cat get.rss)" -lt 16384 ]
  fi
}

@test "a full disk: vault-put fails cleanly and the old version stays" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
  grypt-keygen -o host --no-passphrase >/dev/null 2>&1
  mkdir small
  mount -t tmpfs -o size=256k tmpfs small || skip "cannot mount tmpfs here"
  echo "old value" | vault-put -i host --vault small/v name
  run vault-put -i host --vault small/v name < <(head -c 1M /dev/zero)
  status_seen=$status out=$output
  got=$(vault-get -i host --vault small/v name)
  versions=$(vault-get -i host --vault small/v --history name | wc -l)
  leftovers=$(find small -name '*.tmp-*' | wc -l)
  umount small
  [ "$status_seen" -eq 2 ]
  [[ "$out" == "vault-put: error: cannot write "*"No space left on device" ]]
  [ "$got" = "old value" ]
  [ "$versions" -eq 1 ]
  [ "$leftovers" -eq 0 ]
}

@test "a full stdout is an error" {
  vault-put "${V[@]}" a <<<"x"
  run bash -c 'vault-get --passphrase-file pass a >/dev/full'
  assert_failure 2
  assert_output "vault-get: error: cannot write to stdout: No space left on device"
}

@test "binary is not written to a terminal" {
  command -v script >/dev/null || skip "script(1) is not installed"
  grypt-keygen -o host --no-passphrase >/dev/null 2>&1
  printf 'bin\001ary' | vault-put -i host --vault v b
  echo text | vault-put -i host --vault v t
  run script -qec "vault-get -i host --vault v b" /dev/null
  assert_failure
  assert_output --partial "vault-get: error: refusing to write binary data to a terminal (redirect stdout)"
  run script -qec "vault-get -i host --vault v t" /dev/null
  assert_success
  assert_output --partial "text"
}

@test "--help, --version and usage errors" {
  run vault-put --help
  assert_success
  assert_output --partial "--recipients"
  run vault-get --help
  assert_output --partial "--version K"
  run vault-get --version
  assert_output --regexp '^vault-get [0-9.]+$'
  run vault-get --json x
  assert_failure 2
  assert_output "vault-get: error: --json goes with --history or --list"
  run vault-put --force x
  assert_failure 2
}

# An attacker who can write the vault directory makes a vault.key of their
# own, sealed to the owner's public key: a second vault made with the same
# identity has exactly such a key.
make_evil_key() {
  vault-put "${V[@]}" --vault evil db/password <<<"planted"
}

@test "a replaced vault.key is refused before a put encrypts to it (exit 1, nothing written)" {
  vault-put "${V[@]}" db/password <<<"real"
  vault-put "${V[@]}" mail <<<"real mail"
  make_evil_key
  vault="$XDG_DATA_HOME/grypt/vault"
  cp evil/vault.key "$vault/vault.key"
  before=$(cd "$vault" && find . -type f | sort)
  run vault-put "${V[@]}" new/secret <<<"would reach the attacker"
  assert_failure 1
  assert_output --regexp "^vault-put: error: the vault key does not match its entries: $vault/entries/[A-Za-z0-9_-]{22}/00000000000000000001 does not open \(and 1 more\); vault.key was replaced, or that entry was damaged or moved$"
  [ "$(cd "$vault" && find . -type f | sort)" = "$before" ]
  run vault-get "${V[@]}" mail
  assert_failure 1
  assert_output --partial "the vault key does not match its entries"
  run vault-get "${V[@]}" --list
  assert_failure 1
  assert_output --partial "the vault key does not match its entries"
  run vault-put "${V[@]}" --delete mail
  assert_failure 1
  grypt-keygen -o bob --no-passphrase >bobpub 2>/dev/null
  cat pub bobpub >list
  run vault-put "${V[@]}" --recipients list
  assert_failure 1
  assert_output --partial "the vault key does not match its entries"
}

@test "planted entries beside a replaced vault.key: the plant is never returned" {
  vault-put "${V[@]}" db/password <<<"real"
  make_evil_key
  vault="$XDG_DATA_HOME/grypt/vault"
  cp evil/vault.key "$vault/vault.key"
  cp -r evil/entries/* "$vault/entries/"
  run --separate-stderr vault-get "${V[@]}" db/password
  assert_failure 1
  assert_output ""
  [[ "$stderr" == *"the vault key does not match its entries"* ]]
}

@test "a deleted vault.key beside entries is an error, never a new vault" {
  vault-put "${V[@]}" a <<<"x"
  vault="$XDG_DATA_HOME/grypt/vault"
  rm "$vault/vault.key"
  run vault-put "${V[@]}" b <<<"y"
  assert_failure 2
  assert_output "vault-put: error: $vault holds entries but no vault.key: refusing to make a new vault beside them (restore vault.key from a backup)"
  [ ! -e "$vault/vault.key" ]
  run vault-get "${V[@]}" a
  assert_failure 2
  assert_output "vault-get: error: $vault holds entries but no vault.key: refusing to make a new vault beside them (restore vault.key from a backup)"
}

@test "--delete of a tampered newest version exits 1 and writes no tombstone" {
  vault-put "${V[@]}" k <<<"value one"
  vault-put "${V[@]}" k <<<"value two, to be tampered"
  f=$(find "$XDG_DATA_HOME/grypt/vault/entries" -name 00000000000000000002)
  flip "$f" 330
  run vault-put "${V[@]}" --delete k
  assert_failure 1
  assert_output --regexp "^vault-put: error: $f: authentication failed at chunk 1: .*; nothing was deleted$"
  [ ! -e "${f%2}3" ]
  [ "$(ls "$(dirname "$f")" | wc -l)" -eq 2 ]
}

@test "stray files: a huge version number is ignored and reported, never written or pruned by" {
  vault-put "${V[@]}" k <<<"one"
  vault-put "${V[@]}" k <<<"two"
  dir=$(dirname "$(find "$XDG_DATA_HOME/grypt/vault/entries" -name 00000000000000000001)")
  echo junk >"$dir/18446744073709551615"
  echo junk >"$XDG_DATA_HOME/grypt/vault/entries/notes.txt"
  run --separate-stderr vault-put "${V[@]}" --keep 1 k <<<"three"
  assert_success
  [[ "$stderr" == *"$dir/18446744073709551615 is not a vault entry: ignored"* ]]
  [[ "$stderr" == *"/entries/notes.txt is not a vault entry: ignored"* ]]
  run --separate-stderr vault-get "${V[@]}" k
  assert_output "three"
  run --separate-stderr vault-get "${V[@]}" --history k
  assert_line --index 0 --regexp '^3  '
  [ "${#lines[@]}" -eq 1 ]
  [ -e "$dir/00000000000000000003" ] && [ -e "$dir/18446744073709551615" ]
  run --separate-stderr vault-get "${V[@]}" --list
  assert_success
  assert_output "k"
}

@test "names: invalid UTF-8, C1 controls and bidi overrides are refused; errors stay on one line" {
  for bad in $'a\xffb' $'a\xc0\xafb' $'x\xc2\x9b31my' $'evil\xe2\x80\xaetxt.exe' $'a\x1b[31mb'; do
    run vault-put "${V[@]}" "$bad" <<<"x"
    assert_failure 2
    [ "${#lines[@]}" -eq 1 ]
    assert_output --regexp '^vault-put: error: invalid secret name: it (is not valid UTF-8|contains a control character|contains a bidirectional formatting character)$'
  done
  run vault-get "${V[@]}" $'two\nlines'
  assert_failure 2
  assert_output "vault-get: error: invalid secret name: it contains a control character"
}

@test "names in other scripts round-trip, and --list --json is valid JSON" {
  for n in 'caf'$'\xc3\xa9''/mot de passe' 'quote"d\back' '日本/鍵'; do
    vault-put "${V[@]}" "$n" <<<"x"
  done
  run vault-get "${V[@]}" --list --json
  assert_output '["caf'$'\xc3\xa9''/mot de passe","quote\"d\\back","日本/鍵"]'
}

@test "--version takes a version number; alone it prints the program's version" {
  vault-put "${V[@]}" k <<<"one"
  vault-put "${V[@]}" k <<<"two"
  run vault-get "${V[@]}" --version 1 k
  assert_output "one"
  run vault-get "${V[@]}" --version "" k
  assert_failure 2
  assert_output "vault-get: error: --version needs a version number, not '' (see --history)"
  run vault-get "${V[@]}" --version abc k
  assert_failure 2
  assert_output "vault-get: error: --version needs a version number, not 'abc' (see --history)"
  run vault-get "${V[@]}" k --version
  assert_failure 2
  assert_output "vault-get: error: --version needs a version number (alone, it prints the program's version)"
  run vault-get --version
  assert_success
  assert_output --regexp '^vault-get [0-9.]+$'
}

@test "modes inside the vault are checked, not only the directory's" {
  vault-put "${V[@]}" k <<<"x"
  vault="$XDG_DATA_HOME/grypt/vault"
  chmod 755 "$vault"
  run vault-get "${V[@]}" k
  assert_success
  chmod 666 "$vault/vault.key"
  run vault-get "${V[@]}" k
  assert_failure 2
  assert_output "vault-get: error: $vault/vault.key has mode 0666: others can write it, refusing to use it (chmod go-w $vault/vault.key)"
  chmod 600 "$vault/vault.key"
  chmod 777 "$vault/entries"
  run vault-get "${V[@]}" k
  assert_failure 2
  assert_output "vault-get: error: $vault/entries has mode 0777: others can write it, refusing to use it (chmod go-w $vault/entries)"
}

@test "a FIFO, a device or a symlink where a vault file belongs is refused at once" {
  vault-put "${V[@]}" k <<<"x"
  vault="$XDG_DATA_HOME/grypt/vault"
  f=$(find "$vault/entries" -name 00000000000000000001)
  mv "$f" saved && mkfifo -m 600 "$f"
  run timeout 10 vault-get "${V[@]}" k
  assert_failure 2
  assert_output "vault-get: error: $f is a FIFO, not a regular file"
  rm "$f" && ln -s "$PWD/saved" "$f"
  run timeout 10 vault-get "${V[@]}" k
  assert_failure 2
  assert_output "vault-get: error: $f is a symbolic link: refusing to follow it"
  rm "$f" && mv saved "$f"
  mv "$vault/vault.key" key.saved && mkfifo -m 600 "$vault/vault.key"
  run timeout 10 vault-get "${V[@]}" k
  assert_failure 2
  assert_output "vault-get: error: $vault/vault.key is a FIFO, not a regular file"
  rm "$vault/vault.key" && mv key.saved "$vault/vault.key"
  mkfifo -m 600 fifo-id
  run timeout 10 vault-get -i fifo-id k
  assert_failure 2
  assert_output "vault-get: error: fifo-id is a FIFO, not a regular file"
  run timeout 10 vault-get -i /dev/zero k
  assert_failure 2
  assert_output "vault-get: error: /dev/zero is a device, not a regular file"
}

@test "a vault that cannot be looked at is reported as such, not as missing" {
  echo file >plain
  run vault-get "${V[@]}" --vault plain/vault k
  assert_failure 2
  assert_output "vault-get: error: cannot look at plain/vault/vault.key: Not a directory"
}

@test "a terminal gets text only: C1 controls and invalid UTF-8 are refused, UTF-8 text passes" {
  command -v script >/dev/null || skip "script(1) is not installed"
  grypt-keygen -o host --no-passphrase >/dev/null 2>&1
  printf 'csi\xc2\x9b2J' | vault-put -i host --vault v c1
  printf 'latin1 \xe9' | vault-put -i host --vault v latin1
  printf 'caf\xc3\xa9 \xe2\x82\xac\n' | vault-put -i host --vault v utf8
  for name in c1 latin1; do
    run script -qec "vault-get -i host --vault v $name" /dev/null
    assert_failure
    assert_output --partial "vault-get: error: refusing to write binary data to a terminal (redirect stdout)"
    refute_output --partial "csi"
  done
  run script -qec "vault-get -i host --vault v utf8" /dev/null
  assert_success
  assert_output --partial $'caf\xc3\xa9 \xe2\x82\xac'
  vault-get -i host --vault v c1 | cmp - <(printf 'csi\xc2\x9b2J')
}

@test "a closed stdin is an error, never an empty secret" {
  grypt-keygen -o host --no-passphrase >/dev/null 2>&1
  run bash -c 'vault-put -i host --vault v name <&-'
  assert_failure 2
  assert_output "vault-put: error: cannot read stdin: Bad file descriptor"
  run vault-get -i host --vault v name
  assert_failure 2
}

# fake_clipboard: wl-copy, wl-paste and xclip first on PATH, as the real
# ones are called. The clipboard is the file "clipboard" and every call is
# logged, with its arguments, to "clip.log". The paste side is called by
# the clearer only: it writes the clearer's pid to "clearer.pid" and what
# /proc shows of it to "clearer.*".
fake_clipboard() {
  export CLIP_DIR=$BATS_TEST_TMPDIR
  mkdir -p "$CLIP_DIR/fakebin"
  cat >"$CLIP_DIR/fakebin/clearer-seen" <<'EOF'
#!/bin/bash
p=/proc/$1
tr '\0' ' ' <$p/cmdline >"$CLIP_DIR/clearer.cmdline"
tr '\0' '\n' <$p/environ >"$CLIP_DIR/clearer.environ" 2>/dev/null
ls -l $p/fd >"$CLIP_DIR/clearer.fds" 2>/dev/null
readlink $p/cwd >"$CLIP_DIR/clearer.cwd" 2>/dev/null
grep VmLck $p/status >"$CLIP_DIR/clearer.locked"
echo "$1" >"$CLIP_DIR/clearer.pid"
EOF
  cat >"$CLIP_DIR/fakebin/wl-copy" <<'EOF'
#!/bin/bash
echo "wl-copy $*" >>"$CLIP_DIR/clip.log"
if [ "$1" = --clear ]; then : >"$CLIP_DIR/clipboard"; else cat >"$CLIP_DIR/clipboard"; fi
EOF
  cat >"$CLIP_DIR/fakebin/wl-paste" <<'EOF'
#!/bin/bash
echo "wl-paste $*" >>"$CLIP_DIR/clip.log"
"$CLIP_DIR/fakebin/clearer-seen" $PPID
cat "$CLIP_DIR/clipboard"
EOF
  cat >"$CLIP_DIR/fakebin/xclip" <<'EOF'
#!/bin/bash
echo "xclip $*" >>"$CLIP_DIR/clip.log"
if [ "${!#}" = -o ]; then
  "$CLIP_DIR/fakebin/clearer-seen" $PPID
  cat "$CLIP_DIR/clipboard"
else
  cat >"$CLIP_DIR/clipboard"
fi
EOF
  chmod +x "$CLIP_DIR"/fakebin/*
  PATH="$CLIP_DIR/fakebin:$PATH"
}

# wait_clearer: waits for the clearer the fake paste saw to end (a zombie
# whose parent has not reaped it has ended); kills it after 20 s.
wait_clearer() {
  local i pid
  for ((i = 0; i < 200; i++)); do
    [ -s clearer.pid ] && break
    sleep 0.1
  done
  pid=$(cat clearer.pid)
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    [ "$(cut -d ' ' -f 3 "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
    sleep 0.1
  done
  kill "$pid"
  false
}

@test "--clip: the secret goes to wl-copy on its stdin, and the clipboard is cleared after GRYPT_CLIP_TIME" {
  vault-put "${V[@]}" web/shop <<<"s3cret"
  fake_clipboard
  export WAYLAND_DISPLAY=wayland-0 DISPLAY=:0 GRYPT_CLIP_TIME=2
  run --separate-stderr vault-get "${V[@]}" --clip web/shop
  assert_success
  assert_output ""
  [ "$stderr" = "vault-get: copied web/shop to the clipboard; cleared in 2 s" ]
  # Without the newline that vault-put stored, and on no command line.
  cmp clipboard <(printf s3cret)
  [ "$(cat clip.log)" = "wl-copy " ]
  wait_clearer
  [ ! -s clipboard ]
  [ "$(cat clip.log)" = "$(printf 'wl-copy \nwl-paste --no-newline\nwl-copy --clear')" ]
  # The clearer: this program again, with the secret on no command line and
  # in no environment, its memory locked, no file or directory of ours open.
  [ "$(cat clearer.cmdline)" = "vault-get --clipboard-clearer wayland 2 " ]
  run grep -q s3cret clearer.cmdline clearer.environ
  assert_failure 1
  # (AddressSanitizer turns mlock into a no-op, so only a plain build's
  # clearer shows locked memory.)
  [ "${GRYPT_SANITIZE:-}" = 1 ] || [[ "$(cat clearer.locked)" =~ ^VmLck:[[:space:]]+[1-9][0-9]*\ kB$ ]]
  if [ -s clearer.fds ]; then  # not readable by others than root: not dumpable
    run grep -E "vault|$BATS_TEST_TMPDIR|socket" clearer.fds
    assert_failure 1
    [ "$(cat clearer.cwd)" = / ]
  fi
}

@test "--clip on X11 through xclip; a clipboard that changed since is left alone; --version K" {
  printf 'line 1\nline 2\n\n' | vault-put "${V[@]}" key
  vault-put "${V[@]}" key <<<"newer"
  fake_clipboard
  unset WAYLAND_DISPLAY
  export DISPLAY=:0 GRYPT_CLIP_TIME=1
  run vault-get "${V[@]}" --clip --version 1 key
  assert_success
  assert_output "vault-get: copied key to the clipboard; cleared in 1 s"
  # Only the one final newline is dropped.
  cmp clipboard <(printf 'line 1\nline 2\n')
  [ "$(cat clip.log)" = "xclip -selection clipboard" ]
  wait_clearer
  [ ! -s clipboard ]
  [ "$(sed -n 2,3p clip.log)" = "$(printf 'xclip -selection clipboard -o\nxclip -selection clipboard')" ]
  rm clip.log clearer.pid
  vault-get "${V[@]}" --clip key 2>/dev/null
  printf 'copied by the user since' >clipboard
  wait_clearer
  [ "$(cat clipboard)" = "copied by the user since" ]
  [ "$(cat clip.log)" = "$(printf 'xclip -selection clipboard\nxclip -selection clipboard -o')" ]
}

@test "--clip with no display or no clipboard program: one line, exit 2, nothing copied, no passphrase asked" {
  vault-put "${V[@]}" web/shop <<<"s3cret"
  unset WAYLAND_DISPLAY DISPLAY
  export GRYPT_CLIP_TIME=1
  # No passphrase source and no terminal: the clipboard is checked first.
  run --separate-stderr setsid vault-get --clip web/shop </dev/null
  assert_failure 2
  assert_output ""
  [ "$stderr" = "vault-get: error: cannot copy to the clipboard: neither WAYLAND_DISPLAY nor DISPLAY is set" ]
  tools=$(dirname "$(command -v vault-get)")
  run env PATH="$tools" WAYLAND_DISPLAY=wayland-0 vault-get "${V[@]}" --clip web/shop
  assert_failure 2
  assert_output "vault-get: error: cannot copy to the clipboard: no wl-copy on PATH (WAYLAND_DISPLAY is set; install wl-clipboard)"
  run env PATH="$tools" DISPLAY=:0 vault-get "${V[@]}" --clip web/shop
  assert_failure 2
  assert_output "vault-get: error: cannot copy to the clipboard: no xclip on PATH (DISPLAY is set; install xclip)"
  fake_clipboard
  rm fakebin/wl-paste
  run env WAYLAND_DISPLAY=wayland-0 vault-get "${V[@]}" --clip web/shop
  assert_failure 2
  assert_output "vault-get: error: cannot copy to the clipboard: no wl-paste on PATH (WAYLAND_DISPLAY is set; install wl-clipboard)"
  [ ! -e clipboard ]
  [ ! -e clip.log ]
}

@test "--clip: a clipboard program that fails is an error (exit 2), and no clearer starts" {
  vault-put "${V[@]}" web/shop <<<"s3cret"
  fake_clipboard
  printf '#!/bin/sh\necho "wl-copy: cannot connect to the display" >&2\nexit 1\n' >fakebin/wl-copy
  export WAYLAND_DISPLAY=wayland-0 GRYPT_CLIP_TIME=1
  run --separate-stderr vault-get "${V[@]}" --clip web/shop
  assert_failure 2
  assert_output ""
  [ "$stderr" = "$(printf 'wl-copy: cannot connect to the display\nvault-get: error: %s failed (exit status 1)' "$PWD/fakebin/wl-copy")" ]
  sleep 2
  [ ! -e clearer.pid ]
}

@test "--clip refuses binary, empty and oversized secrets, a bad GRYPT_CLIP_TIME, and copies nothing that did not open" {
  fake_clipboard
  export WAYLAND_DISPLAY=wayland-0 GRYPT_CLIP_TIME=1
  printf 'bin\001ary' | vault-put "${V[@]}" binary
  printf '\n' | vault-put "${V[@]}" newline
  head -c 65537 /dev/zero | tr '\0' x | vault-put "${V[@]}" big
  vault-put "${V[@]}" web/shop <<<"s3cret"
  run --separate-stderr vault-get "${V[@]}" --clip binary
  assert_failure 2
  [ "$stderr" = "vault-get: error: refusing to copy binary data to the clipboard: binary is not text" ]
  run vault-get "${V[@]}" --clip newline
  assert_failure 2
  assert_output "vault-get: error: newline is empty: nothing to copy"
  run vault-get "${V[@]}" --clip big
  assert_failure 2
  assert_output "vault-get: error: big is larger than 64 KiB: too large for the clipboard"
  for t in 0 86401 1.5 soon; do
    run env GRYPT_CLIP_TIME="$t" vault-get "${V[@]}" --clip web/shop
    assert_failure 2
    assert_output "vault-get: error: GRYPT_CLIP_TIME must be a number of seconds from 1 to 86400, not '$t'"
  done
  run vault-get "${V[@]}" --clip nothing
  assert_failure 2
  assert_output "vault-get: error: no secret named nothing"
  run vault-get --passphrase-file pub --clip web/shop
  assert_failure 1
  run vault-get "${V[@]}" --clip --list
  assert_failure 2
  assert_output "vault-get: error: give only one of --clip, --history and --list"
  run vault-get "${V[@]}" --clip --json web/shop
  assert_failure 2
  assert_output "vault-get: error: --json goes with --history or --list"
  run vault-get "${V[@]}" --clip
  assert_failure 2
  assert_output "vault-get: error: give the NAME of the secret (see vault-get --help)"
  # The newest entry is web/shop's.
  f=$(find "$XDG_DATA_HOME/grypt/vault/entries" -type f -printf '%T@ %p\n' | sort -n | tail -1 | cut -d ' ' -f 2)
  flip "$f" 330
  run vault-get "${V[@]}" --clip web/shop
  assert_failure 1
  [ ! -e clipboard ]
  [ ! -e clip.log ]
}
