// Text that reaches a terminal or a JSON document: strict UTF-8 (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF) and control
// characters kept out or made visible.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace grypt {

bool valid_utf8(std::string_view s);

// Why `s` is not a clean name (strict UTF-8 without C0 or C1 control
// characters, DEL, or bidirectional formatting characters, which reorder
// what a terminal shows), or empty if it is one.
std::string name_defect(std::string_view s);

// `s` with every control character (C0, DEL, C1), bidirectional formatting
// character and byte of invalid UTF-8 written as \xNN, so that a message
// quoting untrusted input stays one line and cannot drive a terminal.
std::string printable(std::string_view s);

// A JSON document (valid UTF-8) for a terminal: every control character
// (C0, DEL, C1) and bidirectional formatting character written as \uXXXX,
// which JSON readers read back as the same character. Such characters can
// only occur inside JSON strings, where the escape means the same.
std::string json_for_terminal(std::string_view json);

// Unix seconds as 2026-11-22T11:53:22Z; 0 (a time not known) as "never".
std::string utc_time(std::int64_t unix_seconds);

// `s` without the spaces, tabs and carriage returns around it.
std::string_view trim_blanks(std::string_view s);

// Calls `entry(line, number)` for each line of a file that lists one entry
// per line (a groups file, a recipients file): lines trimmed, blank lines
// and lines starting with # skipped, numbers counted from 1 for messages.
void for_each_entry_line(std::string_view text,
                         const std::function<void(std::string_view line, int number)>& entry);

// Checks a byte stream, in pieces of any size, for what a terminal may be
// sent as text: valid UTF-8 with no control characters but tab, newline and
// carriage return.
class TerminalText {
 public:
  // False as soon as the stream is not such text.
  bool feed(std::span<const std::uint8_t> bytes);
  // False if the stream ended inside a UTF-8 sequence.
  bool complete() const { return need_ == 0; }
  // The bytes of that unfinished sequence seen so far (0 to 3).
  std::size_t partial() const { return partial_; }

 private:
  std::size_t partial_ = 0;
  std::uint32_t cp_ = 0;  // the code point being decoded
  int need_ = 0;          // continuation bytes still expected
  std::uint8_t lo_ = 0x80, hi_ = 0xbf;  // range of the next continuation byte
};

}  // namespace grypt
