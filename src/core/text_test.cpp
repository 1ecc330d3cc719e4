#include "core/text.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace grypt {
namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(Utf8, AcceptsWellFormedText) {
  for (std::string_view ok : {"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\x91",
                              "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80"})
    EXPECT_TRUE(valid_utf8(ok)) << printable(ok);
}

TEST(Utf8, RejectsOverlongSurrogatesAndBeyondUnicode) {
  for (std::string_view bad : {
           "\xc0\x80",          // overlong NUL
           "\xc1\xbf",          // overlong
           "\xe0\x80\xaf",      // overlong '/'
           "\xe0\x9f\xbf",      // overlong, just under the 3-byte range
           "\xf0\x8f\xbf\xbf",  // overlong, just under the 4-byte range
           "\xed\xa0\x80",      // U+D800, a surrogate
           "\xed\xbf\xbf",      // U+DFFF
           "\xf4\x90\x80\x80",  // U+110000
           "\xf5\x80\x80\x80",  // lead byte above F4
           "\xf8\x88\x80\x80\x80",  // a 5-byte form
           "\xff", "\x80", "\xc3", "\xe2\x82", "a\xc3(",
       })
    EXPECT_FALSE(valid_utf8(bad)) << printable(bad);
}

TEST(Names, RefuseControlAndBidiCharacters) {
  EXPECT_EQ(name_defect("db/prod/caf\xc3\xa9"), "");
  EXPECT_EQ(name_defect("a\x1b[31mb"), "it contains a control character");
  EXPECT_EQ(name_defect("a\x7f"), "it contains a control character");
  EXPECT_EQ(name_defect("a\xc2\x9b" "31m"), "it contains a control character");  // C1 CSI
  EXPECT_EQ(name_defect("a\xc2\x85"), "it contains a control character");        // NEL
  EXPECT_EQ(name_defect("\xc2\xa0"), "");                                         // U+00A0
  EXPECT_EQ(name_defect("evil\xe2\x80\xaetxt.exe"),
            "it contains a bidirectional formatting character");  // U+202E
  EXPECT_EQ(name_defect("\xe2\x81\xa6x"), "it contains a bidirectional formatting character");
  EXPECT_EQ(name_defect("\xff"), "it is not valid UTF-8");
  EXPECT_EQ(name_defect("\xed\xa0\x80"), "it is not valid UTF-8");
}

TEST(Printable, KeepsAMessageOnOneLineAndAwayFromTheTerminal) {
  EXPECT_EQ(printable("plain caf\xc3\xa9"), "plain caf\xc3\xa9");
  EXPECT_EQ(printable("a\nb"), "a\\x0ab");
  EXPECT_EQ(printable("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
  EXPECT_EQ(printable("x\xc2\x9by"), "x\\xc2\\x9by");
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xe2\x80\xae"), "\\xe2\\x80\\xae");
  EXPECT_EQ(printable("\r"), "\\x0d");
}

TEST(TerminalText, AcceptsTextInAnyPieces) {
  std::string text = "line one\n\tcaf\xc3\xa9 \xf0\x9f\x94\x91 \xe2\x82\xac\r\n";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    TerminalText t;
    EXPECT_TRUE(t.feed(bytes(std::string_view(text).substr(0, cut))));
    EXPECT_TRUE(t.feed(bytes(std::string_view(text).substr(cut))));
    EXPECT_TRUE(t.complete()) << cut;
  }
}

TEST(TerminalText, RefusesControlsAndBrokenSequencesAcrossPieces) {
  for (std::string_view bad : {"\x1b[2J", "a\x07", "\x7f", "\xc2\x9b" "2J", "\xc2\x90", "\xff",
                               "\xc0\x80", "\xed\xa0\x80", "\x00"}) {
    std::string s(bad.data(), bad == std::string_view("\x00") ? 1 : bad.size());
    for (std::size_t cut = 0; cut <= s.size(); ++cut) {
      TerminalText t;
      bool ok = t.feed(bytes(std::string_view(s).substr(0, cut))) &&
                t.feed(bytes(std::string_view(s).substr(cut)));
      EXPECT_FALSE(ok) << printable(s) << " cut at " << cut;
    }
  }
  TerminalText t;
  EXPECT_TRUE(t.feed(bytes("ok \xe2\x82")));
  EXPECT_FALSE(t.complete());
  EXPECT_EQ(t.partial(), 2u);
  EXPECT_TRUE(t.feed(bytes("\xac")));
  EXPECT_TRUE(t.complete());
  EXPECT_EQ(t.partial(), 0u);
}

TEST(EntryLines, TrimsSkipsAndNumbers) {
  std::vector<std::pair<std::string, int>> seen;
  for_each_entry_line("# head\n\n  one two \r\n\t#not a comment? no: a comment\nlast",
                      [&](std::string_view line, int n) { seen.emplace_back(line, n); });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::pair<std::string, int>{"one two", 3}));
  EXPECT_EQ(seen[1], (std::pair<std::string, int>{"last", 5}));
  EXPECT_EQ(trim_blanks(" \t\r x y \r"), "x y");
}

TEST(Text, JsonForATerminalEscapesWhatPrintableEscapes) {
  EXPECT_EQ(json_for_terminal("{\"t\":\"plain \\u001b ok\"}"), "{\"t\":\"plain \\u001b ok\"}");
  EXPECT_EQ(json_for_terminal("\"a\xc2\x9b" "b\xe2\x80\xae" "c\x7f\""), "\"a\\u009bb\\u202ec\\u007f\"");
  EXPECT_EQ(json_for_terminal("\"\xe2\x81\xa6\xf0\x9f\x98\x80\""), "\"\\u2066\xf0\x9f\x98\x80\"");
  EXPECT_EQ(json_for_terminal("\xff"), "\\ufffd");
}

}  // namespace
}  // namespace grypt
