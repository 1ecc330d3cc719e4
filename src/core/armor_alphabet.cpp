#include "core/armor_alphabet.h"

#include <stdexcept>

namespace grypt {
namespace {

#include "core/armor_alphabets.inc"

}  // namespace

DenseAlphabet::DenseAlphabet(std::string_view n, int b, int fb, std::span<const CodeRange> chars,
                             std::span<const CodeRange> marks)
    : name(n), bits(b), final_bits(fb) {
  char32_t top = 0;
  for (const CodeRange& r : chars) top = std::max(top, r.last);
  for (const CodeRange& r : marks) top = std::max(top, r.last);
  if (top > 0xffff) throw std::logic_error("armor_alphabets.inc: a character past U+FFFF");
  values_.assign(0x10001, other);
  for (const CodeRange& r : chars)
    for (char32_t c = r.first; c <= r.last; ++c) {
      values_[c] = static_cast<std::uint16_t>(chars_.size());
      chars_.push_back(c);
      Encoded e{};
      if (c < 0x80) {
        e.bytes[0] = static_cast<char>(c);
        e.len = 1;
      } else if (c < 0x800) {
        e.bytes[0] = static_cast<char>(0xc0 | c >> 6);
        e.bytes[1] = static_cast<char>(0x80 | (c & 0x3f));
        e.len = 2;
      } else {
        e.bytes[0] = static_cast<char>(0xe0 | c >> 12);
        e.bytes[1] = static_cast<char>(0x80 | (c >> 6 & 0x3f));
        e.bytes[2] = static_cast<char>(0x80 | (c & 0x3f));
        e.len = 3;
      }
      utf8_.push_back(e);
    }
  for (const CodeRange& r : marks)
    for (char32_t c = r.first; c <= r.last; ++c) values_[c] = mark;
  if (chars_.size() != main_size() + final_size())
    throw std::logic_error("armor_alphabets.inc does not fit the " + std::string(name) + " alphabet");
}

const DenseAlphabet& x_alphabet() {
  static const DenseAlphabet a("x", 11, 3, x_alphabet_ranges, x_decomposition_marks);
  return a;
}

const DenseAlphabet& dense_alphabet() {
  static const DenseAlphabet a("dense", 15, 7, dense_alphabet_ranges, dense_decomposition_marks);
  return a;
}

}  // namespace grypt
