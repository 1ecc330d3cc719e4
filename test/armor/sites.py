#!/usr/bin/env python3
"""sites.py: what sites and people do to a post, for the armor tests.

  sites.py count FILE          a line per text form of what sites count:
                               "x-weighted N", "code-points N", "graphemes N"
  sites.py nfc|nfkc|nfd|nfkd   Unicode normalization of stdin (Python's
                               unicodedata) to stdout
  sites.py wrap N [crlf]       a line break after every N characters of each
                               line of stdin, as a site that wraps long lines
  sites.py cut N               the first N characters (code points) of stdin;
                               all but the last -N if N is negative
  sites.py replace I TEXT      stdin with its I-th character (from 0) replaced
  sites.py final FORM V        stdin (one token and a newline) with its last
                               character replaced by the final character of
                               value V of FORM (x or dense)
  sites.py fonts INC FONT...    every character of both alphabets has a glyph in
                               one of the font files (fontconfig's fc-query);
                               prints the count, or the first ones that lack one
  sites.py check-alphabets INC the characters of src/core/armor_alphabets.inc
                               against Python's own Unicode data: each one
                               unchanged by NFC and NFKC alone and next to
                               the others, no mark, space, control, format
                               or right-to-left character; prints the count

X's count is twitter-text's weightedLength (configuration v3): the text
in NFC, each code point weighing 1 if it is in U+0000-U+10FF, U+2000-U+200D,
U+2010-U+201F or U+2032-U+2037, else 2 (an emoji counts 2 whatever its
length). Graphemes are extended grapheme clusters (UAX #29), segmented here
from Debian's Unicode data (unicode-data), the way Bluesky counts its 300.
"""
import os
import re
import subprocess
import sys
import unicodedata

UCD = "/usr/share/unicode"
INC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../src/core/armor_alphabets.inc")
X_LIGHT = [(0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037)]


def ucd_property(path, wanted=None):
    out = {}
    with open(os.path.join(UCD, path), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            cps, value = [x.strip() for x in line.split(";")[:2]]
            if wanted and value not in wanted:
                continue
            a, _, b = cps.partition("..")
            for c in range(int(a, 16), int(b or a, 16) + 1):
                out[c] = value
    return out


class Graphemes:
    """Extended grapheme clusters, UAX #29 (the rules of Unicode 15.0)."""

    def __init__(self):
        self.gcb = ucd_property("auxiliary/GraphemeBreakProperty.txt")
        self.pict = ucd_property("emoji/emoji-data.txt", {"Extended_Pictographic"})

    def count(self, text):
        n, prev, ri_run, seq = 0, None, 0, None
        for ch in text:
            c = ord(ch)
            cur = self.gcb.get(c, "Other")
            if prev is None or self.breaks(prev, cur, ri_run, seq == "zwj", c in self.pict):
                n += 1
            # ExtPict Extend* ZWJ, for GB11; a run of regional indicators, for GB12 and GB13
            if c in self.pict:
                seq = "pict"
            elif seq == "pict" and cur == "Extend":
                seq = "pict"
            elif seq == "pict" and cur == "ZWJ":
                seq = "zwj"
            else:
                seq = None
            ri_run = ri_run + 1 if cur == "Regional_Indicator" else 0
            prev = cur
        return n

    @staticmethod
    def breaks(a, b, ri_run, after_emoji_zwj, b_pict):
        if a == "CR" and b == "LF":
            return False  # GB3
        if a in ("Control", "CR", "LF") or b in ("Control", "CR", "LF"):
            return True  # GB4, GB5
        if a == "L" and b in ("L", "V", "LV", "LVT"):
            return False  # GB6
        if a in ("LV", "V") and b in ("V", "T"):
            return False  # GB7
        if a in ("LVT", "T") and b == "T":
            return False  # GB8
        if b in ("Extend", "ZWJ", "SpacingMark"):
            return False  # GB9, GB9a
        if a == "Prepend":
            return False  # GB9b
        if after_emoji_zwj and b_pict:
            return False  # GB11
        if a == b == "Regional_Indicator" and ri_run % 2 == 1:
            return False  # GB12, GB13
        return True  # GB999


def x_weighted(text, pict):
    text = unicodedata.normalize("NFC", text)
    total = 0
    for ch in text:
        c = ord(ch)
        light = any(a <= c <= b for a, b in X_LIGHT) and c not in pict
        total += 1 if light else 2
    return total


def alphabet(inc, name):
    text = open(inc, encoding="utf-8").read()
    body = text[text.index(f"{name}_alphabet_ranges[] = {{"):]
    body = body[:body.index("};")]
    return [c for a, b in re.findall(r"\{0x([0-9A-F]+), 0x([0-9A-F]+)\}", body)
            for c in range(int(a, 16), int(b, 16) + 1)]


def check_alphabets(inc):
    for name, size in (("x", 2063), ("dense", 33023)):
        chars = alphabet(inc, name)
        assert len(chars) == size, f"{name}: {len(chars)} characters, not {size}"
        for c in chars:
            ch = chr(c)
            cat = unicodedata.category(ch)
            assert cat[0] in "LNSP", f"{name}: U+{c:04X} is {cat}"
            assert unicodedata.bidirectional(ch) == "L", f"{name}: U+{c:04X} is not left-to-right"
            assert unicodedata.combining(ch) == 0, f"{name}: U+{c:04X} combines"
            assert not ch.isspace(), f"{name}: U+{c:04X} is a space"
            for form in ("NFC", "NFKC"):
                assert unicodedata.normalize(form, ch) == ch, f"{name}: {form} changes U+{c:04X}"
        # Next to each other: every character after every other, in a few
        # long strings (each pair of neighbours is a pair of the alphabet).
        step = 1 if size < 3000 else 7
        for form in ("NFC", "NFKC"):
            for k in range(0, 64, step if size < 3000 else 1):
                s = "".join(chr(chars[(i * (k + 1) + k) % size]) for i in range(size))
                assert unicodedata.normalize(form, s) == s, f"{name}: {form} changes a sequence"
        print(f"{name} {len(chars)}")


# Bytes in and out, UTF-8 whatever the locale; bytes that are not UTF-8 pass.
def read_in():
    return sys.stdin.buffer.read().decode("utf-8", "surrogateescape")


def write_out(text):
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    cmd = args[0]
    if cmd == "count":
        with open(args[1], encoding="utf-8", newline="") as f:
            text = f.read().rstrip("\n")
        pict = ucd_property("emoji/emoji-data.txt", {"Extended_Pictographic"})
        print("x-weighted", x_weighted(text, pict))
        print("code-points", len(text))
        print("graphemes", Graphemes().count(text))
    elif cmd in ("nfc", "nfkc", "nfd", "nfkd"):
        write_out(unicodedata.normalize(cmd.upper(), read_in()))
    elif cmd == "wrap":
        n = int(args[1])
        nl = "\r\n" if len(args) > 2 and args[2] == "crlf" else "\n"
        for line in read_in().split("\n"):
            write_out(nl.join(line[i:i + n] for i in range(0, len(line), n)) if line else "")
            write_out("\n")
    elif cmd == "cut":
        write_out(read_in()[:int(args[1])])
    elif cmd == "replace":
        text, i = read_in(), int(args[1])
        write_out(text[:i] + args[2] + text[i + 1:])
    elif cmd == "final":
        chars = alphabet(INC, args[1])
        token = read_in().rstrip("\n")
        main = 2048 if args[1] == "x" else 32768
        write_out(token[:-1] + chr(chars[main + int(args[2])]) + "\n")
    elif cmd == "fonts":
        covered = set()
        for font in args[2:]:
            out = subprocess.run(["fc-query", "--index=0", "--format=%{charset}\n", font],
                                 capture_output=True, text=True, check=True).stdout
            for part in out.split():
                a, _, b = part.partition("-")
                covered.update(range(int(a, 16), int(b or a, 16) + 1))
        for name in ("x", "dense"):
            lacking = [c for c in alphabet(args[1], name) if c not in covered]
            if lacking:
                sys.exit(f"{name}: no glyph for " + " ".join(f"U+{c:04X}" for c in lacking[:20]))
            print(name, "all shown")
    elif cmd == "check-alphabets":
        check_alphabets(args[1])
    else:
        sys.exit(f"sites.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
