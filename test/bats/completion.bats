#!/usr/bin/env bats
# share/bash-completion/completions/grypt: bash completion of every installed command, its
# options as its --help lists them, the verbs, and the values options take.

load helper

setup() {
  setup_home
  # shellcheck source=/dev/null
  source "$REPO/share/bash-completion/completions/grypt"
}

# complete WORD...: what TAB offers after the words (the last one is being
# typed), one per line, sorted.
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _grypt "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort -u | grep .
}

# The long options a --help lists at the start of its lines.
help_options() {
  "$1" --help | grep -E '^ +-' | grep -oE -- '--[a-z][a-z0-9-]*' | LC_ALL=C sort -u
}

@test "every command make install installs has a completion" {
  local t
  for t in $(make -s --no-print-directory -C "$REPO" print-TOOLS) gryptd gryptserver; do
    run complete -p "$t"
    assert_success
    assert_output "complete -F _grypt $t"
  done
}

@test "options: exactly the long options of each command's --help" {
  local t
  for t in $(make -s --no-print-directory -C "$REPO" print-TOOLS) gryptd gryptserver; do
    run diff <(help_options "$t") <(complete_words "$t" --)
    assert_success
  done
}

@test "verbs of gryptd, gryptserver and grypt-admin, as their --help names them" {
  # gryptd --help: "Usage:", then "  gryptd [...] | status [--json] | members GROUP ...".
  local verbs
  verbs=$(gryptd --help | sed -n 's/^  gryptd //p' | tr '|' '\n' | sed -n 's/^ *\([a-z][a-z]*\)\( .*\)\{0,1\}$/\1/p' | LC_ALL=C sort)
  [ "$(echo "$verbs" | wc -l)" -ge 5 ]
  run complete_words gryptd ""
  assert_output "$verbs"
  # gryptserver --help: "gryptserver init ...", "gryptserver serve ...", ...
  verbs=$(gryptserver --help | sed -n 's/^ *gryptserver \([a-z|]*\) .*/\1/p' | tr '|' '\n' | LC_ALL=C sort)
  [ "$(echo "$verbs" | wc -l)" -ge 5 ]
  run complete_words gryptserver ""
  assert_output "$verbs"
  run complete_words gryptserver --store /var/lib/gryptserver r
  assert_output "reference"
  # "gryptserver admins [add KEY | remove KEY]"
  run complete_words gryptserver admins ""
  assert_output "add
remove"
  run complete_words gryptserver admins add ""
  assert_output ""
  # grypt-admin --help: "Verbs:", then one "  VERB GROUP ..." line each.
  verbs=$(grypt-admin --help | sed -n '/^Verbs:/,/^[^ ]/s/^  \([a-z]*\) GROUP.*/\1/p' | LC_ALL=C sort)
  [ "$(echo "$verbs" | wc -l)" -ge 11 ]
  run complete_words grypt-admin ""
  assert_output "$verbs"
  run complete_words grypt-admin --json p
  assert_output "pending
promote"
  # After the verb, no more verbs.
  run complete_words gryptd join ""
  assert_output ""
}

@test "option values: profiles, files, directories, nothing for a number" {
  run complete_words pw-hash --profile ""
  assert_output "owasp
rfc9106
rfc9106-low"
  run complete_words grypt-keygen --kdf-profile rfc
  assert_output "rfc9106
rfc9106-low"
  mkdir -p dir/sub
  touch dir/id
  run complete_words vault-get -i dir/
  assert_output "dir/id
dir/sub"
  run complete_words vault-put --vault dir/
  assert_output "dir/sub"
  run complete_words grypt-keygen --move-to dir/
  assert_output "dir/id
dir/sub"
  run complete_words gryptd --passphrase-fd ""
  assert_output ""
  run complete_words vault-put --generate ""
  assert_output ""
}

@test "grypt-seal's, grypt-admin's and gryptd's verbs complete the groups of the groups file" {
  mkdir -p "$XDG_CONFIG_HOME/grypt"
  printf 'friends grypt-ref:x\nfamily grypt-ref:y\n' >"$XDG_CONFIG_HOME/grypt/groups"
  run complete_words grypt-seal f
  assert_output "family
friends"
  run complete_words grypt-seal --anonymous fr
  assert_output "friends"
  run complete_words grypt-admin add fa
  assert_output "family"
  run complete_words grypt-admin --json members ""
  assert_output "family
friends"
  run complete_words grypt-admin remove friends ""
  assert_output ""
  run complete_words gryptd leave fr
  assert_output "friends"
  run complete_words gryptd members ""
  assert_output "family
friends"
  # create names a new group: none of those.
  run complete_words grypt-admin create ""
  assert_output ""
}

@test "the FILE operands of grypt-seal and grypt-open, and their -o FILE, complete file names" {
  mkdir -p "$XDG_CONFIG_HOME/grypt" posts/old
  printf 'friends grypt-ref:x\n' >"$XDG_CONFIG_HOME/grypt/groups"
  touch posts/a.txt posts/b.html
  run complete_words grypt-seal friends posts/
  assert_output "posts/a.txt
posts/b.html
posts/old"
  run complete_words grypt-seal --anonymous friends posts/a
  assert_output "posts/a.txt"
  run complete_words grypt-seal friends posts/a.txt ""
  assert_output ""
  run complete_words grypt-open posts/
  assert_output "posts/a.txt
posts/b.html
posts/old"
  run complete_words grypt-open --json -i posts/a.txt posts/a.txt posts/b
  assert_output "posts/b.html"
  run complete_words grypt-open -o posts/a
  assert_output "posts/a.txt"
  run complete_words grypt-seal --output posts/o
  assert_output "posts/old"
  # The value of -o is not an operand: friends is still the GROUP.
  run complete_words grypt-seal -o out.grypt friends posts/b
  assert_output "posts/b.html"
}
