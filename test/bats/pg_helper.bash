# A PostgreSQL server for a test (test/pg-cluster: initdb in a temporary
# directory, a Unix socket only, no TCP), stopped by pid when the test ends.
#   start_pg    starts it with a database "grypt"; DB is its connection URI,
#               PGDIR its directory
#   stop_pg     stops it and removes its directory (call from teardown)

start_pg() {
  # PostgreSQL runs as postgres when the tests run as root: its directory
  # is one that user can reach.
  PGDIR=$(mktemp -d /tmp/grypt-pg.XXXXXX)
  chmod 711 "$PGDIR"
  echo "$PGDIR" >"$BATS_TEST_TMPDIR/pgdir"
  "$REPO/test/pg-cluster" start "$PGDIR/c" >/dev/null
  "$REPO/test/pg-cluster" createdb "$PGDIR/c" grypt
  DB="postgresql://grypt@/grypt?host=$PGDIR/c"
}

stop_pg() {
  [ -f "$BATS_TEST_TMPDIR/pgdir" ] || return 0
  local d
  d=$(cat "$BATS_TEST_TMPDIR/pgdir")
  "$REPO/test/pg-cluster" stop "$d/c" || true
  rmdir "$d" 2>/dev/null || true
}
