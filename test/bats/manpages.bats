#!/usr/bin/env bats
# Each tool's --help and its man page's SYNOPSIS name the same options: an
# option --help lists is in the SYNOPSIS (by its long or its short name),
# and a flag the SYNOPSIS shows is in --help.

load helper

TOOLS_AND_SERVICES="pw-hash grypt-keygen vault-put vault-get grypt-seal grypt-open grypt-admin gryptd gryptserver"

# The options of TOOL's --help, one line each: "-i --identity", "--json".
help_options() {
  "$1" --help | grep -oE -- '^ +(-[A-Za-z], )?--[a-z][a-z0-9-]*|^ +-[A-Za-z]( |$)' |
    sed -E 's/^ +//; s/,//; s/ $//'
}

# The flags of PAGE's SYNOPSIS as they print: "--json", "-i" (mdoc's Fl
# adds a dash to each word it takes: ".Fl -help | -version" is --help and
# --version).
synopsis_flags() {
  sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$1" | grep -oE 'Fl -?[A-Za-z][a-z0-9-]*|\| -[a-z][a-z0-9-]*' |
    sed -E 's/^(Fl|\|) /-/' | LC_ALL=C sort -u
}

page_of() { ls "$REPO"/man/"$1".[18]; }

@test "every option --help lists is in the man page's SYNOPSIS, and every SYNOPSIS flag in --help" {
  local t line form found missing=
  for t in $TOOLS_AND_SERVICES; do
    page=$(page_of "$t")
    flags=$(synopsis_flags "$page")
    while read -r line; do
      found=
      for form in $line; do grep -qx -- "$form" <<<"$flags" && found=1; done
      # gryptserver's SYNOPSIS names the master key sources by the
      # placeholder "master", which its page spells out.
      if [ -z "$found" ] && [ "$t" = gryptserver ] && grep -q '^\.Ar master$' "$page"; then
        case $line in --master-key-file | --new-master-key-file | --passphrase-fd | --passphrase-file) found=1 ;; esac
      fi
      [ -n "$found" ] || missing+=" $t:$line"
    done < <(help_options "$t")
    helped=$(help_options "$t" | tr ' ' '\n')
    for form in $flags; do
      grep -qx -- "$form" <<<"$helped" || missing+=" $t:SYNOPSIS:$form"
    done
  done
  [ -z "$missing" ] || { echo "not in both:$missing"; false; }
}
