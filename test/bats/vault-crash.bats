#!/usr/bin/env bats
# vault-put killed at random instants: the previous value stays readable
# and the vault stays usable (DESIGN §6: atomic writes).

load helper

@test "vault-put killed mid-write, many times: the old value or the new, never torn" {
  grypt-keygen -o host --no-passphrase >/dev/null 2>&1
  head -c 20M /dev/urandom >big
  want_big=$(sha256sum <big)
  echo "value 0" | vault-put -i host --vault v name
  current=$(echo "value 0" | sha256sum)
  killed=0
  for i in $(seq 1 40); do
    vault-put -i host --vault v name <big &
    pid=$!
    sleep "0.0$((RANDOM % 9))"
    kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
    wait "$pid" 2>/dev/null || true
    got=$(vault-get -i host --vault v name | sha256sum) || { echo "round $i: vault-get failed"; false; }
    [ "$got" = "$current" ] || [ "$got" = "$want_big" ] || { echo "round $i: torn value"; false; }
    if [ $((i % 5)) -eq 0 ]; then
      echo "value $i" | vault-put -i host --vault v name
      current=$(echo "value $i" | sha256sum)
    elif [ "$got" = "$want_big" ]; then
      current=$want_big
    fi
    vault-get -i host --vault v --history name >/dev/null
    vault-get -i host --vault v --list >/dev/null
  done
  echo "killed $killed of 40 runs mid-way"
  [ "$killed" -gt 5 ]
  # Writers use unnamed files (O_TMPFILE): a killed one leaves nothing.
  [ "$(find v -name '.*' -type f | wc -l)" -eq 0 ]
}

@test "the first vault-put killed at random instants leaves no half-made vault" {
  grypt-keygen -o host --no-passphrase >/dev/null 2>&1
  head -c 5M /dev/urandom >big
  for i in $(seq 1 15); do
    vault-put -i host --vault "v$i" name <big &
    pid=$!
    sleep "0.00$((RANDOM % 9))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    run vault-get -i host --vault "v$i" name
    if [ "$status" -ne 0 ]; then
      [ "$status" -eq 2 ] || { echo "round $i: $output"; false; }
      [[ "$output" == *"there is no vault"* || "$output" == *"no secret named name"* ]] ||
        { echo "round $i: $output"; false; }
    fi
    echo fresh | vault-put -i host --vault "v$i" other
    [ "$(vault-get -i host --vault "v$i" other)" = fresh ]
  done
}
