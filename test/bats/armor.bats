#!/usr/bin/env bats
# The armor forms for sites that count characters (--armor x, --armor
# dense): their alphabets, every form on one page, the sizes sites count,
# what sites and people do to a post, and every error a reader can hit.

load helper
load server_helper
load member_helper

SITES="$REPO/test/armor/sites.py"

setup() { setup_home; }
teardown() { server_teardown; }

# The byte offset of the first TEXT in FILE.
offset_of() { grep -abo -- "$2" "$1" | head -n 1 | cut -d: -f1; }

@test "the alphabets regenerate byte for byte from Debian's Unicode data" {
  "$REPO/build-aux/armor-alphabets" --inc armor_alphabets.inc
  cmp armor_alphabets.inc "$REPO/src/core/armor_alphabets.inc"
}

@test "armor-alphabets: a missing Unicode database is named, exit 1" {
  run "$REPO/build-aux/armor-alphabets" --ucd "$BATS_TEST_TMPDIR/none" --inc out.inc
  assert_failure 1
  assert_output "armor-alphabets: cannot read $BATS_TEST_TMPDIR/none/DerivedAge.txt: No such file or directory (install the Debian package unicode-data)"
  [ ! -e out.inc ]
}

@test "every character has a glyph in Debian's Noto fonts (fonts-noto-core, fonts-noto-cjk)" {
  mapfile -t fonts < <(dpkg -L fonts-noto-core fonts-noto-cjk | grep -E '/Noto(Sans|Serif)[A-Za-z]*(CJK)?-Regular\.tt[fc]$')
  [ "${#fonts[@]}" -gt 50 ]
  run python3 "$SITES" fonts "$REPO/src/core/armor_alphabets.inc" "${fonts[@]}"
  assert_success
  assert_output "x all shown
dense all shown"
}

@test "grypt.5 lists the alphabets and decomposition marks as the generator makes them" {
  run "$REPO/build-aux/armor-alphabets" --check-man "$REPO/man/grypt.5"
  assert_success
  sed '/^0041-005A/s/0041-005A/0041-005B/' "$REPO/man/grypt.5" >grypt.5
  run "$REPO/build-aux/armor-alphabets" --check-man grypt.5
  assert_failure 1
  assert_output "armor-alphabets: grypt.5 does not show the x alphabet (2063 characters: main values 0 to 2047, then final values 0 to 14) as armor-alphabets --man prints it"
}

@test "the vectors hold, for x and dense, must-open and must-fail cases of every kind" {
  for f in x dense; do
    for c in ok wrapped wrapped_crlf cut_ellipsis cut_before_final cut_in_character foreign_character \
             not_utf8 noncanonical_final; do
      [ -f "$REPO/test/vectors/armor_${f}_$c.vec" ] || { echo "missing armor_${f}_$c"; false; }
    done
  done
  [ -f "$REPO/test/vectors/armor_dense_decomposed.vec" ]
  [ -f "$REPO/test/vectors/armor_x_noncanonical_padding.vec" ]
  # A cut is truncated, never armor or auth.
  [ "$(grep -lx 'expect: truncated' "$REPO"/test/vectors/armor_*_cut_*.vec | wc -l)" -eq 6 ]
}

@test "by Python's own Unicode data too, every character is unchanged by NFC and NFKC, alone and among the others" {
  run python3 "$SITES" check-alphabets "$REPO/src/core/armor_alphabets.inc"
  assert_success
  assert_output "x 2063
dense 33023"
}

@test "grypt-seal --armor: every form, and the errors of the option" {
  friends_online
  for f in line block binary x dense; do
    echo "post $f" | as alice grypt-seal friends --armor $f >$f
    run --separate-stderr as bob grypt-open <$f
    assert_success
    assert_output "post $f"
  done
  [[ $(cat x) == grypt×* && $(cat dense) == grypt≡* && $(cat line) == grypt:* ]]
  [ "$(wc -l <x)" -eq 1 ] && [ "$(wc -l <dense)" -eq 1 ]
  echo "post block" | as alice grypt-seal friends --block | cmp -s - block && false
  echo "post block" | as alice grypt-seal friends --block | head -n 1 | grep -qx -- "-----BEGIN GRYPT MESSAGE-----"
  run as alice grypt-seal friends --armor base32 </dev/null
  assert_failure 2
  assert_output "grypt-seal: error: no armor form named 'base32': give line, block, binary, x or dense"
  run as alice grypt-seal friends --armor x --block </dev/null
  assert_failure 2
  assert_output "grypt-seal: error: give only one of --armor, --block and --binary"
  run as alice grypt-seal friends --block --binary </dev/null
  assert_failure 2
  assert_output "grypt-seal: error: give only one of --armor, --block and --binary"
  run script -qec "grypt-seal friends --armor binary </dev/null" /dev/null
  assert_failure 2
  assert_output "grypt-seal: error: refusing to write binary data to a terminal (redirect stdout, give -o FILE, or choose a text form with --armor)"$'\r'
  run script -qec "grypt-seal friends --binary </dev/null" /dev/null
  assert_failure 2
  assert_output "grypt-seal: error: refusing to write binary data to a terminal (redirect stdout, give -o FILE, or drop --binary)"$'\r'
  # To a file, binary is fine with stdout a terminal.
  user_env alice
  run script -qec "echo 'post binary' | env ${USER_ENV[*]} grypt-seal friends --binary -o bin.grypt" /dev/null
  assert_success
  assert_output ""
  run --separate-stderr as bob grypt-open bin.grypt
  assert_success
  assert_output "post binary"
}

@test "one page with every form: all opened in order, numbered, with their byte offsets" {
  friends_online
  for f in line block x dense; do echo "post $f" | as alice grypt-seal friends --armor $f >$f; done
  echo "anonymous, dense" | as bob grypt-seal friends --anonymous --armor dense >anon
  {
    echo "<html><p>see grypt× on X and grypt≡ elsewhere</p>"
    printf '<p>%s</p>\n' "$(cat x)"
    cat block
    printf '<p>%s</p><p>%s</p>\n' "$(cat dense)" "$(cat line)"
    printf '<p>%s</p></html>\n' "$(cat anon)"
  } >page.html
  run --separate-stderr as bob grypt-open <page.html
  assert_success
  assert_output "post x
post block
post dense
post line
anonymous, dense"
  [ "${#stderr_lines[@]}" -eq 5 ]
  [[ "${stderr_lines[0]}" == "grypt-open: friends epoch 3: from alice ["* ]]
  [ "${stderr_lines[4]}" = "grypt-open: friends epoch 3: anonymous" ]
  # A damaged token among them is named by its number and byte.
  python3 "$SITES" replace 20 '!' <x >x.bad
  sed -i "s|^<p>grypt×.*|<p>$(cat x.bad)</p>|" page.html
  run --separate-stderr as bob grypt-open --json <page.html
  assert_failure 1
  at=$(offset_of page.html 'grypt×[^ ]')
  bad=$((at + $(python3 "$SITES" cut 20 <x | wc -c)))  # the 21st character of the token
  assert_line --index 0 "{\"message\":1,\"offset\":$at,\"error\":\"x armor: U+0021 at byte $bad is not in its alphabet\"}"
  assert_line --index 2 --regexp "^\{\"message\":3,\"group\":\"friends\",\"epoch\":3,\"signed\":true,.*\"text\":\"post dense\\\\n\"\}$"
  [ "$(as bob grypt-open --json <page.html 2>/dev/null | sed -n 3p | grep -o '"message":3')" = '"message":3' ]
}

# A printable post of exactly N bytes.
post_of() { head -c "$1" /dev/zero | tr '\0' 'p'; }

@test "the sizes sites count: x and dense posts fit where base64 does not" {
  friends_online
  post_of 100 >p100
  post_of 280 >p280
  as alice grypt-seal friends --armor x <p100 >x100
  as alice grypt-seal friends --armor dense <p100 >d100
  as alice grypt-seal friends --armor line <p100 >l100
  as alice grypt-seal friends --anonymous --armor dense <p280 >d280
  for f in x100 d100 l100 d280; do python3 "$SITES" count $f >$f.count; done
  # X: a 100-byte signed post in at most 170 of its 280, with words around it.
  x=$(sed -n 's/^x-weighted //p' x100.count)
  [ "$x" -le 170 ] || { echo "x: $x weighted characters"; false; }
  # Mastodon, Bluesky: at most 125 code points and graphemes.
  for what in code-points graphemes; do
    n=$(sed -n "s/^$what //p" d100.count)
    [ "$n" -le 125 ] || { echo "dense: $n $what"; false; }
  done
  # Bluesky: a 280-byte anonymous post within its 300 graphemes.
  n=$(sed -n 's/^graphemes //p' d280.count)
  [ "$n" -le 300 ] || { echo "dense 280: $n graphemes"; false; }
  # One line of base64 is more than X takes.
  l=$(sed -n 's/^x-weighted //p' l100.count)
  [ "$l" -gt 280 ]
  for f in x100 d100 d280; do as bob grypt-open <$f >/dev/null 2>&1; done
}

@test "what sites and people do: normalization, wrapped lines, a pipe, a terminal" {
  friends_online
  post_of 200 >post
  printf 'caf\xc3\xa9 \xea\xb0\x81 \xf0\x9f\x91\x8d\n' >>post  # text that NFD would change
  for f in x dense; do as alice grypt-seal friends --armor $f <post >$f; done
  for f in x dense; do
    for how in nfc nfkc; do
      python3 "$SITES" $how <$f >$f.$how
      cmp $f $f.$how  # not a byte changed
      as bob grypt-open <$f.$how 2>/dev/null | cmp - post
    done
    for n in 1 7 50 280; do
      python3 "$SITES" wrap $n <$f >$f.wrapped
      [ "$n" -eq 280 ] || [ "$(wc -l <$f.wrapped)" -gt 1 ]
      as bob grypt-open <$f.wrapped 2>/dev/null | cmp - post
      python3 "$SITES" wrap $n crlf <$f >$f.crlf
      as bob grypt-open <$f.crlf 2>/dev/null | cmp - post
    done
    # Through a pipe, as xclip and its kind hand it on: plain UTF-8.
    cat $f | cat | as bob grypt-open 2>/dev/null | cmp - post
    # Printed on a terminal and read back from it (CR LF line ends).
    script -qec "cat $f" /dev/null >$f.tty
    grep -q $'\r' $f.tty
    as bob grypt-open <$f.tty 2>/dev/null | cmp - post
  done
}

@test "grypt-open: a cut, damaged, decomposed or non-canonical token is named; exit 1, nothing written" {
  friends_online
  echo "the plan" | as alice grypt-seal friends --armor x >x
  echo "the plan" | as alice grypt-seal friends --armor dense >dense
  echo "anonymous" | as alice grypt-seal friends --anonymous --armor dense >anon
  # Cut by a site, with or without its ellipsis and link, is cut, not tampered.
  for f in x dense anon; do
    len=$(python3 "$SITES" cut -6 <$f | wc -c)  # without its last 5 characters and newline
    for after in "" "…" "… Show more" $'\n\nnext post'; do
      { python3 "$SITES" cut -6 <$f; printf '%s\n' "$after"; } >cut
      run --separate-stderr as bob grypt-open <cut
      assert_failure 1
      assert_output ""
      [ "$stderr" = "grypt-open: error: message 1 (byte 0): ${f/anon/dense} armor: cut short at byte $len, before its final character (was the post shortened?)" ]
    done
  done
  # A character changed into one outside the alphabet.
  python3 "$SITES" replace 30 'A' <dense >bad
  at=$(python3 "$SITES" cut 30 <dense | wc -c)
  run --separate-stderr as bob grypt-open <bad
  assert_failure 1
  assert_output ""
  [ "$stderr" = "grypt-open: error: message 1 (byte 0): dense armor: U+0041 at byte $at is not in its alphabet" ]
  # Bytes that are no UTF-8.
  python3 "$SITES" replace 30 $'\xff' <x >bad
  at=$(python3 "$SITES" cut 30 <x | wc -c)
  run --separate-stderr as bob grypt-open <bad
  assert_failure 1
  [ "$stderr" = "grypt-open: error: message 1 (byte 0): x armor: byte $at is not UTF-8 (0xff)" ]
  # Decomposed (NFD): a Hangul syllable becomes its jamo.
  python3 "$SITES" nfd <dense >nfd
  ! cmp -s dense nfd
  run --separate-stderr as bob grypt-open <nfd
  assert_failure 1
  # The first character the reader does not know is the first jamo (or
  # kana voicing mark) that NFD put in.
  read -r cp at < <(python3 -c '
import sys
t = open(sys.argv[1], encoding="utf-8").read()
i = next(i for i, c in enumerate(t) if 0x1100 <= ord(c) <= 0x11ff or ord(c) in (0x3099, 0x309a))
print(f"{ord(t[i]):04X}", len(t[:i].encode()))' nfd)
  [ "$stderr" = "grypt-open: error: message 1 (byte 0): dense armor: decomposed by Unicode normalization (NFD or NFKD): U+$cp at byte $at; ask for a copy that was not normalized" ]
  # A final character that does not end as a writer ends.
  python3 "$SITES" final x 14 <x >bad
  run --separate-stderr as bob grypt-open <bad
  assert_failure 1
  [ "$stderr" = "grypt-open: error: message 1 (byte 0): x armor: not canonical: bits past its last byte" ]
  # Nothing else on the page is lost: the good one after the bad ones opens.
  cat cut bad x >page
  run --separate-stderr as bob grypt-open <page
  assert_failure 1
  assert_output "the plan"
  [ "${#stderr_lines[@]}" -eq 3 ]
}

# chromium_dump PAGE: the DOM of PAGE after its scripts ran, from Debian's
# headless Chromium with a fresh profile; skips the test, saying why, only
# if Chromium cannot run at all here.
chromium_dump() {
  local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --user-data-dir="$BATS_TEST_TMPDIR/chromium-profile")
  command -v chromium >/dev/null || skip "chromium is not installed (build-aux/deps test installs it)"
  if ! timeout 60 chromium "${flags[@]}" --dump-dom "file://$1" >dom.html 2>chromium.err; then
    timeout 60 chromium "${flags[@]}" --dump-dom about:blank >/dev/null 2>&1 ||
      skip "chromium cannot run here: $(grep -v dbus chromium.err | tail -n 1)"
    cat chromium.err
    return 1
  fi
}

@test "in a real browser: innerText of a page's paragraphs opens; Intl.Segmenter counts the graphemes" {
  friends_online
  post_of 100 >post
  as alice grypt-seal friends --armor x <post >x
  as alice grypt-seal friends --armor dense <post >dense
  # The site shows each token in a paragraph: narrow (the browser wraps it),
  # or with <br> every 40 characters (the site wraps it).
  python3 - x dense >page.html <<'PY'
import sys
x, d = (open(f, encoding="utf-8").read().rstrip("\n") for f in sys.argv[1:3])
br = "<br>".join(d[i:i + 40] for i in range(0, len(d), 40))
print(f"""<!doctype html><meta charset=utf-8><body>
<p id=x style="width:12em">{x}</p><p id=d style="width:8em">{d}</p><p id=br>{br}</p><pre id=out></pre>
<script>
const seg = new Intl.Segmenter(undefined, {{granularity: "grapheme"}});
const r = {{}};
for (const id of ["x", "d", "br"]) {{
  const t = document.getElementById(id).innerText;
  r[id] = {{text: t, graphemes: [...seg.segment(t)].length, points: [...t].length,
           nfc: t.normalize("NFC") === t, nfkc: t.normalize("NFKC") === t}};
}}
document.getElementById("out").textContent = JSON.stringify(r);
</script>""")
PY
  chromium_dump "$BATS_TEST_TMPDIR/page.html"
  python3 - dom.html <<'PY'
import html, json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
r = json.loads(html.unescape(re.search(r'<pre id="out">(.*?)</pre>', dom, re.S).group(1)))
for id, v in r.items():
    open(f"inner.{id}", "w", encoding="utf-8").write(v["text"] + "\n")
    print(id, v["graphemes"], v["points"], v["nfc"], v["nfkc"])
PY
  for id in x d br; do
    as bob grypt-open <inner.$id 2>/dev/null | cmp - post
  done
  grep -q $'\n' <(head -c -1 inner.br)  # the site's <br> came back as line breaks
  # Chromium's counts: one grapheme per code point; the limits of the issue.
  python3 - dom.html <<'PY'
import html, json, re, sys
r = json.loads(html.unescape(re.search(r'<pre id="out">(.*?)</pre>', open(sys.argv[1], encoding="utf-8").read(), re.S).group(1)))
assert all(v["nfc"] and v["nfkc"] for v in r.values()), r
assert r["x"]["graphemes"] == r["x"]["points"] <= 170, r["x"]
assert r["d"]["graphemes"] == r["d"]["points"] <= 125, r["d"]
PY
}
