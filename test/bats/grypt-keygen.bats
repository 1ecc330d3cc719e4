#!/usr/bin/env bats
# grypt-keygen as a user runs it. --kdf-profile owasp keeps Argon2 small;
# one test creates an identity with the default profile on purpose.

load helper

KEY_RE='^grypt-pk:[A-Za-z0-9_-]{91}$'
ID="$BATS_TEST_TMPDIR/home/.local/share/grypt/identity"

@test "creates an identity at the default path, prints only the public key" {
  echo "correct horse" >pass
  run --separate-stderr grypt-keygen --passphrase-file pass --kdf-profile owasp
  assert_success
  assert_output --regexp "$KEY_RE"
  [ -z "$stderr" ]
  [ "$(stat -c %a "$ID")" = 600 ]
  [ "$(stat -c %a "$(dirname "$ID")")" = 700 ]
  [ "$(stat -c %s "$ID")" = 193 ]
}

@test "the default KDF profile is RFC 9106's second recommendation" {
  echo "correct horse" >pass
  run grypt-keygen --passphrase-file pass -o id
  assert_success
  # t=3, m=65536 KiB, p=4 are stored big-endian at offsets 9, 13 and 17.
  [ "$(od -An -tx1 -j9 -N12 id | tr -d ' \n')" = 000000030001000000000004 ]
}

@test "--public prints the same key without a passphrase" {
  echo "pw" >pass
  key=$(grypt-keygen --passphrase-file pass --kdf-profile owasp -o id)
  run grypt-keygen --public -i id </dev/null
  assert_success
  assert_output "$key"
  GRYPT_IDENTITY="$PWD/id" run grypt-keygen --public
  assert_output "$key"
}

@test "--fingerprint: the whole key's fingerprint as people compare it, of the identity or of a KEY" {
  echo "pw" >pass
  grypt-keygen --passphrase-file pass --kdf-profile owasp -o id >id.pub
  want=$(fingerprint_of id.pub)
  [[ "$want" =~ ^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$ ]]
  run grypt-keygen --fingerprint -i id </dev/null
  assert_success
  assert_output "$want"
  GRYPT_IDENTITY="$PWD/id" run grypt-keygen --fingerprint
  assert_output "$want"
  run grypt-keygen --fingerprint "$(cat id.pub)"
  assert_success
  assert_output "$want"
  # Another key, another fingerprint: the X25519 half counts too.
  grypt-keygen --no-passphrase -o other >other.pub 2>/dev/null
  [ "$(grypt-keygen --fingerprint "$(cat other.pub)")" = "$(fingerprint_of other.pub)" ]
  [ "$(fingerprint_of other.pub)" != "$want" ]
  # A key with a typo, both sources, no identity: one line, exit 2.
  k=$(cat id.pub) r=A
  [ "${k:20:1}" != A ] || r=B
  run grypt-keygen --fingerprint "${k:0:20}$r${k:21}"
  assert_failure 2
  assert_output --regexp '^grypt-keygen: error: invalid public key: '
  run grypt-keygen --fingerprint -i id "$(cat id.pub)"
  assert_failure 2
  assert_output "grypt-keygen: error: give -i FILE or a KEY, not both"
  run grypt-keygen --fingerprint -i missing
  assert_failure 2
  assert_output --regexp "^grypt-keygen: error: cannot open missing: "
  run grypt-keygen --fingerprint --public -i id
  assert_failure 2
  assert_output "grypt-keygen: error: give only one of --public and --fingerprint"
  run grypt-keygen --fingerprint -o new
  assert_failure 2
  assert_output "grypt-keygen: error: --fingerprint does not create an identity: drop -o, --force, --no-passphrase"
  [ ! -e new ]
  run grypt-keygen "$(cat id.pub)"
  assert_failure 2
  assert_output "grypt-keygen: error: a KEY goes with --fingerprint; grypt-keygen creates an identity with no KEY"
}

@test "refuses to overwrite an identity without --force" {
  echo "pw" >pass
  first=$(grypt-keygen --passphrase-file pass --kdf-profile owasp -o id)
  run grypt-keygen --passphrase-file pass --kdf-profile owasp -o id
  assert_failure 2
  assert_output "grypt-keygen: error: id exists (use --force to replace it)"
  [ "$(grypt-keygen --public -i id)" = "$first" ]
  run grypt-keygen --passphrase-file pass --kdf-profile owasp -o id --force
  assert_success
  [ "$output" != "$first" ]
  [ "$(grypt-keygen --public -i id)" = "$output" ]
}

@test "--passphrase-fd, and the passphrase unlocks the identity" {
  key=$(grypt-keygen --kdf-profile owasp -o id --passphrase-fd 3 3<<<"fd secret" </dev/null)
  assert_regex "$key" "$KEY_RE"
  echo "x" | vault-put -i id --vault v --passphrase-fd 3 3<<<"fd secret" name
  run vault-put -i id --vault v --passphrase-fd 3 3<<<"not it" name </dev/null
  assert_failure 1
  assert_output "vault-put: error: wrong passphrase for id"
}

@test "an empty passphrase is refused; --no-passphrase is explicit and warns" {
  : >empty
  run grypt-keygen -o id --passphrase-file empty
  assert_failure 2
  assert_output "grypt-keygen: error: empty passphrase refused (use --no-passphrase for an unencrypted identity)"
  [ ! -e id ]
  run --separate-stderr grypt-keygen -o id --no-passphrase
  assert_success
  assert_output --regexp "$KEY_RE"
  [ "$stderr" = "grypt-keygen: warning: the identity in id is not protected by a passphrase: anyone who can read it can act as you" ]
  [ "$(stat -c %s id)" = 177 ]
  run grypt-keygen -o id2 --no-passphrase --passphrase-file pass
  assert_failure 2
}

@test "no terminal and no passphrase source: a clear error" {
  run setsid -w bash -c 'grypt-keygen -o id </dev/null'
  assert_failure 2
  assert_output "grypt-keygen: error: no terminal to ask for the passphrase, and nothing on standard input: give --passphrase-fd or --passphrase-file"
  [ ! -e id ]
  # An empty line is an empty passphrase, refused as such.
  run setsid -w bash -c 'echo | grypt-keygen -o id'
  assert_failure 2
  assert_output "grypt-keygen: error: empty passphrase refused (use --no-passphrase for an unencrypted identity)"
  run setsid bash -c 'echo secret | vault-put -i id --vault v x' </dev/null
  assert_failure 2
  assert_output --partial "no identity at id"
}

@test "a truncated or corrupt identity file is exit 2, naming the file" {
  grypt-keygen -o id --no-passphrase 2>/dev/null >/dev/null
  head -c 100 id >short
  chmod 600 short
  run vault-get -i short --vault v --list
  assert_failure 2
  run grypt-keygen --public -i short
  assert_failure 2
  assert_output "grypt-keygen: error: short is damaged: 100 bytes, expected 177 (truncated)"
  printf 'not an identity at all' >junk
  run grypt-keygen --public -i junk
  assert_failure 2
  assert_output "grypt-keygen: error: junk is not a grypt identity"
  run grypt-keygen --public -i missing
  assert_failure 2
  assert_output "grypt-keygen: error: cannot open missing: No such file or directory"
}

@test "a wrong passphrase is exit 1, a damaged secret too" {
  echo "right" >pass
  echo "wrong" >bad
  grypt-keygen -o id --passphrase-file pass --kdf-profile owasp >/dev/null
  echo s | vault-put -i id --passphrase-file pass --vault v name
  run vault-get -i id --passphrase-file bad --vault v name
  assert_failure 1
  assert_output "vault-get: error: wrong passphrase for id"
  run vault-get -i id --passphrase-file pass --vault v name
  assert_success
  assert_output "s"
}

@test "a passphrase file can be a pipe: --passphrase-file <(command)" {
  key=$(grypt-keygen -o id --kdf-profile owasp --passphrase-file <(echo "piped secret"))
  assert_regex "$key" "$KEY_RE"
  echo v | vault-put -i id --vault v --passphrase-file <(echo "piped secret") name
  run vault-get -i id --vault v --passphrase-file <(echo "piped secret") name
  assert_output "v"
}

@test "an identity others can read is refused" {
  grypt-keygen -o id --no-passphrase >/dev/null 2>&1
  echo s | vault-put -i id --vault v name
  chmod 644 id
  run vault-get -i id --vault v --list
  assert_failure 2
  assert_output "vault-get: error: id has mode 0644: it must not be readable by others (chmod 600 id)"
}

@test "usage errors and --help" {
  run grypt-keygen --bogus
  assert_failure 2
  assert_output "grypt-keygen: error: option ‘bogus’ does not exist (see grypt-keygen --help)"
  run grypt-keygen --kdf-profile huge -o id --no-passphrase
  assert_failure 2
  assert_output "grypt-keygen: error: unknown --kdf-profile 'huge': use rfc9106-low, rfc9106 or owasp"
  run grypt-keygen --public --force
  assert_failure 2
  run grypt-keygen --help
  assert_success
  assert_output --partial "--no-passphrase"
  run grypt-keygen --version
  assert_output --regexp '^grypt-keygen [0-9.]+$'
}

@test "a directory that cannot be written leaves nothing behind" {
  mkdir ro
  if [ "$(id -u)" -eq 0 ]; then
    # Root writes anywhere, but not into a read-only mount.
    mount --bind ro ro && mount -o remount,bind,ro ro || skip "cannot make a read-only bind mount here"
  else
    chmod 500 ro
  fi
  run grypt-keygen -o ro/id --no-passphrase
  listing=$(ls -A ro)
  [ "$(id -u)" -ne 0 ] || umount ro
  assert_failure 2
  assert_output --regexp '^grypt-keygen: error: cannot create a file in ro: (Read-only file system|Permission denied)$'
  [ -z "$listing" ]
}

@test "a full disk leaves nothing behind" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
  mkdir small
  mount -t tmpfs -o size=4k,nr_inodes=2 tmpfs small || skip "cannot mount tmpfs here"
  head -c 4096 /dev/zero >small/filler 2>/dev/null || true
  run grypt-keygen -o small/id --no-passphrase
  listing=$(ls -A small)
  umount small
  assert_failure 2
  assert_output --regexp '^grypt-keygen: error: (cannot create a file in small|cannot write small/id|cannot create small/id): No space left on device(; no identity was created)?$'
  [ "$listing" = filler ]
}

@test "stdout closed or full: exit 2 and no identity is created" {
  run bash -c 'grypt-keygen -o id --no-passphrase >&-'
  assert_failure 2
  assert_output "grypt-keygen: error: cannot write to stdout: Bad file descriptor"
  [ ! -e id ]
  run bash -c 'grypt-keygen -o id --no-passphrase >/dev/full'
  assert_failure 2
  assert_output "grypt-keygen: error: cannot write to stdout: No space left on device"
  [ ! -e id ]
  [ -z "$(ls -A)" ] || [ "$(ls -A)" = "$(ls -A | grep -v '^id$')" ]
}

@test "a device, FIFO or directory is never replaced, even with --force" {
  mkfifo fifo
  run grypt-keygen --force -o fifo --no-passphrase
  assert_failure 2
  assert_output "grypt-keygen: error: fifo is a FIFO: refusing to replace it"
  [ -p fifo ]
  run grypt-keygen --force -o /dev/null --no-passphrase
  assert_failure 2
  assert_output "grypt-keygen: error: /dev/null is a device: refusing to replace it"
  [ -c /dev/null ]
  mkdir dir
  run grypt-keygen --force -o dir --no-passphrase
  assert_failure 2
  assert_output "grypt-keygen: error: dir is a directory: refusing to replace it"
  run timeout 10 grypt-keygen --public -i fifo
  assert_failure 2
  assert_output "grypt-keygen: error: fifo is a FIFO, not a regular file"
}

@test "--force on a symlink replaces its target and keeps the link" {
  grypt-keygen -o real --no-passphrase >old.pub 2>/dev/null
  ln -s real link
  run --separate-stderr grypt-keygen --force -o link --no-passphrase
  assert_success
  [ -L link ]
  [ "$(grypt-keygen --public -i real)" = "$output" ]
  [ "$(cat old.pub)" != "$output" ]
}

# The Argon2 parameters an identity file holds (grypt.5, IDENTITY FILE).
kdf_params() { od -An -tx1 -j9 -N12 "$1" | tr -d ' \n'; }

@test "--change-passphrase: the same keys under a new passphrase, the file replaced only once verified" {
  printf 'old one\n' >old
  printf 'new one\n' >new
  grypt-keygen -o id --passphrase-file old --kdf-profile owasp >id.pub
  vault-put -i id --passphrase-file old --vault v name <<<"kept"
  params=$(kdf_params id)
  run --separate-stderr grypt-keygen --change-passphrase -i id --passphrase-file old --new-passphrase-file new
  assert_success
  assert_output ""
  [ "$stderr" = "" ]
  [ "$(grypt-keygen --public -i id)" = "$(cat id.pub)" ]
  [ "$(stat -c %a id)" = 600 ]
  [ "$(kdf_params id)" = "$params" ]
  run vault-get -i id --passphrase-file new --vault v name
  assert_output "kept"
  run vault-get -i id --passphrase-file old --vault v name
  assert_failure 1
  # A wrong old passphrase: exit 1, the file as it was.
  cp id before
  run grypt-keygen --change-passphrase -i id --passphrase-file old --new-passphrase-file new
  assert_failure 1
  assert_output "grypt-keygen: error: wrong passphrase for id"
  cmp id before
  # Without a terminal: the old passphrase on the first line of stdin, the
  # new one on the second; --kdf-profile changes the parameters.
  printf 'new one\nthird one\n' | grypt-keygen --change-passphrase -i id --kdf-profile rfc9106-low
  [ "$(kdf_params id)" != "$params" ]
  run vault-get -i id --passphrase-file <(echo "third one") --vault v name
  assert_output "kept"
  # An empty new passphrase is refused, and nothing changes.
  cp id before
  : >empty
  run grypt-keygen --change-passphrase -i id --passphrase-fd 3 --new-passphrase-file empty 3< <(echo "third one")
  assert_failure 2
  assert_output "grypt-keygen: error: empty new passphrase refused (use --no-passphrase to remove the passphrase)"
  cmp id before
}

@test "--change-passphrase at a terminal: the old one, then the new one twice, echo off" {
  command -v script >/dev/null || skip "script(1) is not installed"
  printf 'old one\n' >old
  grypt-keygen -o id --passphrase-file old --kdf-profile owasp >/dev/null
  cp id before
  run terminal "grypt-keygen --change-passphrase -i id" 'old one' 'new one' 'other one'
  assert_failure
  assert_output --partial "New passphrase: "
  assert_output --partial "grypt-keygen: error: the new passphrases do not match"
  cmp id before
  run terminal "grypt-keygen --change-passphrase -i id" 'old one' 'new one' 'new one'
  assert_success
  assert_output --partial "Repeat new passphrase: "
  refute_output --partial "new one"
  run vault-put -i id --passphrase-file <(echo "new one") --vault v x <<<"y"
  assert_success
}

@test "--change-passphrase to or from no passphrase, only when asked" {
  printf 'pw\n' >pw
  grypt-keygen -o id --passphrase-file pw --kdf-profile owasp >id.pub
  run --separate-stderr grypt-keygen --change-passphrase -i id --passphrase-file pw --no-passphrase
  assert_success
  [ "$stderr" = "grypt-keygen: warning: the identity in id is not protected by a passphrase any more: anyone who can read it can act as you" ]
  [ "$(stat -c %s id)" = 177 ]
  [ "$(grypt-keygen --public -i id)" = "$(cat id.pub)" ]
  run grypt-keygen --change-passphrase -i id --no-passphrase
  assert_failure 2
  assert_output "grypt-keygen: error: the identity in id has no passphrase already"
  # From none: the new passphrase only is read, and the default parameters
  # are used.
  run grypt-keygen --change-passphrase -i id --new-passphrase-file pw
  assert_success
  [ "$(stat -c %s id)" = 193 ]
  [ "$(kdf_params id)" = "$(printf '%08x%08x%08x' 3 65536 4)" ]
  run vault-put -i id --passphrase-file pw --vault v x <<<"y"
  assert_success
  # Usage errors.
  run grypt-keygen --change-passphrase -i id --no-passphrase --new-passphrase-file pw
  assert_failure 2
  assert_output "grypt-keygen: error: --no-passphrase does not go with --new-passphrase-fd or --new-passphrase-file"
  run grypt-keygen --change-passphrase -o other
  assert_failure 2
  run grypt-keygen -o other --new-passphrase-file pw
  assert_failure 2
  assert_output "grypt-keygen: error: --new-passphrase-fd and --new-passphrase-file go with --change-passphrase or --move-to"
  [ ! -e other ]
  run grypt-keygen --change-passphrase -i missing --new-passphrase-file pw
  assert_failure 2
  # No terminal and nothing on stdin for the new one.
  run setsid -w grypt-keygen --change-passphrase -i id --passphrase-file pw </dev/null
  assert_failure 2
  assert_output "grypt-keygen: error: no terminal to ask for the new passphrase, and nothing on standard input: give --new-passphrase-fd or --new-passphrase-file"
}

@test "--change-passphrase on a full disk: exit 2, the old file kept" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
  mkdir small
  mount -t tmpfs -o size=8k,nr_inodes=3 tmpfs small || skip "cannot mount tmpfs here"
  printf 'pw\n' >pw
  grypt-keygen -o small/id --no-passphrase >/dev/null 2>&1
  cp small/id before
  head -c 8192 /dev/zero >small/filler 2>/dev/null || true
  run grypt-keygen --change-passphrase -i small/id --new-passphrase-file pw
  listing=$(ls -A small)
  cmp small/id before
  same=$?
  umount small
  assert_failure 2
  assert_output --regexp 'No space left on device'
  [ "$listing" = "filler
id" ]
  [ "$same" = 0 ]
}

@test "--force refuses to replace an identity the vault is sealed to, and says how to move" {
  grypt-keygen --no-passphrase >old.pub 2>/dev/null
  id=$XDG_DATA_HOME/grypt/identity
  cp "$id" id.saved
  vault-put api/token <<<"s3cret"
  run grypt-keygen --force --no-passphrase
  assert_failure 2
  assert_output "grypt-keygen: error: the identity in $id opens the vault $XDG_DATA_HOME/grypt/vault: a new one would not; make the new identity elsewhere (-o), sign a move to it (grypt-keygen --move-to FILE) and re-seal the vault with it (vault-put --move), then replace this one"
  cmp "$id" id.saved
  [ "$(vault-get api/token)" = "s3cret" ]
  # The same for another path, and for GRYPT_VAULT.
  cp "$id" other
  run grypt-keygen --force --no-passphrase -o other
  assert_failure 2
  assert_output --partial "the identity in other opens the vault"
  cmp other id.saved
  # Moved as it says: a new identity, added to the recipients, then the old
  # one replaced.
  grypt-keygen --no-passphrase -o new >new.pub 2>/dev/null
  cat old.pub new.pub >keys
  vault-put --recipients keys
  GRYPT_IDENTITY=$PWD/new run vault-get api/token
  assert_output "s3cret"
  cat new.pub >keys
  GRYPT_IDENTITY=$PWD/new vault-put --recipients keys
  run --separate-stderr grypt-keygen --force --no-passphrase
  assert_success
  # A damaged identity is what --force is for.
  head -c 20 id.saved >"$XDG_DATA_HOME/grypt/identity"
  run --separate-stderr grypt-keygen --force --no-passphrase
  assert_success
}

@test "at a terminal: the passphrase is asked twice with echo off; a mismatch writes nothing" {
  command -v script >/dev/null || skip "script(1) is not installed"
  run terminal "grypt-keygen -o id --kdf-profile owasp" 'one' 'two'
  assert_failure
  assert_output --partial "Passphrase: "
  assert_output --partial "Repeat passphrase: "
  assert_output --partial "grypt-keygen: error: the passphrases do not match"
  refute_output --partial "one"
  [ ! -e id ]
  run terminal "grypt-keygen -o id --kdf-profile owasp" 'typed secret' 'typed secret'
  assert_success
  refute_output --partial "typed secret"
  assert_output --regexp "grypt-pk:[A-Za-z0-9_-]{91}"
  run vault-put -i id --vault v --passphrase-file <(echo "typed secret") name <<<"x"
  assert_success
}
