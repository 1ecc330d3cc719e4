# bash completion for the grypt tools. make install copies this file under
# each tool's name to $(PREFIX)/share/bash-completion/completions/, where
# bash-completion loads it when a tool is first completed; without
# bash-completion, source it from ~/.bashrc. It needs nothing of
# bash-completion's own.
#
# Options and the kind of value each takes come from the tool's own --help
# (the one on PATH), so they are always those of the installed version; the
# verbs and the words an option takes are listed here.

# _grypt_help TOOL: one line per option in TOOL's --help: "-o FILE",
# "--force", "--output FILE" (cxxopts: "  -o, --output FILE   text").
_grypt_help() {
  "$1" --help 2>/dev/null | awk '
    /^ +-/ {
      for (i = 1; i <= NF; i++) {
        t = $i
        if (t !~ /^-/) break
        sub(/,$/, "", t)
        arg = (i < NF && $(i + 1) ~ /^[A-Z][A-Z0-9:]*$/) ? " " $(i + 1) : ""
        opts[++n] = t
      }
      for (j = 1; j <= n; j++) print opts[j] arg
      n = 0
    }'
}

_grypt_groups() {
  local file=${XDG_CONFIG_HOME:-$HOME/.config}/grypt/groups
  [[ -r $file ]] && awk '$1 !~ /^#/ && NF { print $1 }' "$file"
}

_grypt() {
  local cmd=${1##*/} cur=${COMP_WORDS[COMP_CWORD]} prev=
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local help opt meta words=
  help=$(_grypt_help "$1")
  COMPREPLY=()

  # The value of the option before the cursor.
  if [[ $prev == -* ]]; then
    while read -r opt meta; do
      [[ $opt == "$prev" && -n $meta ]] || continue
      case $cmd:$prev:$meta in
      pw-hash:--profile:*) words="rfc9106 rfc9106-low owasp" ;;
      grypt-keygen:--kdf-profile:*) words="rfc9106-low rfc9106 owasp" ;;
      *:*:FILE | *:*:F)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return 0
        ;;
      *:*:DIR)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return 0
        ;;
      *) return 0 ;; # a number, a name, a hash: nothing to offer
      esac
      mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
      return 0
    done <<<"$help"
  fi

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(cut -d ' ' -f 1 <<<"$help" | sort -u)" -- "$cur")
    return 0
  fi

  # The words before the cursor that are neither options nor their values.
  local i args=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
    -*) ;;
    *)
      # Skip the value of the option before it.
      if ((i > 1)) && [[ ${COMP_WORDS[i - 1]} == -* ]] &&
        grep -q -- "^${COMP_WORDS[i - 1]} " <<<"$help"; then
        continue
      fi
      args+=("${COMP_WORDS[i]}")
      ;;
    esac
  done

  case $cmd:${#args[@]}:${args[0]:-} in
  gryptd:0:) words="status stop join" ;;
  gryptserver:0:) words="init serve groups admins reference" ;;
  gryptserver:1:admins) words="add remove" ;;
  grypt-admin:0:) words="create invite add remove rotate promote demote grant members pending log" ;;
  grypt-admin:1:create) ;; # a new group's name
  grypt-admin:1:*) words=$(_grypt_groups) ;;
  grypt-seal:0:) words=$(_grypt_groups) ;;
  grypt-seal:1:* | grypt-open:*) # FILE operands
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
    ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  return 0
}

complete -F _grypt pw-hash grypt-keygen vault-put vault-get grypt-seal grypt-open grypt-admin gryptd gryptserver
