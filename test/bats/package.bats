#!/usr/bin/env bats
# The Debian packages grypt and gryptserver (build-aux/deb, as make deb,
# here of the binaries make check built: --reuse):
# two builds in two directories give the same bytes (with
# GRYPT_CHECK_REPRODUCIBLE=1, for CI's time); lintian has nothing to
# say; they hold what make install installs; installed with apt-get on this
# machine they are hardened and work (keygen, vault, a server and a member on
# 127.0.0.1); purged, they leave nothing behind.
#
# Needs root and debhelper, lintian and devscripts (build-aux/deps package
# installs them, .ci/run does so); skipped otherwise with the reason, and in
# the ASan check (the packages are release builds, tested by the plain one).
# Install, use and purge hold a lock, so that two checkouts on one machine
# do not install over each other.

load helper
load server_helper
load member_helper

LOCK=/tmp/grypt-package-test.lock

# Why the packages cannot be tested here, if they cannot.
skip_reason() {
  if [ "${GRYPT_SANITIZE:-}" = 1 ]; then
    echo "the packages are release builds: the plain make check tests them"
  elif [ "$(id -u)" != 0 ]; then
    echo "needs root (apt-get install): run make check as root"
  else
    local t missing=
    for t in dpkg-buildpackage dh lintian hardening-check; do
      command -v "$t" >/dev/null || missing+=" $t"
    done
    [ -z "$missing" ] || echo "missing$missing: build-aux/deps package installs them (as .ci/run does)"
  fi
}

# Bats 1.8 cannot skip from setup_file: setup skips each test instead.
setup_file() {
  export PACKAGE_SKIP
  PACKAGE_SKIP=$(skip_reason)
  [ -z "$PACKAGE_SKIP" ] || return 0
  # The binaries make check built and tests, packaged (build-aux/deb
  # --reuse); a build of its own where there are none, and two for the
  # reproducibility test, which compares builds from scratch.
  if [ -e "$REPO/build/release/flags" ] && [ -z "${GRYPT_CHECK_REPRODUCIBLE:-}" ]; then
    "$REPO/build-aux/deb" --reuse "$BATS_FILE_TMPDIR/a"
  else
    "$REPO/build-aux/deb" "$BATS_FILE_TMPDIR/a"
  fi
  [ -z "${GRYPT_CHECK_REPRODUCIBLE:-}" ] || "$REPO/build-aux/deb" "$BATS_FILE_TMPDIR/elsewhere/b"
}

setup() {
  [ -z "$PACKAGE_SKIP" ] || skip "$PACKAGE_SKIP"
  setup_home
  A=$BATS_FILE_TMPDIR/a
  B=$BATS_FILE_TMPDIR/elsewhere/b
  VERSION=$(cd "$REPO" && dpkg-parsechangelog -S Version)
  ARCH=$(dpkg --print-architecture)
}

teardown() {
  server_teardown
  # A test that failed half way still leaves the machine as it found it.
  if [ -e "$BATS_TEST_TMPDIR/installed" ]; then
    apt-get -o DPkg::Lock::Timeout=600 purge -y -q grypt gryptserver >/dev/null 2>&1 || true
  fi
}

deb() { echo "$A/${1}_${VERSION}_$ARCH.deb"; }

# mk: make with the variables of the build under test (see install.bats).
mk() {
  # shellcheck disable=SC2086
  make -s --no-print-directory -C "$REPO" ${GRYPT_MAKE_VARS:-} "$@"
}

@test "the Makefile's VERSION is the package's" {
  run mk print-VERSION
  assert_output "$VERSION"
}

@test "two builds in two directories give the same packages, byte for byte" {
  # A second build takes as long as the first: make check leaves it out, to
  # keep CI's time (.ci/run), and says so.
  [ -n "${GRYPT_CHECK_REPRODUCIBLE:-}" ] || skip "a second package build: run with GRYPT_CHECK_REPRODUCIBLE=1"
  run bash -c 'cd "$1" && ls *.deb && sha256sum *.deb' - "$A"
  assert_success
  local a=$output
  [ "$(echo "$a" | grep -c '\.deb$')" -eq 8 ] # 4 names, 4 sums: grypt, gryptserver and -dbgsym
  run bash -c 'cd "$1" && ls *.deb && sha256sum *.deb' - "$B"
  assert_output "$a"
}

@test "lintian: no error and no warning" {
  run bash -c 'lintian --fail-on error,warning "$1" 2>&1 | grep -vx "running with root privileges is not recommended!"' \
    - "$A/grypt_${VERSION}_$ARCH.changes"
  assert_output ""
}

# package_files PKG: the files of the package, .gz dropped, Debian's own
# (copyright, changelog) left out.
package_files() {
  dpkg-deb -c "$(deb "$1")" | awk '$1 !~ /^d/ { print substr($6, 2) }' | sed 's/\.gz$//' |
    grep -vxE "/usr/share/doc/$1/(copyright|changelog)" | LC_ALL=C sort
}

# install_files PART: what make install-PART writes for the package.
install_files() {
  local d=$BATS_TEST_TMPDIR/$1
  mk "install-$1" DESTDIR="$d" PREFIX=/usr systemdsystemunitdir=/lib/systemd/system >/dev/null
  (cd "$d" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort)
}

@test "grypt holds what make install-member installs, gryptserver what make install-server does" {
  run diff <(install_files member) <(package_files grypt)
  assert_success
  run diff <(install_files server) <(package_files gryptserver)
  assert_success
  # Every tool of the Makefile is in grypt.
  local t
  for t in $(mk print-TOOLS) gryptd; do
    package_files grypt | grep -qx "/usr/bin/$t" || { echo "grypt lacks /usr/bin/$t"; return 1; }
  done
}

@test "dependencies: libssl3 for what the tools load with dlopen, sysusers for the server's user" {
  run dpkg-deb -f "$(deb grypt)" Depends
  assert_output --regexp '(^|, )libssl3 \(>= 3\.0\.0\)(,|$)'
  assert_output --partial 'libsodium23'
  run dpkg-deb -f "$(deb gryptserver)" Depends
  assert_output --partial 'systemd | systemd-standalone-sysusers | systemd-sysusers'
  assert_output --partial 'libsqlite3-0'
  # postinst: the user through sysusers; the unit enabled, not started
  # (restarted after an upgrade only if it ran); prerm: stopped on removal.
  run bash -c 'dpkg-deb --ctrl-tarfile "$1" | tar -xO ./postinst' - "$(deb gryptserver)"
  assert_output --partial 'systemd-sysusers ${DPKG_ROOT:+--root="$DPKG_ROOT"} gryptserver.conf'
  assert_output --partial "deb-systemd-helper enable 'gryptserver.service'"
  run bash -c 'dpkg-deb --ctrl-tarfile "$1" | tar -xO ./postinst | grep deb-systemd-invoke' - "$(deb gryptserver)"
  assert_output "			deb-systemd-invoke try-restart 'gryptserver.service' >/dev/null || true"
  run bash -c 'dpkg-deb --ctrl-tarfile "$1" | tar -xO ./prerm | grep deb-systemd-invoke' - "$(deb gryptserver)"
  assert_output "	deb-systemd-invoke stop 'gryptserver.service' >/dev/null || true"
}

# The smoke test of the installed tools: keygen, the vault, a server, an
# administrator and a member on 127.0.0.1, a post sealed and opened.
smoke() {
  grypt-keygen -o id --no-passphrase >id.pub 2>/dev/null
  run cat id.pub
  assert_output --regexp '^grypt-pk:'
  echo 's3cret' | vault-put -i id --vault vault db/password
  run vault-get -i id --vault vault db/password
  assert_output "s3cret"
  start_server
  start_admin
  make_group friends
  new_member alice
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  as alice gryptd join friends "$REF"
  start_daemon alice
  wait_epoch alice friends 2
  echo "the installed tools work" | as alice grypt-seal friends >post
  run as admin grypt-open <post
  assert_success
  assert_output --partial "the installed tools work"
  stop_daemon alice
  stop_daemon admin
  stop_server
}

# The packages' states other than not-installed (none when neither is known).
states() { dpkg-query -W -f '${db:Status-Status}\n' grypt gryptserver 2>/dev/null | grep -vx not-installed; }

@test "apt-get install, hardened, working, then purged without a trace" {
  local lock
  exec {lock}>"$LOCK"
  flock -w 1800 "$lock" || fail "another package test held $LOCK for 30 minutes"
  run states
  assert_output ""
  # Which of the packages' paths exist before (directories such as /usr/bin).
  local paths
  paths=$( (dpkg-deb -c "$(deb grypt)"; dpkg-deb -c "$(deb gryptserver)") | awk '{ print substr($6, 2) }' |
    sed 's|/$||' | grep . | LC_ALL=C sort -u)
  local before
  before=$(for p in $paths; do [ ! -e "$p" ] || echo "$p"; done)

  # The server's user left by an earlier run (purging keeps it) goes, so
  # that this install must make it.
  if [ "$(getent passwd gryptserver | cut -d: -f5)" = "grypt group server" ]; then
    userdel gryptserver
    ! getent group gryptserver >/dev/null || groupdel gryptserver
  fi
  touch "$BATS_TEST_TMPDIR/installed"
  run apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "$(deb grypt)" "$(deb gryptserver)"
  assert_success

  # The server's user, from sysusers; the unit enabled, not started; the
  # user unit enabled for nobody.
  run getent passwd gryptserver
  assert_output --regexp '^gryptserver:x:[0-9]+:[0-9]+:grypt group server:/var/lib/gryptserver:/usr/sbin/nologin$'
  [ "$(id -u gryptserver)" -lt 1000 ]
  [ "$(readlink /etc/systemd/system/multi-user.target.wants/gryptserver.service)" = /lib/systemd/system/gryptserver.service ]
  [ ! -e /etc/systemd/user/default.target.wants/gryptd.service ]
  [ ! -e /etc/systemd/user/sockets.target.wants/gryptd.socket ]
  if [ -d /run/systemd/system ]; then
    run systemctl is-active gryptserver
    assert_output inactive
  fi
  run systemd-analyze verify --man=no /lib/systemd/system/gryptserver.service
  assert_output ""

  local f
  for f in $(dpkg -L grypt gryptserver | grep -E '^/usr/s?bin/.'); do
    # --nocfprotection: see install.bats (Debian 12's crt files).
    run hardening-check --nocfprotection "$f"
    assert_success
  done

  # The installed tools, not the build's.
  PATH=/usr/sbin:/usr/bin:/sbin:/bin
  [ "$(type -P grypt-seal)" = /usr/bin/grypt-seal ]
  [ "$(type -P gryptserver)" = /usr/sbin/gryptserver ]
  smoke

  run apt-get -o DPkg::Lock::Timeout=600 purge -y -q grypt gryptserver
  assert_success
  rm "$BATS_TEST_TMPDIR/installed"
  run states
  assert_output ""
  local after
  after=$(for p in $paths; do [ ! -e "$p" ] || echo "$p"; done)
  [ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after"); return 1; }
  local d dirs=()
  for d in /etc/systemd /var/lib/systemd /var/lib/dpkg/info; do [ ! -d "$d" ] || dirs+=("$d"); done
  run find "${dirs[@]}" -name '*grypt*'
  assert_output ""
  # Nothing made the server's store; the user stays, as Debian leaves
  # system users behind (files it owned may outlive the package).
  [ ! -e /var/lib/gryptserver ]
  getent passwd gryptserver >/dev/null
}
