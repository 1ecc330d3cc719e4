#!/usr/bin/env bats
# End to end on 127.0.0.1: a group server, members with their own homes and
# daemons, posts sealed and opened. Every process is started and stopped by
# the test, by pid.

load helper
load member_helper
load server_helper

setup() {
  setup_home
  new_member alice
  new_member bob
}

teardown() { server_teardown; }

@test "the scenario: seal, open, remove, admit, restart offline" {
  friends_online
  # Both members see one head, short enough to read out to each other.
  ha=$(as alice gryptd status | sed -n 's/^  head \([^ ]*\).*/\1/p')
  hb=$(as bob gryptd status | sed -n 's/^  head \([^ ]*\).*/\1/p')
  [ -n "$ha" ] && [ "$ha" = "$hb" ]
  run as alice gryptd status
  assert_line "fingerprint $(fingerprint_of alice.pub)"
  assert_line --regexp "^  head ([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}  expires [0-9TZ:-]+  member$"
  # The head's short code is the first 160 bits of the whole hash --json gives.
  whole=$(as alice gryptd status --json | sed -n 's/.*"head":"\([A-Za-z0-9_-]*\)".*/\1/p')
  [ "$ha" = "$(python3 -c 'import base64, sys; s = sys.argv[1]; print(base64.urlsafe_b64decode(s + "=").hex())' "$whole" | short_code_of_hex)" ]
  as alice gryptd status --json | grep -q "\"fingerprint\":\"$(fingerprint_of alice.pub)\""
  as alice gryptd status --json | grep -q '"head":"[A-Za-z0-9_-]\{43\}","expires":"[0-9-]*T[0-9:]*Z","role":"member"'
  echo "the meeting is at nine" | as alice grypt-seal friends >post1
  [[ "$(cat post1)" == grypt:* ]]
  run as bob grypt-open <post1
  assert_success
  assert_output --partial "the meeting is at nine"
  assert_output --partial "grypt-open: friends epoch 3: from alice [$(fingerprint_of alice.pub)]"

  # bob is removed: alice's daemon holds the new epoch within a second.
  run ga remove friends bob
  assert_output "epoch 4"
  wait_epoch alice friends 4 1
  echo "bob is not invited" | as alice grypt-seal friends >post2
  run as bob grypt-open <post2
  assert_failure 1
  assert_output "grypt-open: error: message 1 (byte 0): you lack epoch 4 of friends: it is newer than the newest you hold (3): you were removed, or have not heard of it yet"
  grep -q "friends: removed from the group" bob.log
  run as bob grypt-seal friends <<<"still here?"
  assert_failure 1
  assert_output --partial "you are not a member of friends"
  # What bob was given stays his.
  run as bob grypt-open <post1
  assert_success
  assert_output --partial "the meeting is at nine"

  # carol asks to join; the admin adds her from the pending list, with the
  # group's history; she reads what alice posted before and after.
  new_member carol
  as carol gryptd join friends "$REF"
  start_daemon carol
  run as carol grypt-open <post2
  assert_failure 1
  run as carol gryptd status
  assert_line --partial "friends  not-member"
  assert_line "  not a member: send your key above to the group's administrator"
  run ga pending friends
  assert_line --index 0 --regexp "^1  $(fingerprint_of carol.pub)  "
  run ga add friends 1 --name carol --with-history
  assert_output "epoch 5"
  run as carol grypt-open <post2
  assert_success
  assert_output --partial "bob is not invited"
  echo "welcome carol" | as alice grypt-seal friends >post3
  run as carol grypt-open <post3
  assert_success
  assert_output --partial "welcome carol"
  assert_output --partial "friends epoch 5: from alice"

  # The server goes down; both daemons restart and work from their caches.
  stop_server
  stop_daemon alice
  stop_daemon carol
  start_daemon alice
  start_daemon carol
  run as carol grypt-open <post1
  assert_success
  assert_output --partial "the meeting is at nine"
  run as alice grypt-seal friends <<<"the server is down"
  assert_success
  assert_line --index 0 --regexp "^grypt-seal: warning: the server of friends cannot be reached: sealing under epoch 5, last confirmed [0-9TZ:-]+$"
  echo "${lines[-1]}" >post4
  run as carol grypt-open <post4
  assert_success
  assert_output --partial "the server is down"
  run as alice grypt-seal friends --require-fresh <<<"only if fresh"
  assert_failure 2
  assert_output --partial "the server of friends cannot be reached"
}

# Changes one base64url character in the middle of a one-line post.
tamper() {
  local post=$1 at=$((${#1} / 2)) c
  c=${post:at:1}
  [ "$c" = A ] && c=B || c=A
  printf '%s' "${post:0:at}$c${post:at+1}"
}

@test "a feed: every good post opened in order, a tampered one named, prose and junk skipped" {
  friends_online
  for text in one two three; do
    echo "post $text" | as alice grypt-seal friends >"$text"
  done
  echo "from bob, anonymous" | as bob grypt-seal friends --anonymous >anon
  echo "a block" | as bob grypt-seal friends --block >block
  {
    echo "<html><p>see grypt:example and grypt: and grypt:Zebra</p>"
    printf '<p>%s</p>\n' "$(cat one)"
    printf 'bad: %s\n' "$(tamper "$(cat two)")"
    printf '\x01\x02 junk \xff\xfe\n'
    cat block anon
    printf '<p>%s</p></html>\n' "$(cat three)"
  } >feed.html
  run --separate-stderr as bob grypt-open <feed.html
  assert_failure 1
  assert_output "post one
a block
from bob, anonymous
post three"
  [ "${#stderr_lines[@]}" -eq 5 ]
  [[ "${stderr_lines[0]}" == "grypt-open: friends epoch 3: from alice ["* ]]
  [[ "${stderr_lines[1]}" =~ ^"grypt-open: error: message 2 (byte "[0-9]+"): " ]]
  [[ "${stderr_lines[2]}" == "grypt-open: friends epoch 3: from bob ["* ]]
  [ "${stderr_lines[3]}" = "grypt-open: friends epoch 3: anonymous" ]
  [[ "${stderr_lines[4]}" == "grypt-open: friends epoch 3: from alice ["* ]]
  # One JSON object per message, the bad one included.
  run --separate-stderr as bob grypt-open --json <feed.html
  assert_failure 1
  [ "${#lines[@]}" -eq 5 ]
  assert_line --index 0 "{\"message\":1,\"group\":\"friends\",\"epoch\":3,\"signed\":true,\"sender\":{\"name\":\"alice\",\"key\":\"$(cat alice.pub)\",\"fingerprint\":\"$(fingerprint_of alice.pub)\",\"current\":true},\"superseded_by\":null,\"text\":\"post one\\n\"}"
  assert_line --index 1 --regexp '^\{"message":2,"offset":[0-9]+,"error":"[^"]+"\}$'
  assert_line --index 3 '{"message":4,"group":"friends","epoch":3,"signed":false,"sender":null,"superseded_by":null,"text":"from bob, anonymous\n"}'
}

@test "no post at all: exit 0, nothing written, and silent unless stderr is a terminal (a cron job polling a quiet feed)" {
  friends_online
  run --separate-stderr as bob grypt-open <<<"nothing to see, grypt:example"
  assert_success
  assert_output ""
  [ -z "$stderr" ]
  run --separate-stderr as bob grypt-open --json </dev/null
  assert_success
  assert_output ""
  [ -z "$stderr" ]
  # A person at a terminal is told; stdout still gets nothing.
  user_env bob
  echo quiet >quiet
  run script -qec "env ${USER_ENV[*]} grypt-open >out <quiet" /dev/null
  assert_success
  assert_output "grypt-open: no grypt message in the input"$'\r'
  [ ! -s out ]
}

@test "progress at a terminal: a slow seal or open shows bytes and seconds, erased at its end; none with --quiet, in a pipe, or beside output at the terminal" {
  friends_online
  export GRYPT_PROGRESS_AFTER_MS=0  # the first line at once, then one a second
  user_env alice
  # The input ends 2.5 s in: a line at 1 s and 2 s (2 s alone if the first
  # tick came late on a loaded machine).
  run script -qec "(head -c 300000 /dev/zero; sleep 2.5) | env ${USER_ENV[*]} grypt-seal friends -o big.post" /dev/null
  assert_success
  assert_output --regexp $'\rgrypt-seal: sealing: 292 KiB, [12] s\033\\[K'
  [[ "$output" == *$'\r\033[K' ]]
  run script -qec "(head -c 1000 /dev/zero; sleep 1.2) | env ${USER_ENV[*]} grypt-seal friends --quiet -o q.post" /dev/null
  assert_success
  refute_output --partial "sealing"
  # The message to the terminal: no line beside it.
  run script -qec "(echo hi; sleep 1.2) | env ${USER_ENV[*]} grypt-seal friends" /dev/null
  assert_success
  refute_output --partial "sealing"
  # stderr a pipe: nothing.
  run --separate-stderr as alice sh -c "(head -c 1000 /dev/zero; sleep 1.2) | grypt-seal friends -o p.post"
  assert_success
  [ -z "$stderr" ]

  user_env bob
  run script -qec "(cat big.post; sleep 2.5) | env ${USER_ENV[*]} grypt-open -o big.out" /dev/null
  assert_success
  assert_output --regexp $'\rgrypt-open: opening: 39[0-9] KiB, [12] s\033\\[K'
  # The sender's line is a line of its own: the progress line is erased first.
  assert_output --partial "grypt-open: friends epoch 3: from alice"
  refute_output --regexp $' s(\033\\[K)?grypt-open: friends'
  [ "$(wc -c <big.out)" = 300000 ]
  run script -qec "(cat big.post; sleep 1.2) | env ${USER_ENV[*]} grypt-open --quiet -o q.out" /dev/null
  assert_success
  refute_output --partial "opening"
  # --quiet also keeps a quiet feed quiet at a terminal.
  echo quiet >quiet
  run script -qec "env ${USER_ENV[*]} grypt-open --quiet >out <quiet" /dev/null
  assert_success
  assert_output ""
}

@test "FILE operands: read in turn as cat reads them, messages numbered across them, each line naming its file" {
  friends_online
  echo "one" | as alice grypt-seal friends >first
  echo "two" | as alice grypt-seal friends >p2
  echo "three" | as bob grypt-seal friends --anonymous >p3
  { cat p2; tamper "$(cat p2)"; echo; cat p3; } >second
  at=$(stat -c %s p2)
  run --separate-stderr as bob grypt-open first second
  assert_failure 1
  assert_output "one
two
three"
  [ "${#stderr_lines[@]}" -eq 4 ]
  [ "${stderr_lines[0]}" = "grypt-open: first: friends epoch 3: from alice [$(fingerprint_of alice.pub)]" ]
  [ "${stderr_lines[1]}" = "grypt-open: second: friends epoch 3: from alice [$(fingerprint_of alice.pub)]" ]
  [[ "${stderr_lines[2]}" =~ ^"grypt-open: error: second: message 3 (byte $at): " ]]
  [ "${stderr_lines[3]}" = "grypt-open: second: friends epoch 3: anonymous" ]
  # With --json, every object ends with its file.
  run --separate-stderr as bob grypt-open --json first second
  assert_failure 1
  assert_line --index 0 --regexp '^\{"message":1,"group":"friends",.*"text":"one\\n","file":"first"\}$'
  assert_line --index 2 --regexp '^\{"message":3,"offset":'"$at"',"error":"[^"]+","file":"second"\}$'
  assert_line --index 3 --regexp '^\{"message":4,.*"text":"three\\n","file":"second"\}$'
  # - is stdin, named so; a binary message is one FILE of its own.
  echo "bin" | as alice grypt-seal friends --binary >b.grypt
  run --separate-stderr as bob grypt-open first - b.grypt <p3
  assert_success
  assert_output "one
three
bin"
  [ "${stderr_lines[1]}" = "grypt-open: stdin: friends epoch 3: anonymous" ]
  [[ "${stderr_lines[2]}" == "grypt-open: b.grypt: friends epoch 3: from alice ["* ]]
  # - alone is a FILE operand too: its lines name stdin.
  run --separate-stderr as bob grypt-open - <p3
  assert_success
  [ "$stderr" = "grypt-open: stdin: friends epoch 3: anonymous" ]
  # A FIFO whose writer comes later, and /dev/stdin, are read as cat reads them.
  mkfifo fifo
  bash -c 'sleep 0.3 && exec cat first >fifo' 3>&- &
  echo $! >>"$BATS_TEST_TMPDIR/pids"
  run --separate-stderr as bob timeout 10 grypt-open fifo
  assert_success
  assert_output "one"
  run --separate-stderr as bob grypt-open /dev/stdin <p2
  assert_output "two"
  cat p2 | as bob grypt-open /dev/stdin 2>/dev/null >out
  [ "$(cat out)" = two ]
  # grypt-seal reads its one FILE the same way.
  printf 'from a file' >post.txt
  as alice grypt-seal friends post.txt >sealed
  as alice grypt-seal friends - <post.txt >>sealed
  echo "from a fifo" | as alice grypt-seal friends /dev/stdin >>sealed
  run --separate-stderr as bob grypt-open sealed
  assert_success
  assert_output "from a file
from a file
from a fifo"
}

@test "a FILE that is missing, a directory or unreadable: one line naming it, exit 2, after what came before" {
  friends_online
  echo "one" | as alice grypt-seal friends >p1
  echo "two" | as alice grypt-seal friends >p2
  # grypt-open stops at once: the FILEs before it were opened and written,
  # the ones after it are not read.
  run --separate-stderr as bob grypt-open p1 missing p2
  assert_failure 2
  assert_output "one"
  [ "${#stderr_lines[@]}" -eq 2 ]
  [ "${stderr_lines[1]}" = "grypt-open: error: cannot open missing: No such file or directory" ]
  mkdir dir
  run --separate-stderr as bob grypt-open dir p1
  assert_failure 2
  assert_output ""
  [ "$stderr" = "grypt-open: error: dir is a directory" ]
  cp p1 secret
  chmod 000 secret
  run --separate-stderr as bob "${NO_DAC[@]}" grypt-open secret
  assert_failure 2
  [ "$stderr" = "grypt-open: error: cannot open secret: Permission denied" ]
  # grypt-seal writes nothing then.
  run --separate-stderr as alice grypt-seal friends missing
  assert_failure 2
  assert_output ""
  [ "$stderr" = "grypt-seal: error: cannot open missing: No such file or directory" ]
  run as alice grypt-seal friends dir
  assert_failure 2
  assert_output "grypt-seal: error: dir is a directory"
  run as alice "${NO_DAC[@]}" grypt-seal friends secret
  assert_failure 2
  assert_output "grypt-seal: error: cannot open secret: Permission denied"
  run as alice grypt-seal friends p1 p2
  assert_failure 2
  assert_output "grypt-seal: error: unexpected argument 'p2' (see grypt-seal --help)"
}

@test "-o FILE: replaced only once whole, and only on success; plaintext 0600, a message 0644 less the umask" {
  friends_online
  echo "one" | as alice grypt-seal friends >p1
  (umask 022 && echo "sealed to a file" | as alice grypt-seal friends -o post)
  [ "$(stat -c %a post)" = 644 ]
  (umask 027 && echo "to the group only" | as alice grypt-seal friends --output post2)
  [ "$(stat -c %a post2)" = 640 ]
  run --separate-stderr as bob grypt-open post post2
  assert_output "sealed to a file
to the group only"
  # grypt-open: the plaintexts, 0600 whatever was there; senders on stderr.
  echo old >out
  chmod 644 out
  run --separate-stderr as bob grypt-open -o out p1 post
  assert_success
  assert_output ""
  [ "${#stderr_lines[@]}" -eq 2 ]
  [ "$(cat out)" = "one
sealed to a file" ]
  [ "$(stat -c %a out)" = 600 ]
  as bob grypt-open --json -o out.jsonl p1 2>/dev/null
  grep -q '"text":"one\\n","file":"p1"}$' out.jsonl
  # - is stdout.
  run --separate-stderr as bob grypt-open -o - p1
  assert_output "one"
  # A closed stdout does not matter with -o; without it, it is an error.
  as bob grypt-open -o closed p1 >&- 2>/dev/null
  [ "$(cat closed)" = one ]
  echo "sealed, stdout closed" >plain
  as alice grypt-seal friends -o closed.grypt plain >&-
  [ "$(as bob grypt-open closed.grypt 2>/dev/null)" = "sealed, stdout closed" ]
  rc=0
  as bob grypt-open p1 >&- 2>err || rc=$?
  [ "$rc" -eq 2 ]
  [ "$(cat err)" = "grypt-open: error: cannot write to stdout: Bad file descriptor" ]
  # A quiet feed gives an empty FILE, as it gives an empty stdout.
  run --separate-stderr as bob grypt-open -o quiet <<<"nothing new"
  assert_success
  [ -f quiet ]
  [ ! -s quiet ]
}

@test "-o FILE that fails leaves FILE as it was and nothing behind: a post that does not open, a directory, a link" {
  friends_online
  echo "one" | as alice grypt-seal friends >p1
  echo "two" | as alice grypt-seal friends >p2
  { cat p2; tamper "$(cat p2)"; echo; } >second
  echo old >out
  ino=$(stat -c %i out)
  # One of three posts does not open: exit 1, and FILE keeps what it had.
  run --separate-stderr as bob grypt-open -o out p1 second
  assert_failure 1
  assert_output ""
  [ "${#stderr_lines[@]}" -eq 4 ]
  [[ "${stderr_lines[2]}" =~ ^"grypt-open: error: second: message 3 (byte $(stat -c %s p2)): " ]]
  [ "${stderr_lines[3]}" = "grypt-open: error: out left as it was: 1 of 3 messages failed" ]
  [ "$(cat out)" = old ]
  [ "$(stat -c %i out)" = "$ino" ]
  # An anonymous post cut short: what of it verified is not kept either.
  as alice grypt-seal friends --anonymous --binary <<<"anonymous" >anon.grypt
  head -c -20 anon.grypt >cut.grypt
  run --separate-stderr as bob grypt-open -o out cut.grypt
  assert_failure 1
  [ "${stderr_lines[0]}" = "grypt-open: error: cut.grypt: message 1 (byte 0): truncated: the end of the data is missing" ]
  # A FILE that cannot be read stops the run: exit 2, FILE as it was.
  run --separate-stderr as bob grypt-open -o out p1 missing
  assert_failure 2
  [ "${stderr_lines[1]}" = "grypt-open: error: cannot open missing: No such file or directory" ]
  [ "$(cat out)" = old ]
  [ "$(stat -c %i out)" = "$ino" ]
  run as bob grypt-open -o new second
  assert_failure 1
  [ ! -e new ]
  run as alice grypt-seal enemies -o out <<<"x"
  assert_failure 2
  [ "$(cat out)" = old ]
  run as alice grypt-seal friends -o new missing
  assert_failure 2
  [ ! -e new ]
  # -o onto a directory, into a missing one, into one that cannot be
  # written: one line, exit 2, nothing made.
  mkdir dir ro
  chmod 555 ro
  for tool in "grypt-open p1" "grypt-seal friends p1"; do
    name=${tool%% *}
    run as bob $tool -o dir
    assert_failure 2
    assert_output "$name: error: dir is a directory: refusing to replace it"
    run as bob $tool -o nowhere/out
    assert_failure 2
    assert_output "$name: error: cannot create a file in nowhere: No such file or directory"
    [ ! -e nowhere ]
    run as bob "${NO_DAC[@]}" $tool -o ro/out
    assert_failure 2
    assert_output "$name: error: cannot create a file in ro: Permission denied"
    [ -z "$(ls -A ro)" ]
    [ -z "$(ls -A dir)" ]
  done
  # A symbolic link at FILE is refused: neither it nor where it points changes.
  echo target >target
  ln -s target link
  ln -s absent dangling
  for tool in "grypt-open p1" "grypt-seal friends p1"; do
    name=${tool%% *}
    run as bob $tool -o link
    assert_failure 2
    assert_output "$name: error: link is a symbolic link: refusing to replace it"
    [ -L link ]
    [ "$(cat target)" = target ]
    run as bob $tool -o dangling
    assert_failure 2
    assert_output "$name: error: dangling is a symbolic link: refusing to replace it"
    [ ! -e absent ]
  done
  # No temporary file is left anywhere.
  run find . -name '*.tmp-*'
  assert_output ""
}

@test "-o FILE on a full disk: exit 2, nothing left, the old FILE kept" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
  mkdir small
  mount -t tmpfs -o size=64k tmpfs small || skip "cannot mount tmpfs here"
  friends_online
  head -c 200000 /dev/urandom | base64 -w 0 >big
  as alice grypt-seal friends big >big.grypt
  echo old >small/out
  head -c 65536 /dev/zero >small/filler 2>/dev/null || true
  run --separate-stderr as bob grypt-open -o small/out big.grypt
  open_status=$status open_err=$stderr
  run --separate-stderr as alice grypt-seal friends -o small/sealed big
  listing=$(ls -A small)
  old=$(cat small/out)
  umount small
  [ "$open_status" -eq 2 ]
  [ "$open_err" = "grypt-open: error: cannot write small/out: No space left on device" ]
  assert_failure 2
  assert_output ""
  [ "$stderr" = "grypt-seal: error: cannot write small/sealed: No space left on device" ]
  [ "$listing" = "filler
out" ]
  [ "$old" = old ]
}

@test "binary posts and posts of any size round-trip through the daemons; stdout is checked" {
  friends_online
  head -c 3000000 /dev/urandom >big
  as alice grypt-seal friends --binary <big >big.grypt
  run as alice grypt-seal friends --binary </dev/null
  assert_success
  as bob grypt-open <big.grypt >big.out 2>/dev/null
  cmp big big.out
  as alice grypt-seal friends <big | as bob grypt-open >big.out2 2>/dev/null
  cmp big big.out2
  # Signed: nothing of a tampered post is written, however large (this one
  # is held in a temporary file, past 16 MiB of memory... or in memory).
  size=$(stat -c %s big.grypt)
  cp big.grypt bad.grypt
  flip bad.grypt $((size - 200))
  run --separate-stderr as bob grypt-open <bad.grypt
  assert_failure 1
  [ -z "$output" ]
  # Anonymous: chunks are written as they verify; a post cut short says how
  # much of it was written, and that much is exactly its start.
  as alice grypt-seal friends --binary --anonymous <big >anon.grypt
  head -c $(($(stat -c %s anon.grypt) - 1000)) anon.grypt >cut.grypt
  as bob grypt-open <cut.grypt >cut.out 2>cut.err && false
  n=$(stat -c %s cut.out)
  [ "$n" -gt 0 ]
  [ "$(cat cut.err)" = "grypt-open: error: message 1 (byte 0): authentication failed at chunk 46: the data was modified or cut short (the first $n bytes of it, which verified, were written)" ]
  cmp -n "$n" big cut.out
  as bob grypt-open <anon.grypt 2>/dev/null | cmp - big
  # An empty post is a post.
  as alice grypt-seal friends </dev/null >empty
  run --separate-stderr as bob grypt-open <empty
  assert_success
  assert_output ""
  # Around the sizes where grypt-seal reads a signed post before asking
  # gryptd (signature with the key: one request) or streams it (two).
  for n in 1 1023 1024 1025 65535 65536 65537; do
    head -c $n big >post
    as alice grypt-seal friends <post >post.grypt
    as bob grypt-open <post.grypt >post.out 2>post.err
    cmp post post.out
    grep -q ': from alice \[' post.err
  done
  # A full stdout is an error, and says so.
  as bob grypt-open <big.grypt >/dev/full 2>full.err && false
  [ "$(cat full.err)" = "grypt-open: error: cannot write to stdout: No space left on device" ]
}

@test "errors a member can hit: no daemon, unknown group, not a member, --require-fresh, a wrong reference" {
  start_server
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  run as alice grypt-seal friends <<<"hi"
  assert_failure 2
  assert_output "grypt-seal: error: gryptd is not running (no socket at $BATS_TEST_TMPDIR/u/alice/run/grypt/gryptd.sock): start it with gryptd, or give --identity FILE"
  run as alice grypt-open <<<"grypt:EAAAAAAA"
  assert_failure 2
  assert_output --partial "gryptd is not running"
  as alice gryptd join friends "$REF"
  start_daemon alice
  wait_epoch alice friends 2
  run as alice grypt-seal enemies <<<"hi"
  assert_failure 2
  assert_output "grypt-seal: error: no group named enemies (see gryptd status; gryptd join NAME REFERENCE adds one)"
  run as alice grypt-seal 'bad/name' <<<"hi"
  assert_failure 2
  # A producer that has not finished (tail -f, a slow command) does not hold
  # the error back until its end.
  mkfifo slow
  sleep 60 >slow 3>&- &
  writer=$!
  echo "$writer" >>"$BATS_TEST_TMPDIR/pids"
  run as alice timeout 10 grypt-seal enemies <slow
  kill "$writer"
  assert_failure 2
  assert_output --partial "no group named enemies"
  run as alice grypt-seal friends --require-fresh <<<"fresh"
  assert_success
  # bob is no member: his daemon says so, and so do the tools.
  as bob gryptd join friends "$REF"
  start_daemon bob
  run as bob grypt-seal friends <<<"hi"
  assert_failure 1
  assert_output "grypt-seal: error: you are not a member of friends: send your key to its administrator: $(cat bob.pub)"
  # A reference naming this server's address with another server's key.
  FAKE=$(ref_with_server_key "$REF" bob.pub)
  new_member carol
  as carol gryptd join friends "$FAKE"
  start_daemon carol
  run as carol grypt-seal friends <<<"hi"
  assert_failure 1
  assert_output "grypt-seal: error: the server of friends is not the one its reference names (its key is not the reference's): check the reference"
  run as carol gryptd status
  assert_line --partial "friends  wrong-server  epoch 0"
  grep -q "the server's certificate is not over the key its reference names: refusing it" carol.log
}

@test "the daemon's socket: another user's socket is refused; garbage and huge frames do not stop it" {
  start_server
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  as alice gryptd join friends "$REF"
  start_daemon alice
  sock=$BATS_TEST_TMPDIR/u/alice/run/grypt/gryptd.sock
  # Garbage, a frame that claims 4 GiB, a valid frame with a bad body, a
  # half frame and silence: each ends that connection only.
  python3 - "$sock" <<'PY'
import socket, struct, sys
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5); return s
for payload in [b"GET / HTTP/1.0\r\n\r\n" * 100, struct.pack(">I", 0xffffffff) + b"x" * 100,
                struct.pack(">I", 9) + b'{"type":1', struct.pack(">I", 2) + b"{}",
                struct.pack(">I", 100) + b"half"]:
    s = conn(); s.sendall(payload)
    try:
        s.shutdown(socket.SHUT_WR); s.recv(1 << 16)
    except OSError:
        pass
    s.close()
PY
  run as alice gryptd status
  assert_success
  assert_line --partial "friends  connected  epoch 2"
  echo "still serving" | as alice grypt-seal friends | as alice grypt-open 2>/dev/null >out
  [ "$(cat out)" = "still serving" ]
  grep -q "a tool sent a bad frame" alice.log

  # A tool of another user that reaches the socket: the daemon's own check
  # refuses it, and says so in its log.
  d=$(dirname "$sock")
  while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
  chmod 666 "$sock"
  run setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 - "$sock" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
try:
    s.sendall(struct.pack(">I", 17) + b'{"type":"status"}')
    print("answer:", len(s.recv(1 << 16)))
except OSError:
    print("answer: 0")
PY
  assert_success
  assert_output "answer: 0"
  grep -q "refused a tool of another user (uid $(id -u nobody))" alice.log
  chmod 700 "$BATS_TEST_TMPDIR/u/alice/run/grypt"
  chmod 600 "$sock"

  # A socket of another user where the tools look: refused, not used.
  mkdir -m 700 other
  chown nobody other
  setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_UNIX); s.bind("other/gryptd.sock"); s.listen(1); time.sleep(30)' &
  echo $! >>"$BATS_TEST_TMPDIR/pids"
  for _ in $(seq 50); do [ -S other/gryptd.sock ] && break; sleep 0.05; done
  run as alice grypt-seal friends --socket "$PWD/other/gryptd.sock" <<<"hi"
  assert_failure 2
  assert_output --regexp "^grypt-seal: error: .*other/gryptd.sock belongs to another user \(uid [0-9]+\): refusing to use it$"
  # A socket directory others can enter is refused by the daemon.
  mkdir -m 755 open
  run as alice gryptd --foreground --socket "$PWD/open/s"
  assert_failure 2
  assert_output "gryptd: error: the socket directory $PWD/open must be yours and private (chmod 700 $PWD/open)"
}

@test "gryptd: one per socket; detaches once listening; stop waits for it; a new one starts at once" {
  start_server
  start_admin
  make_group friends
  ga add friends "$(cat alice.pub)" --name alice >/dev/null
  as alice gryptd join friends "$REF"
  run as alice gryptd status
  assert_failure 2
  assert_output "gryptd: error: gryptd is not running (no socket at $BATS_TEST_TMPDIR/u/alice/run/grypt/gryptd.sock): start it with gryptd"
  for round in 1 2 3; do
    as alice gryptd 3>&-
    pid=$(as alice gryptd status --json | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
    echo "$pid" >>"$BATS_TEST_TMPDIR/pids"
    kill -0 "$pid"
    run as alice gryptd --foreground
    assert_failure 2
    assert_output "gryptd: error: gryptd is already running (socket $BATS_TEST_TMPDIR/u/alice/run/grypt/gryptd.sock)"
    as alice gryptd stop
    # Ended: gone, or a zombie its parent (init, for a detached daemon) has
    # not reaped yet.
    run ps -o stat= -p "$pid"
    [[ -z "$output" || "$output" == Z* ]] || { echo "gryptd $pid still runs: $output"; false; }
  done
  [ ! -e "$BATS_TEST_TMPDIR/u/alice/run/grypt/gryptd.sock" ]
  # A daemon killed by SIGKILL leaves its socket; the next one replaces it.
  start_daemon alice
  kill -KILL "$DAEMON_PID_alice"
  wait "$DAEMON_PID_alice" 2>/dev/null || true
  [ -S "$BATS_TEST_TMPDIR/u/alice/run/grypt/gryptd.sock" ]
  start_daemon alice
  wait_epoch alice friends 2
}

@test "gryptd: a wrong passphrase is exit 1 and leaves no socket; the daemon is not dumpable" {
  start_server
  mkdir -p u/dave/run && chmod 700 u/dave/run
  printf 'correct horse\n' >pass
  printf 'wrong horse\n' >wrong
  as dave grypt-keygen --passphrase-file pass --kdf-profile owasp >/dev/null
  run as dave gryptd --foreground --passphrase-file wrong
  assert_failure 1
  assert_output --partial "wrong passphrase"
  [ ! -e "$BATS_TEST_TMPDIR/u/dave/run/grypt/gryptd.sock" ]
  # Started with no terminal and no passphrase source (a service, a
  # script): it says so, and no daemon is left.
  run as dave setsid -w gryptd --foreground </dev/null
  assert_failure 2
  assert_output "gryptd: error: no terminal to ask for the passphrase, and nothing on standard input: give --passphrase-fd or --passphrase-file"
  [ ! -e "$BATS_TEST_TMPDIR/u/dave/run/grypt/gryptd.sock" ]
  start_daemon dave --passphrase-file pass
  pid=$DAEMON_PID_dave
  # No core dumps, no ptrace by the same user, no secrets in its arguments.
  [ "$(awk '/^Max core file size/ { print $5 }' "/proc/$pid/limits")" = 0 ]
  ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q horse
}

@test "gryptd members: names, roles, epochs and fingerprints from the chain held, with the server down too" {
  friends_online
  want="admin  admin  since epoch 1  $(fingerprint_of admin.pub)
alice  member  since epoch 2  $(fingerprint_of alice.pub)
bob  member  since epoch 3  $(fingerprint_of bob.pub)"
  run as bob gryptd members friends
  assert_success
  assert_output "$want"
  # What grypt-admin members prints, and JSON with every key.
  [ "$(ga members friends)" = "$want" ]
  run as bob gryptd members friends --json
  assert_success
  assert_output --partial "{\"members\":[{\"name\":\"admin\",\"key\":\"$(cat admin.pub)\",\"fingerprint\":\"$(fingerprint_of admin.pub)\",\"role\":\"admin\",\"since\":1},"
  assert_output --partial "{\"name\":\"bob\",\"key\":\"$(cat bob.pub)\",\"fingerprint\":\"$(fingerprint_of bob.pub)\",\"role\":\"member\",\"since\":3}]}"
  # The daemon answers from its chain: no server needed.
  stop_server
  run as alice gryptd members friends
  assert_success
  assert_output "$want"
  run as alice gryptd members nosuch
  assert_failure 2
  assert_output --regexp "^gryptd: error: .*nosuch"
  run as alice gryptd members
  assert_failure 2
  run as alice gryptd stop --json
  assert_failure 2
  assert_output "gryptd: error: --json goes with status or members"
  stop_daemon alice
  run as alice gryptd members friends
  assert_failure 2
  assert_output --regexp "^gryptd: error: .*: start it with gryptd$"
}

@test "grypt-keygen --force refuses to replace the identity of a member of groups" {
  friends_online
  id=$BATS_TEST_TMPDIR/u/alice/data/grypt/identity
  cp "$id" saved
  run as alice grypt-keygen --force --no-passphrase
  assert_failure 2
  assert_output "grypt-keygen: error: the identity in $id has joined 1 group(s) (friends): a new one would be a stranger to them; make the new identity elsewhere (-o) and give their administrators the statement of grypt-keygen --move-to FILE, or leave the groups first"
  cmp "$id" saved
  # Elsewhere is fine: those groups are the default identity's.
  run --separate-stderr as alice grypt-keygen --no-passphrase -o "$BATS_TEST_TMPDIR/new"
  assert_success
}

@test "gryptd leave: the group forgotten and its cache removed, with the daemon running or not; the other groups go on" {
  friends_online
  echo "before leaving" | as bob grypt-seal friends >post
  pals=$(ga create pals "$SREF" --name admin)
  ga add pals "$(cat alice.pub)" --name alice >/dev/null
  as alice gryptd join pals "$pals"
  wait_epoch alice pals 2
  cache=$BATS_TEST_TMPDIR/u/alice/state/grypt
  [ "$(ls "$cache"/* | wc -l)" = 2 ]
  run as alice gryptd leave friends
  assert_success
  assert_output ""
  run as alice gryptd status
  refute_output --partial "friends"
  ! grep -q "^friends " "$BATS_TEST_TMPDIR/u/alice/config/grypt/groups"
  [ "$(ls "$cache"/* | wc -l)" = 1 ]
  run as alice grypt-seal friends <<<"x"
  assert_failure 2
  # pals goes on: its link reconnected without friends.
  run ga rotate pals
  assert_output "epoch 3"
  wait_epoch alice pals 3
  run as alice gryptd leave friends
  assert_failure 2
  assert_output "gryptd: error: no group named friends (see gryptd status)"
  # With the daemon stopped, the files themselves. A cache that cannot be
  # removed: the group is left all the same, and the error says so.
  stop_daemon alice
  chmod 500 "$cache"/*
  run as alice "${NO_DAC[@]}" gryptd leave pals
  assert_failure 2
  assert_output --regexp "^gryptd: error: left pals, but its cache $cache/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+ could not be removed: Permission denied$"
  ! grep -q "^pals " "$BATS_TEST_TMPDIR/u/alice/config/grypt/groups"
  chmod 700 "$cache"/*
  [ "$(ls "$cache"/* | wc -l)" = 1 ]
  as alice gryptd join pals "$pals"
  run as alice gryptd leave pals
  assert_success
  [ "$(ls "$cache"/* | wc -l)" = 0 ]
  run as alice gryptd leave pals
  assert_failure 2
  assert_output "gryptd: error: no group named pals (see gryptd status)"
  # Joined again, the group comes back whole from its server.
  as alice gryptd join friends "$REF"
  start_daemon alice
  wait_epoch alice friends 3
  run --separate-stderr as alice grypt-open <post
  assert_output "before leaving"
}

# notify_listener NAME: a datagram socket at $BATS_TEST_TMPDIR/NAME (or, for
# @NAME, in the abstract namespace) that writes the first message it gets
# to NAME.got, as a service manager's notify socket receives it.
notify_listener() {
  python3 - "$1" "$BATS_TEST_TMPDIR" <<'PY' &
import os, socket, sys
name, tmp = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else os.path.join(tmp, name))
open(os.path.join(tmp, name.lstrip("@") + ".bound"), "w").close()
s.settimeout(20)
data = s.recv(4096)
open(os.path.join(tmp, name.lstrip("@") + ".got"), "w").write(data.decode())
PY
  NOTIFY_PID=$!
  echo "$NOTIFY_PID" >>"$BATS_TEST_TMPDIR/pids"
  for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/${1#@}.bound" ] && return 0; sleep 0.05; done
  return 1
}

@test "gryptd leave tells the administrators with a signed request when it can, and warns when it cannot" {
  friends_online
  run --separate-stderr as bob gryptd leave friends
  assert_success
  [ -z "$stderr" ]
  grep -q "left friends; its administrators were told; its cache" bob.log
  run ga pending friends
  assert_output --regexp "^1  $(fingerprint_of bob.pub)  [0-9T:Z-]+  1x  leave bob$"
  run ga pending friends --json
  assert_output --partial '"number":1,"kind":"leave","key":"'"$(cat bob.pub)"'","name":"bob"'
  # The server follows friends no more for bob: a new epoch reaches alice only.
  run ga rotate friends
  assert_output "epoch 4"
  wait_epoch alice friends 4
  ! grep -q "friends: epoch 4" bob.log
  run ga remove friends bob
  assert_output "epoch 5"
  run ga pending friends
  assert_output ""
  # The server away: left all the same, and said.
  wait_epoch alice friends 5
  stop_server
  run --separate-stderr as alice gryptd leave friends
  assert_success
  [ "$stderr" = "gryptd: warning: the administrators of friends were not told (the server could not be told now; see the daemon's log): your key stays a member until one removes it" ]
  # No daemon: the files only.
  stop_daemon alice
  as alice gryptd join friends "$REF"
  run --separate-stderr as alice gryptd leave friends
  assert_success
  [ "$stderr" = "gryptd: warning: the administrators of friends were not told (no gryptd runs to tell them): your key stays a member until one removes it" ]
}

@test "gryptd and gryptserver tell a service manager they are ready (sd_notify READY=1), once they answer" {
  notify_listener server-notify
  NOTIFY_SOCKET=$BATS_TEST_TMPDIR/server-notify start_server
  wait "$NOTIFY_PID"
  [ "$(cat server-notify.got)" = "READY=1" ]
  new_member carol
  notify_listener "@grypt-test-$$-$BATS_TEST_NUMBER"
  NOTIFY_SOCKET="@grypt-test-$$-$BATS_TEST_NUMBER" bg_as carol carol.log gryptd --foreground
  wait "$NOTIFY_PID"
  [ "$(cat "grypt-test-$$-$BATS_TEST_NUMBER.got")" = "READY=1" ]
  # Ready means answering: no wait.
  run as carol gryptd status
  assert_success
  kill "$BG_PID"
  wait "$BG_PID" || true
}

@test "--identity works without the daemon, from its cache, and says so" {
  friends_online
  echo "through the daemon" | as alice grypt-seal friends >post1
  id=$BATS_TEST_TMPDIR/u/bob/data/grypt/identity
  stop_daemon bob
  run --separate-stderr as bob grypt-open -i "$id" <post1
  assert_success
  assert_output "through the daemon"
  run --separate-stderr as bob grypt-seal friends -i "$id" <<<"without the daemon"
  assert_success
  [[ "$stderr" =~ ^"grypt-seal: warning: without the daemon, from its cache: sealing under epoch 3, last confirmed " ]]
  echo "$output" >post2
  run as alice grypt-open <post2
  assert_success
  assert_output --partial "without the daemon"
  assert_output --partial "from bob"
  run as bob grypt-seal friends -i "$id" --require-fresh <<<"x"
  assert_failure 2
  assert_output --partial "not sealing (--require-fresh): without the daemon, from its cache"
  run as bob grypt-open --passphrase-file /dev/null <post1
  assert_failure 2
  assert_output "grypt-open: error: --passphrase-fd and --passphrase-file go with --identity"
}

@test "the vault through the daemon: no passphrase asked; the daemon's identity opens it" {
  mkdir -p u/erin/run && chmod 700 u/erin/run
  printf 'erin pass\n' >pass
  as erin grypt-keygen --passphrase-file pass --kdf-profile owasp >/dev/null
  # Without a daemon, and with no terminal, the identity's passphrase is needed.
  run as erin vault-put db </dev/null
  assert_failure 2
  start_daemon erin --passphrase-file pass
  printf 's3cret\n' | as erin vault-put db
  printf 'v2' | as erin vault-put db
  run as erin vault-get db
  assert_success
  assert_output "v2"
  run as erin vault-get db --version 1
  assert_output "s3cret"
  run as erin vault-get --list
  assert_output "db"
  # The same vault opens with the identity file and its passphrase, no daemon.
  run as erin vault-get db -i "$BATS_TEST_TMPDIR/u/erin/data/grypt/identity" --passphrase-file pass
  assert_success
  assert_output "v2"
  # Another user's vault key does not open with erin's daemon: exit 1.
  mkdir -p u/frank/run && chmod 700 u/frank/run
  as frank grypt-keygen --no-passphrase >/dev/null 2>&1
  printf 'franks' | as frank vault-put mine -i "$BATS_TEST_TMPDIR/u/frank/data/grypt/identity"
  run as erin vault-get mine --vault "$BATS_TEST_TMPDIR/u/frank/data/grypt/vault"
  assert_failure 1
}

@test "the sender line in full; a signer removed since is named so, from the daemon's chain even with the server down" {
  friends_online
  echo "from alice" | as alice grypt-seal friends >pa
  echo "from bob" | as bob grypt-seal friends >pb
  run --separate-stderr as bob grypt-open <pa
  assert_success
  [ "$stderr" = "grypt-open: friends epoch 3: from alice [$(fingerprint_of alice.pub)]" ]
  run ga remove friends bob
  assert_output "epoch 4"
  wait_epoch alice friends 4
  run --separate-stderr as alice grypt-open <pb
  assert_success
  [ "$stderr" = "grypt-open: friends epoch 3: from bob [$(fingerprint_of bob.pub)], who is no longer a member" ]
  run --separate-stderr as alice grypt-open --json <pb
  assert_output --partial '"name":"bob","key":"'"$(cat bob.pub)"'","fingerprint":"'"$(fingerprint_of bob.pub)"'","current":false}'
  # The server down and alice's daemon restarted: its chain, from the
  # genesis on, is its cache, and the roster of every epoch follows from it.
  stop_daemon alice
  stop_server
  start_daemon alice
  run --separate-stderr as alice grypt-open <pb
  assert_success
  [ "$stderr" = "grypt-open: friends epoch 3: from bob [$(fingerprint_of bob.pub)], who is no longer a member" ]
  run --separate-stderr as alice grypt-open <pa
  [ "$stderr" = "grypt-open: friends epoch 3: from alice [$(fingerprint_of alice.pub)]" ]
}

@test "an anonymous post of an epoch replaced with other members may come from a removed member, and says so" {
  friends_online
  new_member carol
  ga add friends "$(cat carol.pub)" --name carol >/dev/null
  as carol gryptd join friends "$REF"
  start_daemon carol
  wait_epoch carol friends 4
  echo "who am I" | as carol grypt-seal friends --anonymous >anon4
  ga remove friends carol >/dev/null
  wait_epoch alice friends 5
  run --separate-stderr as alice grypt-open <anon4
  assert_success
  [ "$stderr" = "grypt-open: friends epoch 4: anonymous (epoch 5 has replaced it with other members: it may come from a removed member)" ]
  run --separate-stderr as alice grypt-open --json <anon4
  assert_output '{"message":1,"group":"friends","epoch":4,"signed":false,"sender":null,"superseded_by":5,"text":"who am I\n"}'
  # A rotation with the same members replaces nothing that matters.
  echo "still us" | as bob grypt-seal friends --anonymous >anon5
  ga rotate friends >/dev/null
  wait_epoch alice friends 6
  run --separate-stderr as alice grypt-open <anon5
  [ "$stderr" = "grypt-open: friends epoch 5: anonymous" ]
  # The same from the cache, without the daemon.
  run --separate-stderr as alice grypt-open -i "$BATS_TEST_TMPDIR/u/alice/data/grypt/identity" <anon4
  [ "$stderr" = "grypt-open: friends epoch 4: anonymous (epoch 6 has replaced it with other members: it may come from a removed member)" ]
}

# json_keys JSON PATH... : checks that JSON (one line) parses, and prints
# for each PATH (a.b.0.c, 0 an index) its keys in order, one line each; a
# time-like key ("time", "first", "last", "confirmed", "expires") anywhere
# must be RFC 3339 in UTC or null.
json_keys() {
  python3 - "$@" <<'PY'
import json, re, sys
doc = json.loads(sys.argv[1])
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k in ("time", "first", "last", "confirmed", "expires"):
                assert x is None or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", x), (k, x)
            walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
walk(doc)
for path in sys.argv[2:]:
    v = doc
    for p in filter(None, path.split(".")):
        v = v[int(p)] if isinstance(v, list) else v[p]
    print(",".join(v.keys()) if isinstance(v, dict) else type(v).__name__ + ":" + str(len(v)))
PY
}

@test "JSON: every --json listing has its documented keys, in order, lists present when empty, times RFC 3339 or null" {
  friends_online
  echo "a post" | as alice grypt-seal friends >post
  run json_keys "$(as alice gryptd status --json)" "" groups.0
  assert_line --index 0 "identity,fingerprint,pid,locked,socket,groups"
  assert_line --index 1 "name,state,epoch,confirmed,members,reference,why,head,expires,role"
  run json_keys "$(as alice gryptd members friends --json)" "" members.0
  assert_output "members
name,key,fingerprint,role,since"
  run json_keys "$(ga members friends --json)" members.0
  assert_output "name,key,fingerprint,role,since"
  run json_keys "$(ga pending friends --json)" "" pending
  assert_output "pending
list:0"
  run json_keys "$(ga log friends --json)" log.0 log.1
  assert_output "epoch,time,change,subject,subject_key,role,signer,signer_key
epoch,time,change,subject,subject_key,role,signer,signer_key"
  run json_keys "$(ga rotate friends --json)" ""
  assert_output "epoch"
  run json_keys "$(ga invite friends --json)" ""
  assert_output "reference"
  run json_keys "$(as bob grypt-open --json <post)" "" sender
  assert_output "message,group,epoch,signed,sender,superseded_by,text
name,key,fingerprint,current"
  tamper "$(cat post)" >bad.post
  run json_keys "$(as bob grypt-open --json <bad.post 2>/dev/null)" ""
  assert_output "message,offset,error"
  # A group with no state held: head and role empty, times null.
  new_member carol
  as carol gryptd join friends "$REF"
  start_daemon carol
  run json_keys "$(as carol gryptd status --json)" groups.0
  assert_output "name,state,epoch,confirmed,members,reference,why,head,expires,role"
  as carol gryptd status --json | grep -q '"confirmed":null,"members":0,.*"head":"","expires":null,"role":""'
  # Empty lists are there, as lists.
  run json_keys "$(gryptserver groups --store "$STORE" --json)" "" groups.0 admins
  assert_line --index 0 "ok,groups,admins"
  assert_line --index 2 "list:1"
  run json_keys "$(as carol gryptd members friends --json)" "" members
  assert_output "members
list:0"
  # The vault: a name deleted lists nothing, and keeps its history.
  printf 'x' | as alice vault-put tmp
  as alice vault-put --delete tmp
  run json_keys "$(as alice vault-get --list --json)" ""
  assert_output "list:0"
  run json_keys "$(as alice vault-get --history --json tmp)" "" 0 1
  assert_output "list:2
version,time,size,deleted
version,time,size,deleted"
}

@test "--json to a terminal escapes controls and bidirectional formatting as plain output does" {
  friends_online
  printf 'title\033]0;pwned\007 csi\302\23331m rlo\342\200\256x\n' | as alice grypt-seal friends >post
  # Through a pipe: the text as it is, in JSON.
  as bob grypt-open --json <post 2>/dev/null >piped
  grep -q $'\xc2\x9b' piped
  grep -q $'\xe2\x80\xae' piped
  # To a terminal: escaped, and still the same JSON text.
  user_env bob
  script -qec "env ${USER_ENV[*]} grypt-open --json <post 2>/dev/null" /dev/null >tty.out
  run ! grep -q $'\xc2\x9b' tty.out
  run ! grep -q $'\xe2\x80\xae' tty.out
  run ! grep -q $'\x1b' tty.out
  grep -qF '\u001b]0;pwned\u0007 csi\u009b31m rlo\u202ex' tty.out
  python3 - <<'PY'
import json
piped = json.loads(open("piped").readline())["text"]
shown = json.loads(open("tty.out").read().replace("\r", "").splitlines()[0])["text"]
assert piped == shown, (piped, shown)
PY
}

@test "a reference of the greatest length (8 endpoints of 253-character hosts) is joined and shown" {
  start_daemon alice
  ref=$(python3 - "$(cat alice.pub)" <<'PY'
import base64, hashlib, struct, sys
s = sys.argv[1][len("grypt-pk:"):]
key = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))[:64]
host = (("h" * 62 + ".") * 4 + "invalid")[-253:]
body = bytes([2]) + key + bytes(range(32)) + bytes([8])
for port in range(4433, 4441):
    body += struct.pack(">H", port) + bytes([len(host)]) + host.encode()
name = b"n" * 64
body += bytes([len(name)]) + name
check = hashlib.blake2b(b"grypt reference v2" + body, digest_size=32).digest()[:4]
print("grypt-ref:" + base64.urlsafe_b64encode(body + check).decode().rstrip("="))
PY
)
  [ "${#ref}" -eq 2964 ]
  run as alice gryptd join long "$ref"
  assert_success
  run as alice gryptd status --json
  assert_success
  assert_output --partial "\"reference\":\"$ref\""
}
