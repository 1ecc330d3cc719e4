// Armor (man/grypt.5, ARMOR):
//   line:   "grypt:" || base64url(message), ending at the first character
//           outside [A-Za-z0-9_-];
//   block:  "-----BEGIN GRYPT MESSAGE-----", standard padded base64 in
//           lines of 64 characters (the last 1..64), "-----END GRYPT
//           MESSAGE-----"; lines end in LF or CRLF;
//   x:      "grypt×" (U+00D7), the message's bits in groups of 11, most
//           significant first, one character of the x alphabet each, then
//           one character of its final alphabet that carries the 0 to 3
//           bits left and ends the token (armor_alphabet.h);
//   dense:  "grypt≡" (U+2261), the same in groups of 15 bits with the dense
//           alphabets (0 to 7 bits in the final character);
//           in both, a line break (LF or CR LF) followed by a character of
//           the alphabet, or between two characters of the marker, is no
//           part of the token (sites wrap lines), and a token that ends
//           before its final character was cut short;
//   binary: the raw message, told from text by its first byte: 0x10 to
//           0x1f (version 1, any flags), which text never starts with.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/io.h"

namespace grypt {

class DenseAlphabet;

enum class ArmorForm { line, block, binary, x, dense };
// "line", "block", "binary", "x", "dense": the names of grypt-seal --armor.
std::string_view armor_form_name(ArmorForm form);
std::optional<ArmorForm> armor_form_named(std::string_view name);

inline constexpr std::string_view armor_prefix = "grypt:";
inline constexpr std::string_view armor_begin = "-----BEGIN GRYPT MESSAGE-----";
inline constexpr std::string_view armor_end = "-----END GRYPT MESSAGE-----";
inline constexpr std::string_view armor_x_marker = "grypt\xc3\x97";         // grypt× (U+00D7)
inline constexpr std::string_view armor_dense_marker = "grypt\xe2\x89\xa1";  // grypt≡ (U+2261)

// A message as text in one form (not binary). Every form but the block ends
// without a newline; the block ends with its END line's newline.
std::string armor_text(std::span<const std::uint8_t> message, ArmorForm form);
std::string armor_line(std::span<const std::uint8_t> message);
std::string armor_block(std::span<const std::uint8_t> message);

// Writes a message in one of the forms as its bytes come, in constant
// memory; the result is exactly armor_text (with a final newline for every
// form but the block) or the bytes themselves. Nothing is written before
// 64 KiB are ready or finish(): a small message leaves in one write.
class ArmorWriter : public Output {
 public:
  using Form = ArmorForm;
  ArmorWriter(Output& out, Form form);
  void write(std::span<const std::uint8_t> bytes) override;
  void finish();

 private:
  void emit(std::span<const std::uint8_t> whole_groups);
  void put(std::span<const std::uint8_t> bytes);
  void flush();

  static constexpr std::size_t write_size = 64 * 1024;
  Output& out_;
  Form form_;
  const DenseAlphabet* alphabet_ = nullptr;  // x and dense
  std::vector<std::uint8_t> pending_;        // fewer bytes than one group
  std::vector<std::uint8_t> buffer_;         // output not yet written
  bool started_ = false;
};

// A binary message starts with a header byte of 0x10 to 0x1f (so
// that reserved flags are reported as such), which text never does.
bool looks_binary(std::span<const std::uint8_t> data);

// Finds each token of every text form in a stream of any size, in order, in
// constant memory, and hands its decoded bytes out as an Input, as they are
// decoded (a message of a gigabyte is never held whole). A defect of a
// token is thrown from body() reads as OpenError: Fault::truncated for an
// x or dense token cut short (it ends before its final character), else
// Fault::armor; the reader has then skipped the rest of the token. This is
// the one armor grammar: the tools, the test vectors and the fuzz targets
// all read through it.
// The reader takes x characters eight at a time by one of these paths:
// scalar code, or AVX2 or AVX-512 where the processor has them (by
// default the fastest it has). Every path gives the same answers. For the
// tests and the benchmark, which compare them: uses `path` from now on and
// returns true if the processor has what it needs, else changes nothing
// and returns false. Not thread-safe: call it before any reader runs.
enum class ArmorXPath { scalar, avx2, avx512 };
bool armor_x_path(ArmorXPath path);
void armor_x_fastest_path();

class ArmorReader {
 public:
  explicit ArmorReader(Input& in);
  // Moves to the next token (skipping the rest of the current one); false
  // at the end of the input.
  bool next();
  std::uint64_t offset() const { return token_offset_; }
  // Where the token ends (the offset just past it), once its body has been
  // read to the end or has thrown.
  std::uint64_t end() const { return token_end_; }
  ArmorForm form() const { return form_; }
  bool is_block() const { return form_ == ArmorForm::block; }
  Input& body() { return body_; }

 private:
  class Body : public Input {
   public:
    explicit Body(ArmorReader& r) : r_(r) {}
    std::size_t read(std::span<std::uint8_t> buf) override;

   private:
    ArmorReader& r_;
  };
  friend class Body;

  struct Char {
    std::int32_t cp;  // the code point; -1 at the end of input, -2 not UTF-8
    std::uint8_t len;
  };

  int peek(std::size_t ahead);  // the byte `ahead` from here, or -1
  void advance(std::size_t n);
  bool at(std::string_view s);  // the bytes from here start with s
  Char char_at(std::size_t ahead);
  // A character of the token's alphabet (main or final), or one they
  // decompose to: what a token, damaged or not, is made of.
  bool token_char(Char c) const;
  bool at_marker();                // "grypt:", "grypt×" or "grypt≡" starts here
  std::size_t dense_marker(ArmorForm& form);
  std::size_t line_break(std::size_t ahead);  // 1 for LF, 2 for CR LF, else 0
  std::size_t decode_some(std::uint8_t* out, std::size_t max);
  std::size_t decode_dense(std::uint8_t* out, std::size_t max);
  bool dense_step();
  [[noreturn]] void defect(const std::string& why);
  [[noreturn]] void dense_defect(const std::string& why);
  [[noreturn]] void cut_short();
  [[noreturn]] void bad_block_base64();
  bool block_line_end(int c);
  bool block_line_start();
  void finish_token();
  void done();

  Input& in_;
  std::vector<std::uint8_t> buf_;
  std::size_t start_ = 0, end_ = 0;
  bool eof_ = false;
  std::uint64_t pos_ = 0;  // absolute offset of buf_[start_]
  int prev_ = '\n';       // the byte before the current position
  std::uint64_t token_offset_ = 0, token_end_ = 0;
  ArmorForm form_ = ArmorForm::line;
  const DenseAlphabet* alphabet_ = nullptr;
  bool in_token_ = false, token_done_ = true;
  // Decoding state.
  std::uint32_t acc_ = 0;
  int nacc_ = 0;
  int pad_ = 0;
  std::size_t line_len_ = 0;
  bool short_line_ = false, block_empty_ = true;
  std::uint8_t out_[3];
  int out_have_ = 0, out_at_ = 0;
  Body body_{*this};
};

}  // namespace grypt
