# Members with homes of their own, each with its gryptd, for tests that go
# end to end. Load after server_helper.
#   as NAME CMD...        CMD with NAME's HOME and XDG directories
#   new_member NAME       an identity (no passphrase); its key in NAME.pub
#   bg_as NAME LOG CMD... CMD as NAME in the background, by pid
#   start_daemon NAME [ARGS]  gryptd --foreground for NAME, by pid, once it answers
#   stop_daemon NAME      SIGTERM, then wait
#   wait_epoch NAME GROUP N [SECONDS]   until NAME's daemon holds epoch N
#   daemon_state NAME GROUP   the group's state in NAME's gryptd status
#   wait_state NAME GROUP STATE [SECONDS]   until it is STATE

# The environment of NAME, as arguments to env(1), in USER_ENV.
user_env() {
  local d="$BATS_TEST_TMPDIR/u/$1"
  USER_ENV=(-u GRYPT_SOCKET -u GRYPT_IDENTITY HOME="$d" XDG_DATA_HOME="$d/data"
    XDG_CONFIG_HOME="$d/config" XDG_STATE_HOME="$d/state" XDG_RUNTIME_DIR="$d/run")
}

as() {
  user_env "$1"
  shift
  env "${USER_ENV[@]}" "$@"
}

# bg_as NAME LOG CMD...: CMD as NAME in the background, its pid (not a
# subshell's) in BG_PID and in the cleanup list; stderr to LOG. Not bats'
# descriptor 3: a process holding it would keep bats waiting.
bg_as() {
  user_env "$1"
  local log=$2
  shift 2
  (exec env "${USER_ENV[@]}" "$@") 2>>"$log" 3>&- &
  BG_PID=$!
  echo "$BG_PID" >>"$BATS_TEST_TMPDIR/pids"
}

new_member() {
  mkdir -p "$BATS_TEST_TMPDIR/u/$1/run"
  chmod 700 "$BATS_TEST_TMPDIR/u/$1/run"
  as "$1" grypt-keygen --no-passphrase >/dev/null 2>&1
  as "$1" grypt-keygen --public >"$1.pub"
}

# The pid of NAME's daemon is in DAEMON_PID_NAME.
start_daemon() {
  local name=$1 i
  shift
  bg_as "$name" "$BATS_TEST_TMPDIR/$name.log" gryptd --foreground "$@"
  local pid=$BG_PID
  printf -v "DAEMON_PID_$name" '%s' "$pid"
  # Ready when the daemon that answers is this one.
  for ((i = 0; i < 100; i++)); do
    as "$name" gryptd status --json 2>/dev/null | grep -q "\"pid\":$pid," && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "gryptd of $name did not start:" >&2
  cat "$BATS_TEST_TMPDIR/$name.log" >&2
  return 1
}

stop_daemon() {
  local var="DAEMON_PID_$1"
  kill -TERM "${!var}"
  wait "${!var}" 2>/dev/null || true
  ! kill -0 "${!var}" 2>/dev/null
}

# The epoch NAME's daemon holds of GROUP, from gryptd status --json.
daemon_epoch() {
  as "$1" gryptd status --json |
    sed -n "s/.*{\"name\":\"$2\",\"state\":\"[a-z-]*\",\"epoch\":\([0-9]*\).*/\1/p"
}

wait_epoch() { daemon_wait daemon_epoch "$1" "$2" "$3" "${4:-5}"; }

daemon_state() {
  as "$1" gryptd status --json |
    sed -n "s/.*{\"name\":\"$2\",\"state\":\"\([a-z-]*\)\".*/\1/p"
}

wait_state() { daemon_wait daemon_state "$1" "$2" "$3" "${4:-10}"; }

# daemon_wait GETTER NAME GROUP WANT SECONDS: until GETTER NAME GROUP
# prints WANT; else what it printed and NAME's daemon log.
daemon_wait() {
  local get=$1 name=$2 group=$3 want=$4 i
  for ((i = 0; i < $5 * 20; i++)); do
    [ "$("$get" "$name" "$group")" = "$want" ] && return 0
    sleep 0.05
  done
  echo "$name's $group: $get is $("$get" "$name" "$group"), not $want:" >&2
  cat "$BATS_TEST_TMPDIR/$name.log" >&2
  return 1
}

# The key id of the public key in FILE as grypt-open shows it: the first 8
# bytes of its fingerprint, BLAKE2b-256("grypt fingerprint v1" || key), in
# base64url (grypt.5, PUBLIC KEYS).
key_id_of() {
  python3 - "$(cat "$1")" <<'PY'
import base64, hashlib, sys
s = sys.argv[1][len("grypt-pk:"):]
key = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))[:64]
fp = hashlib.blake2b(b"grypt fingerprint v1" + key, digest_size=32).digest()
print(base64.urlsafe_b64encode(fp[:8]).decode().rstrip("="))
PY
}
