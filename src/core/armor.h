// Armor (man/grypt.5, ARMOR):
//   one line: "grypt:" || base64url(message), ending at the first character
//             outside [A-Za-z0-9_-];
//   block:    "-----BEGIN GRYPT MESSAGE-----", standard padded base64 in
//             lines of 64 characters (the last 1..64), "-----END GRYPT
//             MESSAGE-----"; lines end in LF or CRLF;
//   binary:   the raw message, told from text by its first byte: 0x10 to
//             0x1f (version 1, any flags), which text never starts with.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/io.h"

namespace grypt {

inline constexpr std::string_view armor_prefix = "grypt:";
inline constexpr std::string_view armor_begin = "-----BEGIN GRYPT MESSAGE-----";
inline constexpr std::string_view armor_end = "-----END GRYPT MESSAGE-----";

std::string armor_line(std::span<const std::uint8_t> message);
std::string armor_block(std::span<const std::uint8_t> message);

// Writes a message in one of the three forms as its bytes come, in
// constant memory; the result is exactly armor_line / armor_block (with a
// final newline) or the bytes themselves. Nothing is written before 64 KiB
// are ready or finish(): a small message leaves in one write.
class ArmorWriter : public Output {
 public:
  enum class Form { line, block, binary };
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
  std::vector<std::uint8_t> pending_;  // fewer bytes than one group
  std::vector<std::uint8_t> buffer_;   // output not yet written
  bool started_ = false;
};

// A binary message starts with a version-1 header byte (0x10 to 0x1f, so
// that reserved flags are reported as such), which text never does.
bool looks_binary(std::span<const std::uint8_t> data);

// Finds each one-line token and block in a stream of any size, in order, in
// constant memory, and hands its decoded bytes out as an Input, as they are
// decoded (a message of a gigabyte is never held whole). A defect of a
// token is thrown from body() reads as OpenError(armor), once the reader
// has skipped the rest of the token. This is the one armor grammar: the
// tools, the test vectors and the fuzz targets all read through it.
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
  bool is_block() const { return block_; }
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

  int peek(std::size_t ahead);  // the byte `ahead` from here, or -1
  void advance(std::size_t n);
  bool at(std::string_view s);  // the bytes from here start with s
  std::size_t decode_some(std::uint8_t* out, std::size_t max);
  [[noreturn]] void defect(const std::string& why);
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
  bool in_token_ = false, block_ = false, token_done_ = true;
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
