#include "core/armor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "core/armor_alphabet.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/text.h"

namespace grypt {
namespace {

// Hands out its bytes a few at a time: buffer edges fall everywhere.
class Trickle : public Input {
 public:
  Trickle(std::string_view s, std::uint32_t seed) : s_(s), seed_(seed) {}
  std::size_t read(std::span<std::uint8_t> buf) override {
    seed_ = seed_ * 1103515245 + 12345;
    std::size_t n = std::min({buf.size(), s_.size(), std::size_t{1 + (seed_ >> 16) % 9}});
    std::memcpy(buf.data(), s_.data(), n);
    s_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view s_;
  std::uint32_t seed_;
};

struct Found {
  std::uint64_t offset = 0, end = 0;
  bool ok = true;
  std::vector<std::uint8_t> message;
  std::string error;
  ArmorForm form = ArmorForm::line;
  Fault fault = Fault::armor;
  bool operator==(const Found&) const = default;
};

// Every token the reader finds in `text`, read whole (seed 0) or a few
// bytes at a time.
// Reads with `chunk` bytes at a time: the readers' fast paths (groups of
// x and dense characters) run only when a read has room for a group.
std::vector<Found> read_all(std::string_view text, std::uint32_t seed = 0, std::size_t chunk = 7) {
  MemoryInput whole(as_bytes(text));
  Trickle trickle(text, seed);
  ArmorReader r(seed == 0 ? static_cast<Input&>(whole) : trickle);
  std::vector<Found> out;
  while (r.next()) {
    Found f;
    f.offset = r.offset();
    f.form = r.form();
    try {
      std::vector<std::uint8_t> buf(chunk);
      for (std::size_t n; (n = r.body().read(buf)) > 0;) f.message.insert(f.message.end(), buf.begin(), buf.begin() + n);
    } catch (const OpenError& e) {
      // Only an x or dense token can be cut short; nothing else is truncated.
      EXPECT_TRUE(e.fault() == Fault::armor || e.fault() == Fault::truncated);
      f.fault = e.fault();
      f.ok = false;
      f.error = e.what();
      f.message.clear();
    }
    f.end = r.end();
    out.push_back(std::move(f));
  }
  return out;
}

TEST(ArmorReader, FindsEveryTokenAndBlock) {
  std::vector<std::uint8_t> a = {0x10, 1, 2, 3}, b = {0x11, 9, 9};
  std::string text = "intro grypt: not a token\n" + armor_line(a) + ", then\n" + armor_block(b) +
                     "and grypt:%%% and grypt:Zebra, grypt:example and grypt:E and " +
                     armor_line(b) + ".";
  auto found = read_all(text);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].message, a);
  EXPECT_EQ(found[1].message, b);
  EXPECT_EQ(found[2].error, "not valid base64url");  // "grypt:E": a message's start, cut
  EXPECT_EQ(found[3].message, b);
  EXPECT_EQ(text.substr(found[0].offset, found[0].end - found[0].offset), armor_line(a));
  EXPECT_EQ(text.substr(found[1].offset, found[1].end - found[1].offset), armor_block(b));
  EXPECT_EQ(text.substr(found[3].offset, found[3].end - found[3].offset), armor_line(b));
}

TEST(ArmorReader, NearMissesDoNotHideTokens) {
  std::vector<std::uint8_t> m = {0x11, 1, 2};
  std::string noise;
  for (int i = 0; i < 2000; ++i) noise += "grypt:E-----BEGIN GRYPT MESSAGE----- grypt:a ";
  auto found = read_all(noise + "\n" + armor_block(m) + noise + armor_line(m));
  std::size_t ok = 0;
  for (const auto& t : found) ok += t.ok && t.message == m;
  EXPECT_EQ(ok, 2u);
  EXPECT_EQ(found.size(), 4002u);  // 4000 "grypt:E" tokens that do not decode; "grypt:a" is prose
}

TEST(ArmorReader, BlockLinesAre64Characters) {
  std::vector<std::uint8_t> m(200, 7);
  std::string block = armor_block(m);
  auto found = read_all(block);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, m);
  std::string crlf;
  for (char c : block) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  found = read_all(crlf);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, m);
  EXPECT_EQ(found[0].end, crlf.size());
  EXPECT_TRUE(looks_binary(std::vector<std::uint8_t>{0x11}));
  EXPECT_FALSE(looks_binary(std::vector<std::uint8_t>{'g'}));
}

// An x or dense token with a line break after every `every` characters
// past its marker, as a site that wraps long lines writes it.
std::string wrap(std::string_view token, std::size_t every, std::string_view nl) {
  std::size_t marker = token.substr(5, 1) == "\xc3" ? armor_x_marker.size() : armor_dense_marker.size();
  std::string out(token.substr(0, marker));
  std::size_t chars = 0;
  for (std::size_t i = marker; i < token.size(); ++i) {
    bool starts = (static_cast<unsigned char>(token[i]) & 0xc0) != 0x80;
    if (starts && chars > 0 && chars % every == 0) out += nl;
    chars += starts;
    out += token[i];
  }
  return out;
}

// Texts made of tokens, near misses and defects: read whole or a few bytes
// at a time, the reader finds the same tokens, with the same bytes, the
// same errors and the same extents; where nothing was damaged, exactly the
// tokens that were put in.
TEST(ArmorReader, FindsWhatWasPutInWhateverTheReadSizes) {
  std::uint32_t seed = 7;
  auto rnd = [&](std::uint32_t n) {
    seed = seed * 1664525 + 1013904223;
    return (seed >> 8) % n;
  };
  const char* noise[] = {"hello ", "grypt:", "grypt: ", "\r\n", "-----BEGIN GRYPT MESSAGE-----",
                         "-----END GRYPT MESSAGE-----", "=", "AAAA", "x", " grypt:Z ", "\xff",
                         "grypt\xc3\x97 is", "grypt\xe2\x89\xa1.", "\xe2\x80\xa6", "\xe4\xb8"};
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    std::vector<Found> want;
    bool damaged = false;
    int parts = 1 + static_cast<int>(rnd(8));
    for (int p = 0; p < parts; ++p) {
      // Starting as a version 1 message does, so that a short line token is
      // a token, not prose (grypt.5, Scanner).
      std::vector<std::uint8_t> m(1 + rnd(200));
      for (auto& b : m) b = static_cast<std::uint8_t>(rnd(256));
      m[0] = static_cast<std::uint8_t>(0x10 | (m[0] & 0x0f));
      std::string piece;
      bool token = true;
      ArmorForm form = ArmorForm::line;
      switch (rnd(10)) {
        case 0: piece = armor_line(m); break;
        case 1: piece = armor_block(m), form = ArmorForm::block; break;
        case 2: {
          piece = armor_block(m), form = ArmorForm::block;
          for (std::size_t i = 0; i < piece.size(); ++i)
            if (piece[i] == '\n' && rnd(2)) piece.replace(i++, 1, "\r\n");
          break;
        }
        case 3: piece = armor_text(m, form = ArmorForm::x); break;
        case 4: piece = armor_text(m, form = ArmorForm::dense); break;
        case 5:
        case 6:
          form = rnd(2) ? ArmorForm::x : ArmorForm::dense;
          piece = wrap(armor_text(m, form), 1 + rnd(80), rnd(2) ? "\n" : "\r\n");
          break;
        default:
          piece = noise[rnd(sizeof noise / sizeof noise[0])];
          token = false;
          damaged |= piece == armor_begin;  // a block without its lines
          break;
      }
      // Now and then a defect: a byte changed or cut.
      if (!piece.empty() && rnd(4) == 0) {
        std::size_t at = rnd(static_cast<std::uint32_t>(piece.size()));
        if (rnd(2)) piece[at] = "A=-_\n\r+/!\xe4\x80"[rnd(11)];
        else piece.resize(at);
        damaged = true;
      }
      if (token) want.push_back({text.size(), text.size() + piece.size(), true, m, "", form});
      text += piece + "\n";
    }
    auto whole = read_all(text);
    for (std::uint32_t s : {1u, 2u, 3u}) {
      auto got = read_all(text, static_cast<std::uint32_t>(round) * 3 + s);
      ASSERT_EQ(got, whole) << "round " << round << ": " << printable(text);
    }
    for (std::size_t i = 0; i < whole.size(); ++i) {
      ASSERT_LE(whole[i].offset, whole[i].end);
      if (i > 0) {
        ASSERT_LE(whole[i - 1].end, whole[i].offset);
      }
    }
    if (!damaged) {
      ASSERT_EQ(whole, want) << "round " << round << ": " << printable(text);
    }
  }
}

// --- x and dense ---------------------------------------------------------

std::string utf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xc0 | c >> 6);
    s += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    s += static_cast<char>(0xe0 | c >> 12);
    s += static_cast<char>(0x80 | (c >> 6 & 0x3f));
    s += static_cast<char>(0x80 | (c & 0x3f));
  }
  return s;
}

// The first byte of the character at or after byte `at`, and its length.
std::size_t char_start(std::string_view s, std::size_t at) {
  while ((static_cast<unsigned char>(s[at]) & 0xc0) == 0x80) ++at;
  return at;
}
std::size_t char_len(std::string_view s, std::size_t at) {
  std::size_t len = 1;
  while (at + len < s.size() && (static_cast<unsigned char>(s[at + len]) & 0xc0) == 0x80) ++len;
  return len;
}

std::vector<std::uint8_t> bytes_of(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> m(n);
  for (auto& b : m) {
    seed = seed * 1664525 + 1013904223;
    b = static_cast<std::uint8_t>(seed >> 24);
  }
  return m;
}

TEST(DenseArmor, TheAlphabetsAreThoseOfGrypt5) {
  const DenseAlphabet& x = x_alphabet();
  const DenseAlphabet& d = dense_alphabet();
  EXPECT_EQ(x.main_size() + x.final_size(), 2063u);
  EXPECT_EQ(d.main_size() + d.final_size(), 33023u);
  // Pinned: value 0 and the last main value, the first and last final.
  EXPECT_EQ(x.character(0), U'A');
  EXPECT_EQ(x.character(25), U'Z');
  EXPECT_EQ(x.character(26), U'a');
  EXPECT_EQ(x.character(2047), U'\u10EC');
  EXPECT_EQ(x.character(2048), U'\u10ED');
  EXPECT_EQ(x.character(2062), U'\u10FB');
  EXPECT_EQ(d.character(0), U'\u3041');
  EXPECT_EQ(d.character(32767), U'\uD6A4');
  EXPECT_EQ(d.character(32768), U'\uD6A5');
  EXPECT_EQ(d.character(33022), U'\uD7A3');
  for (const DenseAlphabet* a : {&x, &d})
    for (std::uint32_t v = 0; v < a->main_size() + a->final_size(); ++v) {
      ASSERT_EQ(a->value_of(static_cast<std::int32_t>(a->character(v))), v);
      ASSERT_EQ(a->utf8(v), utf8(a->character(v)));
    }
  EXPECT_EQ(x.value_of(0x0301), DenseAlphabet::mark);  // from NFD of é
  EXPECT_EQ(d.value_of(0x1100), DenseAlphabet::mark);  // the first Hangul jamo
  EXPECT_EQ(x.value_of(':'), DenseAlphabet::other);
  EXPECT_EQ(x.value_of(0xd7), DenseAlphabet::other);  // the marker's ×
  EXPECT_EQ(d.value_of(0x2261), DenseAlphabet::other);
}

TEST(DenseArmor, KnownAnswers) {
  std::string x(armor_x_marker), d(armor_dense_marker);
  EXPECT_EQ(armor_text({}, ArmorForm::x), x + utf8(0x10ED));  // the final character of no bits
  EXPECT_EQ(armor_text({}, ArmorForm::dense), d + utf8(0xD6A5));
  // 11 zero bytes: 8 characters of value 0, then a final of no bits.
  EXPECT_EQ(armor_text(std::vector<std::uint8_t>(11), ArmorForm::x), x + "AAAAAAAA" + utf8(0x10ED));
  // 3 zero bytes: 24 bits, two characters and 2 bits in the final (value 3).
  EXPECT_EQ(armor_text(std::vector<std::uint8_t>(3), ArmorForm::x), x + "AA" + utf8(0x10ED + 3));
  // 0xff 0x01 = 1111111100000001: 11111111000 (2040), then 00001 in the
  // final? 5 bits are more than 3: one more main character 00001 000000
  // (64), and a final of no bits.
  EXPECT_EQ(armor_text(std::vector<std::uint8_t>{0xff, 0x01}, ArmorForm::x),
            x + utf8(x_alphabet().character(2040)) + utf8(x_alphabet().character(64)) + utf8(0x10ED));
  EXPECT_EQ(x_alphabet().character(2040), U'\u10E5');
  // One byte in dense: 8 bits, more than 7: 10101011 0000000 (0x5580).
  EXPECT_EQ(armor_text(std::vector<std::uint8_t>{0xab}, ArmorForm::dense), d + utf8(0xAC25) + utf8(0xD6A5));
  // 15 zero bytes: 8 of U+3041; 16 bytes: 8 more bits, 1 + 7 bits.
  EXPECT_EQ(armor_text(std::vector<std::uint8_t>(15), ArmorForm::dense),
            d + [] { std::string s; for (int i = 0; i < 8; ++i) s += utf8(0x3041); return s; }() + utf8(0xD6A5));
  // 14 bytes: 112 bits, 7 characters and 7 bits in the final (value 127 + bits).
  std::vector<std::uint8_t> m(14);
  m[13] = 0x7f;
  std::string t = armor_text(m, ArmorForm::dense);
  EXPECT_TRUE(t.ends_with(utf8(0x3041) + utf8(0xD7A3))) << printable(t);
  // 16 bytes: 128 bits; 8 left, more than 7: a main character 1 0000000.
  m.assign(16, 0);
  m[15] = 0x80;
  t = armor_text(m, ArmorForm::dense);
  EXPECT_TRUE(t.ends_with(utf8(dense_alphabet().character(1u << 14)) + utf8(0xD6A5))) << printable(t);
}

TEST(DenseArmor, TheWriterWritesWhatArmorTextDoesAndTheReaderReadsItBack) {
  for (ArmorForm f : {ArmorForm::x, ArmorForm::dense}) {
    for (std::size_t n : {0, 1, 2, 3, 10, 11, 12, 14, 15, 16, 29, 30, 31, 44, 45, 100, 217, 1000, 70000}) {
      auto m = bytes_of(n, static_cast<std::uint32_t>(n));
      std::string want = armor_text(m, f);
      for (std::size_t piece : {1, 5, 11, 15, 4096}) {
        MemoryOutput out;
        ArmorWriter w(out, f);
        for (std::size_t i = 0; i < n; i += piece) w.write(std::span(m).subspan(i, std::min(piece, n - i)));
        w.finish();
        ASSERT_EQ(std::string(out.data.begin(), out.data.end()), want + "\n") << n << "/" << piece;
      }
      // In pieces of any size, and whole with room for groups of characters.
      for (auto [seed, chunk] : {std::pair<std::uint32_t, std::size_t>{static_cast<std::uint32_t>(n) + 1, 7},
                                 {0, 65536}}) {
        auto found = read_all("see " + want + " and", seed, chunk);
        ASSERT_EQ(found.size(), 1u) << n;
        EXPECT_TRUE(found[0].ok) << found[0].error;
        EXPECT_EQ(found[0].message, m);
        EXPECT_EQ(found[0].offset, 4u);
        EXPECT_EQ(found[0].end, 4u + want.size());
        EXPECT_EQ(found[0].form, f);
      }
    }
  }
}

TEST(DenseArmor, LineBreaksBeforeCharactersOfTheAlphabetAreNoPartOfIt) {
  auto m = bytes_of(217, 5);
  for (ArmorForm f : {ArmorForm::x, ArmorForm::dense})
    for (std::size_t every : {1, 2, 7, 64, 280})
      for (const char* nl : {"\n", "\r\n"}) {
        auto found = read_all(wrap(armor_text(m, f), every, nl), static_cast<std::uint32_t>(every));
        ASSERT_EQ(found.size(), 1u);
        EXPECT_TRUE(found[0].ok) << found[0].error;
        EXPECT_EQ(found[0].message, m);
      }
  // Between the marker and the first character, and inside the marker
  // (the line a site wraps may start before the token); but one line
  // break only, and not for "grypt:".
  for (ArmorForm f : {ArmorForm::x, ArmorForm::dense}) {
    std::string t = armor_text(m, f);
    std::size_t marker = f == ArmorForm::x ? armor_x_marker.size() : armor_dense_marker.size();
    for (std::size_t at = 1; at <= marker; at += at == 5 ? marker - 5 : 1) {
      auto found = read_all("post: " + t.substr(0, at) + "\r\n" + t.substr(at));
      ASSERT_EQ(found.size(), 1u) << at;
      EXPECT_EQ(found[0].message, m);
      EXPECT_EQ(found[0].offset, 6u);
      EXPECT_TRUE(read_all(t.substr(0, at) + "\n\n" + t.substr(at)).empty()) << at;
    }
  }
  auto found = read_all("gry\npt:" + armor_line(m).substr(6));
  EXPECT_TRUE(found.empty());
}

// A site that shortens a post cuts the token anywhere (even inside a
// character's bytes) and may add an ellipsis or a link: it is reported as
// cut short, never as damaged; a token on the next line is not lost.
TEST(DenseArmor, ACutIsReportedAsCutNeverAsDamage) {
  auto m = bytes_of(217, 9);
  const char* after[] = {"", "\xe2\x80\xa6", "\xe2\x80\xa6Show more", " Show more", "...", "\n",
                         "\n\nnext paragraph", "\nnext paragraph", "\r\n"};
  for (ArmorForm f : {ArmorForm::x, ArmorForm::dense}) {
    std::string t = armor_text(m, f);
    std::size_t marker = f == ArmorForm::x ? armor_x_marker.size() : armor_dense_marker.size();
    std::size_t first_char = marker + char_len(t, marker);
    for (std::size_t cut = marker; cut < t.size(); ++cut) {
      for (const char* a : after) {
        std::string text = "post: " + t.substr(0, cut) + a;
        auto found = read_all(text);
        // With no whole character after the marker it is prose; but a
        // marker at the end of a line is followed by what the next line
        // holds, and "next" is in the x alphabet.
        bool token = cut >= first_char ||
                     (cut == marker && f == ArmorForm::x && std::string_view(a) == "\nnext paragraph");
        if (!token) {
          EXPECT_TRUE(found.empty()) << printable(text);
          continue;
        }
        ASSERT_EQ(found.size(), 1u) << printable(text);
        EXPECT_EQ(found[0].fault, Fault::truncated) << printable(text) << ": " << found[0].error;
        EXPECT_TRUE(found[0].error.find(" armor: cut short at byte ") != std::string::npos) << found[0].error;
      }
    }
    // Cut at a character's start, so that the line break is followed by
    // "g", which is in the x alphabet.
    auto found = read_all(t.substr(0, char_start(t, t.size() / 2)) + "\n" + t + "\n");
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].fault, Fault::truncated);
    EXPECT_TRUE(found[1].ok);
    EXPECT_EQ(found[1].message, m);
  }
}

TEST(DenseArmor, ACharacterOutsideTheAlphabetIsNamed) {
  auto m = bytes_of(100, 3);
  std::string x = armor_text(m, ArmorForm::x);
  // Replace the character that starts at or after byte 40.
  std::size_t at = char_start(x, 40);
  std::size_t len = char_len(x, at);
  auto found = read_all("a " + x.substr(0, at) + "!" + x.substr(at + len) + " b");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].fault, Fault::armor);
  EXPECT_EQ(found[0].error, "x armor: U+0021 at byte " + std::to_string(at + 2) + " is not in its alphabet");
  EXPECT_EQ(found[0].end, 2 + x.size() - len + 1);  // skipped to its end
  found = read_all(x.substr(0, at) + "\xff\xfe" + x.substr(at + len));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].error, "x armor: byte " + std::to_string(at) + " is not UTF-8 (0xff)");
  found = read_all(x.substr(0, at) + "\xc1\x81" + x.substr(at + len));  // "A", overlong
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].error, "x armor: byte " + std::to_string(at) + " is not UTF-8 (0xc1)");
  std::string d = armor_text(m, ArmorForm::dense);
  found = read_all(d.substr(0, 11) + "A" + d.substr(14));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].error, "dense armor: U+0041 at byte 11 is not in its alphabet");
}

// The reader takes x characters eight at a time where it can; a character
// written in three bytes where two (or one) would do is no UTF-8 wherever
// it is in those eight.
TEST(DenseArmor, AnOverlongCharacterIsNoUtf8AnywhereInAGroup) {
  auto m = bytes_of(200, 5);
  std::string x = armor_text(m, ArmorForm::x);
  int tried = 0;
  // From the second character: an overlong first one leaves the marker prose.
  const std::size_t second = armor_x_marker.size() + char_len(x, armor_x_marker.size());
  for (std::size_t at = second; at < 200; at += char_len(x, at)) {
    const std::size_t len = char_len(x, at);
    if (len == 3) continue;
    const auto b0 = static_cast<std::uint8_t>(x[at]), b1 = static_cast<std::uint8_t>(x[at + 1]);
    const std::uint32_t c = len == 1 ? b0 : (b0 & 0x1fu) << 6 | (b1 & 0x3fu);
    const std::string overlong{'\xe0', static_cast<char>(0x80 | c >> 6), static_cast<char>(0x80 | (c & 0x3f))};
    auto found = read_all(x.substr(0, at) + overlong + x.substr(at + len), 0, 65536);
    ASSERT_EQ(found.size(), 1u) << "at " << at;
    EXPECT_EQ(found[0].error, "x armor: byte " + std::to_string(at) + " is not UTF-8 (0xe0)") << "at " << at;
    ++tried;
  }
  EXPECT_GT(tried, 30);
}

// The reader takes x characters eight at a time with AVX-512 or AVX2
// where the processor has them, else with scalar code: every path answers
// the same (bytes, errors, extents) for x tokens damaged as a site or a
// hostile sender would: bytes changed, characters that are no UTF-8,
// overlong, four bytes long, outside the alphabet, a "g", an ellipsis, a
// line break, a lead byte of the wrong length, inserted anywhere in a
// group, or bytes taken out.
TEST(DenseArmor, TheXReaderAnswersTheSameByEveryPath) {
  std::vector<ArmorXPath> paths;
  for (ArmorXPath path : {ArmorXPath::avx2, ArmorXPath::avx512})
    if (armor_x_path(path)) paths.push_back(path);
  armor_x_fastest_path();
  if (paths.empty()) GTEST_SKIP() << "neither AVX2 nor AVX-512 here: only the scalar x reader runs";
  const std::string inserts[] = {"g", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xf0\x9f\x98\x80", "\x80",
                                 "\xc2", "\xe1\x80", "a", " ", "\n", "\r\n", "\xe2\x80\xa6", "\xed\xa0\x80", utf8(0x3041),
                                 utf8(0x10ff), utf8(0x2026), "\xef\xbf\xbf", "grypt:", "grypt\xc3\x97", "grypt\xe2\x89\xa1",
                                 // A lead byte of another length before the continuation bytes
                                 // of a character of the alphabet (U+0410, U+10C0).
                                 "\xf0\x90", "A\x83\x80", "\xc1\x83\x80", "\xf1\x83\x80",
                                 // Overlong forms of characters of the alphabet ("A", U+00C0).
                                 "\xc1\x81", "\xe0\x83\x80"};
  std::uint32_t seed = 7;
  auto next = [&] {
    seed = seed * 1103515245 + 12345;
    return seed >> 8;
  };
  int differed = 0;
  for (int round = 0; round < 4000; ++round) {
    auto m = bytes_of(40 + next() % 300, next());
    std::string t = armor_text(m, ArmorForm::x);
    for (std::uint32_t k = next() % 3; k > 0; --k) {
      const std::size_t at = armor_x_marker.size() + next() % (t.size() - armor_x_marker.size());
      switch (next() % 3) {
        case 0: t[at] = static_cast<char>(next()); break;
        case 1: t.insert(at, inserts[next() % std::size(inserts)]); break;
        default: t.erase(at, 1 + next() % 3); break;
      }
    }
    armor_x_path(ArmorXPath::scalar);
    auto scalar = read_all("> " + t + " <", 0, 65536);
    for (ArmorXPath path : paths) {
      armor_x_path(path);
      auto vector = read_all("> " + t + " <", 0, 65536);
      armor_x_fastest_path();
      ASSERT_EQ(vector, scalar) << "path " << static_cast<int>(path) << ": " << printable(t);
    }
    armor_x_fastest_path();
    differed += !scalar.empty() && scalar[0].message != m;
  }
  EXPECT_GT(differed, 1000);  // most were damaged
}

// The reader checks the fixed bits of eight dense characters at once; a
// first byte of a four-byte sequence (11110xxx) where a three-byte one
// belongs is no UTF-8 wherever it is in those eight, though the code point
// its low bits make is a character of the alphabet.
TEST(DenseArmor, ABrokenCharacterIsNoUtf8AnywhereInAGroup) {
  auto m = bytes_of(200, 6);
  std::string d = armor_text(m, ArmorForm::dense);
  const std::size_t first = armor_dense_marker.size();
  for (std::size_t at = first + 3; at < first + 3 * 40; at += 3) {
    std::string broken = d;
    broken[at] = static_cast<char>(broken[at] | 0x10);
    auto found = read_all(broken, 0, 65536);
    ASSERT_EQ(found.size(), 1u) << "at " << at;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<std::uint8_t>(broken[at]));
    EXPECT_EQ(found[0].error, "dense armor: byte " + std::to_string(at) + " is not UTF-8 (" + hex + ")") << "at " << at;
  }
}

TEST(DenseArmor, ADecomposedTokenIsNamed) {
  auto m = bytes_of(100, 4);
  std::string x = armor_text(m, ArmorForm::x);
  // An "e" and a combining acute: é (in the alphabet) after NFD.
  std::size_t at = char_start(x, 10);
  std::string text = x.substr(0, at) + "e\xcc\x81" + x.substr(at);
  auto found = read_all(text);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].fault, Fault::armor);
  EXPECT_EQ(found[0].error,
            "x armor: decomposed by Unicode normalization (NFD or NFKD): U+0301 at byte " +
                std::to_string(at + 1) + "; ask for a copy that was not normalized");
  // A Hangul syllable as its jamo: U+AC00 is U+1100 U+1161.
  std::string d = armor_text(m, ArmorForm::dense);
  found = read_all(d.substr(0, 8) + "\xe1\x84\x80\xe1\x85\xa1" + d.substr(8));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].error,
            "dense armor: decomposed by Unicode normalization (NFD or NFKD): U+1100 at byte 8; ask for a copy "
            "that was not normalized");
}

TEST(DenseArmor, OnlyTheEndTheWriterWritesIsAccepted) {
  const DenseAlphabet& x = x_alphabet();
  std::string mk(armor_x_marker);
  auto final_of = [&](std::uint32_t v) { return std::string(x.utf8(x.main_size() + v)); };
  // 11 bits and a final of 1 bit: 12 bits, past a byte boundary.
  auto found = read_all(mk + "A" + final_of(1));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].error, "x armor: not canonical: bits past its last byte");
  // 11 bits 00000000001: a byte and 3 bits of padding that are not zero.
  found = read_all(mk + "B" + final_of(0));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].error, "x armor: not canonical: bits past its last byte");
  // 00000000000 and a final of 3 bits 000 hmm: 14 bits; 0 bits: one byte.
  found = read_all(mk + "A" + final_of(0));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, std::vector<std::uint8_t>{0});
  const DenseAlphabet& d = dense_alphabet();
  found = read_all(std::string(armor_dense_marker) + std::string(d.utf8(1)) + std::string(d.utf8(d.main_size())));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].error, "dense armor: not canonical: bits past its last byte");
}

TEST(DenseArmor, AMarkerWithoutItsAlphabetIsProse) {
  std::string text = "a grypt\xc3\x97 token, grypt\xe2\x89\xa1 too, grypt\xc3\x97\n\n grypt\xe2\x89\xa1"
                     "A grypt\xc3\x97\xe4\xb8\x80";
  EXPECT_TRUE(read_all(text).empty());
}

TEST(DenseArmor, EveryFormOnOnePageInOrder) {
  auto a = bytes_of(50, 1), b = bytes_of(60, 2), c = bytes_of(70, 3), d = bytes_of(80, 4);
  a[0] = 0x11;
  std::string text = "<p>" + armor_line(a) + "</p>\n" + armor_block(b) + "<p>" + armor_text(c, ArmorForm::x) +
                     "</p><p>" + armor_text(d, ArmorForm::dense) + "</p>";
  auto found = read_all(text, 3);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].message, a);
  EXPECT_EQ(found[1].message, b);
  EXPECT_EQ(found[2].message, c);
  EXPECT_EQ(found[3].message, d);
  EXPECT_EQ(found[2].offset, text.find(armor_x_marker));
  EXPECT_EQ(found[3].offset, text.find(armor_dense_marker));
}

TEST(ArmorReader, AHugeTokenStreamsInConstantMemory) {
  // 3 MiB decoded from one token through a reader whose buffer stays small.
  std::vector<std::uint8_t> m(3 << 20);
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(i * 7);
  std::string text = "before " + armor_line(m) + " after";
  MemoryInput in(as_bytes(text));
  ArmorReader r(in);
  ASSERT_TRUE(r.next());
  std::vector<std::uint8_t> got;
  std::uint8_t buf[65536];
  for (std::size_t n; (n = r.body().read(buf)) > 0;) got.insert(got.end(), buf, buf + n);
  EXPECT_EQ(got, m);
  EXPECT_FALSE(r.next());
}

TEST(ArmorWriter, WritesExactlyWhatTheWholeFormsAre) {
  for (std::size_t n : {0, 1, 2, 3, 47, 48, 49, 95, 96, 97, 1000, 100000}) {
    std::vector<std::uint8_t> m(n);
    for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::uint8_t>(i * 13 + 1);
    for (std::size_t piece : {1, 5, 48, 4096}) {
      MemoryOutput line, block, binary;
      ArmorWriter wl(line, ArmorWriter::Form::line), wb(block, ArmorWriter::Form::block),
          wr(binary, ArmorWriter::Form::binary);
      for (std::size_t i = 0; i < n; i += piece) {
        auto part = std::span(m).subspan(i, std::min(piece, n - i));
        wl.write(part);
        wb.write(part);
        wr.write(part);
      }
      wl.finish();
      wb.finish();
      wr.finish();
      EXPECT_EQ(std::string(line.data.begin(), line.data.end()), armor_line(m) + "\n") << n << "/" << piece;
      if (n > 0) {
        EXPECT_EQ(std::string(block.data.begin(), block.data.end()), armor_block(m)) << n << "/" << piece;
      }
      EXPECT_EQ(binary.data, m);
    }
  }
}

// The readers take whole groups of 4 characters where a read has room: a
// line and a block read whole give what they give read 7 bytes at a time,
// and a block's lines are still held to 64 characters.
TEST(ArmorReader, LinesAndBlocksReadWholeAsInPieces) {
  for (std::size_t n : {1, 2, 3, 47, 48, 49, 100, 1000, 70000}) {
    auto m = bytes_of(n, static_cast<std::uint32_t>(n) + 3);
    m[0] = 0x12;  // as a message starts: a short line token is a token (grypt.5, Scanner)
    std::string block = armor_block(m), crlf;
    for (char c : block) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    for (const std::string& t : {armor_line(m), block, crlf}) {
      for (std::size_t chunk : {7u, 65536u}) {
        auto found = read_all("see\n" + t + "\nand", 0, chunk);
        ASSERT_EQ(found.size(), 1u) << n;
        EXPECT_TRUE(found[0].ok) << n << "/" << chunk << ": " << found[0].error;
        EXPECT_EQ(found[0].message, m) << n << "/" << chunk;
      }
    }
    if (n < 100) continue;
    // A line of 68 characters (the second line joined with 4 of the third).
    std::string longer = block;
    std::size_t second = longer.find('\n', longer.find('\n') + 1);
    longer.erase(second + 65, 1);
    longer.insert(second + 65 + 4, "\n");
    auto found = read_all(longer, 0, 65536);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].error, "malformed armor block: lines must be 64 characters except the last") << n;
  }
}

}  // namespace
}  // namespace grypt
