#!/usr/bin/env bats
# make install and make uninstall, into a temporary DESTDIR or PREFIX: the
# files are those expected from the Makefile's tool list and man/, binaries
# stripped and hardened, units naming the installed binaries; uninstall
# removes exactly what install wrote.

load helper

# make with the variables of the build under test (make check passes them
# in GRYPT_MAKE_VARS), so that install finds it up to date.
mk() {
  # shellcheck disable=SC2086 # GRYPT_MAKE_VARS is a list of words
  make -s --no-print-directory -C "$REPO" ${GRYPT_MAKE_VARS:-} "$@"
}

# expected_files PREFIX: what make install writes under PREFIX, sorted.
expected_files() {
  local p=$1 t page
  for t in $(mk print-TOOLS) gryptd; do
    echo "$p/bin/$t"
    echo "$p/share/bash-completion/completions/$t"
  done
  echo "$p/sbin/gryptserver"
  echo "$p/share/bash-completion/completions/gryptserver"
  for page in "$REPO"/man/*.[1-8]; do
    page=${page##*/}
    echo "$p/share/man/man${page##*.}/$page"
  done
  echo "$p/lib/systemd/system/gryptserver.service"
  echo "$p/lib/systemd/user/gryptd.service"
  echo "$p/lib/systemd/user/gryptd.socket"
  echo "$p/lib/sysusers.d/gryptserver.conf"
  echo "$p/share/doc/grypt/README.md"
  echo "$p/share/doc/grypt/examples/gryptd-passphrase.conf"
}

# files DIR: every file and link under DIR, relative, sorted.
files() { (cd "$1" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort); }

installed_programs() {
  local t
  for t in $(mk print-TOOLS) gryptd; do echo "$1/usr/bin/$t"; done
  echo "$1/usr/sbin/gryptserver"
}

@test "make install DESTDIR=D PREFIX=/usr writes the expected files, and builds nothing" {
  local d=$BATS_TEST_TMPDIR/dest
  run mk install DESTDIR="$d" PREFIX=/usr
  assert_success
  refute_output --partial "  CXX"
  refute_output --partial "  LINK"
  run diff <(expected_files /usr | LC_ALL=C sort) <(files "$d")
  assert_success
  assert_output ""
}

@test "make install: programs stripped and mode 0755, everything else 0644" {
  local d=$BATS_TEST_TMPDIR/dest f
  mk install DESTDIR="$d" PREFIX=/usr >/dev/null
  for f in $(installed_programs "$d"); do
    [ "$(stat -c %a "$f")" = 755 ] || { echo "$f: mode $(stat -c %a "$f")"; return 1; }
    run readelf -S "$f"
    assert_success
    refute_output --partial ".debug_info"
    refute_output --partial ".symtab"
  done
  run bash -c 'find "$1" -type f ! -perm 0644 | grep -vxF -f "$2"' - "$d" <(installed_programs "$d")
  assert_output ""
}

@test "make uninstall removes exactly what make install wrote" {
  local d=$BATS_TEST_TMPDIR/dest
  mk install DESTDIR="$d" PREFIX=/usr >/dev/null
  # Files of others in the same directories stay.
  touch "$d/usr/bin/other" "$d/usr/share/man/man1/other.1"
  run mk uninstall DESTDIR="$d" PREFIX=/usr
  assert_success
  run files "$d"
  assert_output "/usr/bin/other
/usr/share/man/man1/other.1"
  [ ! -e "$d/usr/share/doc/grypt" ]
}

@test "make uninstall of nothing installed succeeds" {
  run mk uninstall DESTDIR="$BATS_TEST_TMPDIR/none" PREFIX=/usr
  assert_success
}

@test "the units name the installed binaries, and systemd-analyze verify accepts them" {
  local p=$BATS_TEST_TMPDIR/prefix
  mk install PREFIX="$p" >/dev/null
  run grep -h '^ExecStart=' "$p/lib/systemd/system/gryptserver.service" "$p/lib/systemd/user/gryptd.service"
  assert_output "ExecStart=$p/sbin/gryptserver serve --store \${STATE_DIRECTORY} --master-key-file \${CREDENTIALS_DIRECTORY}/master-key
ExecStart=$p/bin/gryptd --foreground --locked"
  run systemd-analyze verify --man=no "$p/lib/systemd/system/gryptserver.service"
  assert_success
  assert_output ""
  run systemd-analyze --user verify --man=no "$p/lib/systemd/user/gryptd.service"
  assert_success
  assert_output ""
  run systemd-analyze --user verify --man=no "$p/lib/systemd/user/gryptd.socket"
  assert_success
  assert_output ""
}

@test "the passphrase drop-in for the gryptd user unit is accepted by systemd-analyze" {
  local p=$BATS_TEST_TMPDIR/prefix u=$BATS_TEST_TMPDIR/units
  mk install PREFIX="$p" >/dev/null
  mkdir -p "$u/gryptd.service.d"
  cp "$p/lib/systemd/user/gryptd.service" "$u/"
  cp "$p/share/doc/grypt/examples/gryptd-passphrase.conf" "$u/gryptd.service.d/passphrase.conf"
  run grep '^ExecStart=.' "$u/gryptd.service.d/passphrase.conf"
  assert_output "ExecStart=$p/bin/gryptd --foreground --passphrase-file \${CREDENTIALS_DIRECTORY}/passphrase"
  run systemd-analyze --user verify --man=no "$u/gryptd.service"
  assert_success
  assert_output ""
}

@test "the PostgreSQL drop-in of gryptserver.8 for gryptserver.service is accepted by systemd-analyze" {
  local p=$BATS_TEST_TMPDIR/prefix u=$BATS_TEST_TMPDIR/units
  mk install PREFIX="$p" >/dev/null
  mkdir -p "$u/gryptserver.service.d"
  cp "$p/lib/systemd/system/gryptserver.service" "$u/"
  # The page's literal block after the drop-in's path, as a reader copies it.
  awk '/gryptserver.service.d\/postgresql.conf/ { want = 1 } want && /^\.Bd -literal/ { on = 1; next }
       on && /^\.Ed/ { exit } on { gsub(/\\e/, "\\"); print }' "$REPO/man/gryptserver.8" |
    sed "s|/usr/sbin/gryptserver|$p/sbin/gryptserver|" >"$u/gryptserver.service.d/postgresql.conf"
  run grep -c . "$u/gryptserver.service.d/postgresql.conf"
  assert_output 8
  grep -q '^ConditionPathExists=$' "$u/gryptserver.service.d/postgresql.conf"
  run systemd-analyze verify --man=no "$u/gryptserver.service"
  assert_success
  assert_output ""
}

@test "hardening-check passes on every installed binary" {
  [ "${GRYPT_SANITIZE:-}" != 1 ] || skip "an ASan build is not fortified (see the Makefile): make check covers it"
  command -v hardening-check >/dev/null || skip "hardening-check missing: apt-get install devscripts (.ci/run does)"
  local d=$BATS_TEST_TMPDIR/dest f
  mk install DESTDIR="$d" PREFIX=/usr >/dev/null
  for f in $(installed_programs "$d"); do
    # Debian 12's crt1.o, crti.o and crtn.o carry no IBT/SHSTK note, so no
    # binary linked on it has one (hardening-check's "control flow
    # integrity"); our code is built with -fcf-protection, seen below.
    run hardening-check --nocfprotection "$f"
    assert_success
    if [ "$(uname -m)" = x86_64 ]; then
      objdump -d "$f" | grep -q endbr64 || { echo "$f: no endbr64: not built with -fcf-protection"; return 1; }
    fi
  done
}
