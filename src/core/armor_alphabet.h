// The alphabets of the x and dense armor (man/grypt.5, ARMOR): each is a
// main alphabet of 2^bits characters, one per value of `bits` bits, and a
// final alphabet of 2^(final_bits + 1) - 1 characters, whose value v
// carries r = floor(log2(v + 1)) bits, namely v + 1 - 2^r, and ends the
// token. Their characters are chosen by build-aux/armor-alphabets from the
// Unicode data; the generated ranges are armor_alphabets.inc.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace grypt {

struct CodeRange {
  char32_t first, last;
};

class DenseAlphabet {
 public:
  // What a code point is to the alphabet: a value below main_size() + final_size(),
  // or one of these.
  static constexpr std::uint16_t other = 0xffff;
  static constexpr std::uint16_t mark = 0xfffe;  // what a character decomposes to (NFD, NFKD)

  DenseAlphabet(std::string_view name, int bits, int final_bits, std::span<const CodeRange> chars,
                std::span<const CodeRange> marks);

  std::string_view name;
  int bits, final_bits;
  std::uint32_t main_size() const { return 1u << bits; }
  std::uint32_t final_size() const { return (2u << final_bits) - 1; }

  std::uint16_t value_of(std::int32_t c) const {
    return c >= 0 && static_cast<std::uint32_t>(c) < values_.size() ? values_[static_cast<std::uint32_t>(c)]
                                                                   : other;
  }
  // The UTF-8 of the character of value v (main values first, then final).
  std::string_view utf8(std::uint32_t v) const { return {utf8_[v].bytes, utf8_[v].len}; }
  // The same for every value, 4 bytes each: up to 3 of UTF-8, then the
  // length. For writers that store 4 bytes at once and move on by the length.
  const std::uint8_t* utf8_words() const { return reinterpret_cast<const std::uint8_t*>(utf8_.data()); }
  char32_t character(std::uint32_t v) const { return chars_[v]; }
  // The value of a code point below 0x10000 without a bounds check: the
  // table covers them all.
  std::uint16_t value_of_bmp(std::uint32_t c) const { return values_[c & 0xffff]; }
  // That table, by code point, and one entry more (`other`): a reader may
  // load 4 bytes at any code point's entry.
  const std::uint16_t* values() const { return values_.data(); }

 private:
  struct Encoded {
    char bytes[3];
    std::uint8_t len;
  };
  static_assert(sizeof(Encoded) == 4);
  std::vector<std::uint16_t> values_;  // by code point, U+0000 to U+FFFF, then `other`
  std::vector<char32_t> chars_;        // by value
  std::vector<Encoded> utf8_;          // by value
};

const DenseAlphabet& x_alphabet();      // 2048 + 15: 11 bits, 0 to 3 in the final character
const DenseAlphabet& dense_alphabet();  // 32768 + 255: 15 bits, 0 to 7 in the final character

}  // namespace grypt
