#include "core/armor.h"

#include <algorithm>
#include <cstring>

#include "core/encoding.h"
#include "core/error.h"

namespace grypt {
namespace {

constexpr std::size_t line_width = 64;
constexpr const char* malformed_lines =
    "malformed armor block: lines must be 64 characters except the last";

// "grypt:" starts a token when what follows can be a message (grypt.5,
// Scanner): it starts as a version 1 message does (a byte 0x10 to 0x1f,
// written E, F, G or H), or it is as long as the smallest message (45
// bytes, 60 characters), whatever its version. Anything else is prose.
bool message_start(int c) { return c >= 'E' && c <= 'H'; }
constexpr std::size_t min_token_chars = 60;

int b64_value(int c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

bool url_byte(int c) { return c >= 0 && b64_value(c, true) >= 0; }

}  // namespace

std::string armor_line(std::span<const std::uint8_t> message) {
  return std::string(armor_prefix) + base64_encode(message, Base64::url_unpadded);
}

std::string armor_block(std::span<const std::uint8_t> message) {
  std::string b64 = base64_encode(message, Base64::standard);
  std::string out = std::string(armor_begin) + "\n";
  for (std::size_t i = 0; i < b64.size(); i += line_width)
    out += b64.substr(i, line_width) + "\n";
  out += std::string(armor_end) + "\n";
  return out;
}

bool looks_binary(std::span<const std::uint8_t> data) {
  return !data.empty() && (data[0] >> 4) == 1;
}

ArmorWriter::ArmorWriter(Output& out, Form form) : out_(out), form_(form) {}

// Encodes whole groups: 3 bytes for a line (base64url, no padding within),
// 48 bytes (one 64-character line) for a block.
void ArmorWriter::emit(std::span<const std::uint8_t> bytes) {
  if (!started_) {
    started_ = true;
    std::string head = form_ == Form::line ? std::string(armor_prefix) : std::string(armor_begin) + "\n";
    put(as_bytes(head));
  }
  if (bytes.empty()) return;
  if (form_ == Form::line) {
    std::string t = base64_encode(bytes, Base64::url_unpadded);
    put(as_bytes(t));
    return;
  }
  std::string text;
  for (std::size_t i = 0; i < bytes.size(); i += 48) {
    text += base64_encode(bytes.subspan(i, std::min<std::size_t>(48, bytes.size() - i)), Base64::standard);
    text += '\n';
  }
  put(as_bytes(text));
}

// Small messages leave in one write(2), so that writers sharing a pipe never
// interleave them; large ones in pieces of 64 KiB or more.
void ArmorWriter::put(std::span<const std::uint8_t> bytes) {
  if (buffer_.size() + bytes.size() > write_size) {
    flush();
    if (bytes.size() >= write_size) {
      out_.write(bytes);
      return;
    }
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

void ArmorWriter::flush() {
  if (buffer_.empty()) return;
  out_.write(buffer_);
  buffer_.clear();
}

void ArmorWriter::write(std::span<const std::uint8_t> bytes) {
  if (form_ == Form::binary) {
    put(bytes);
    return;
  }
  const std::size_t group = form_ == Form::line ? 3 : 48;
  if (!pending_.empty()) {
    std::size_t take = std::min(group - pending_.size(), bytes.size());
    pending_.insert(pending_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    bytes = bytes.subspan(take);
    if (pending_.size() < group) return;
    emit(pending_);
    pending_.clear();
  }
  std::size_t whole = bytes.size() / group * group;
  // In pieces of at most 48 KiB of input: the text is 4/3 of it.
  for (std::size_t i = 0; i < whole; i += 49152)
    emit(bytes.subspan(i, std::min<std::size_t>(49152, whole - i)));
  if (whole == 0) emit({});
  pending_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(whole), bytes.end());
}

void ArmorWriter::finish() {
  if (form_ != Form::binary) {
    emit(pending_);
    pending_.clear();
    std::string tail = form_ == Form::line ? "\n" : std::string(armor_end) + "\n";
    put(as_bytes(tail));
  }
  flush();
}

ArmorReader::ArmorReader(Input& in) : in_(in), buf_(16384) {}

int ArmorReader::peek(std::size_t ahead) {
  while (end_ - start_ <= ahead && !eof_) {
    if (start_ > 0) {
      std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    std::size_t n = in_.read(std::span(buf_.data() + end_, buf_.size() - end_));
    if (n == 0) eof_ = true;
    end_ += n;
  }
  return end_ - start_ > ahead ? buf_[start_ + ahead] : -1;
}

void ArmorReader::advance(std::size_t n) {
  prev_ = buf_[start_ + n - 1];
  start_ += n;
  pos_ += n;
}

bool ArmorReader::at(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (peek(i) != static_cast<unsigned char>(s[i])) return false;
  return true;
}

void ArmorReader::done() {
  token_done_ = true;
  token_end_ = pos_;
}

void ArmorReader::defect(const std::string& why) {
  // Skip what is left of the token: the rest of a one-line token, or the
  // rest of the current line of a block.
  if (!block_) {
    while (url_byte(peek(0))) advance(1);
  } else {
    while (peek(0) >= 0 && peek(0) != '\n') advance(1);
    if (peek(0) == '\n') advance(1);
  }
  done();
  throw OpenError(Fault::armor, why);
}

// A block whose base64 is bad is still read line by line to its END line,
// and a defect of the lines is what is reported if one comes first.
// Nothing more is decoded.
void ArmorReader::bad_block_base64() {
  for (;;) {
    if (line_len_ == 0 && prev_ == '\n') {
      if (peek(0) < 0) defect("the armor block has no END line");
      if (block_line_start()) {
        done();
        throw OpenError(Fault::armor, "the armor block is not valid base64");
      }
      if (short_line_) defect(malformed_lines);
    }
    if (!block_line_end(peek(0))) advance(1);
  }
}

// One character of a block, as far as its lines go: a line ending (LF, or
// the CR of CR LF) is consumed and true returned; any other character is
// counted against the 64 of its line, left to the caller, and false
// returned. A line too long, an empty line or the end of input is a defect.
bool ArmorReader::block_line_end(int c) {
  if (c < 0) defect("the armor block has no END line");
  if (c == '\r' && peek(1) == '\n') {
    advance(1);
    return true;
  }
  if (c == '\n') {
    if (line_len_ == 0) defect(malformed_lines);
    short_line_ = line_len_ < line_width;
    line_len_ = 0;
    advance(1);
    return true;
  }
  if (++line_len_ > line_width) defect(malformed_lines);
  return false;
}

bool ArmorReader::next() {
  if (in_token_ && !token_done_) finish_token();
  in_token_ = false;
  for (;;) {
    int c = peek(0);
    if (c < 0) return false;
    if (c == 'g' && at(armor_prefix)) {
      std::size_t run = 0;
      if (!message_start(peek(armor_prefix.size())))
        while (run < min_token_chars && url_byte(peek(armor_prefix.size() + run))) ++run;
      if (message_start(peek(armor_prefix.size())) || run >= min_token_chars) {
        token_offset_ = pos_;
        advance(armor_prefix.size());
        block_ = false;
        break;
      }
      advance(armor_prefix.size());  // "grypt:" in prose
      continue;
    }
    if (c == '-' && prev_ == '\n' && at(armor_begin)) {
      std::size_t k = armor_begin.size();
      if (peek(k) == '\r') ++k;
      if (peek(k) == '\n') {
        token_offset_ = pos_;
        advance(k + 1);
        block_ = true;
        break;
      }
      advance(k);
      continue;
    }
    advance(1);
  }
  in_token_ = true;
  token_done_ = false;
  acc_ = 0;
  nacc_ = 0;
  pad_ = 0;
  line_len_ = 0;
  short_line_ = false;
  block_empty_ = true;
  out_have_ = out_at_ = 0;
  return true;
}

void ArmorReader::finish_token() {
  std::uint8_t sink[4096];
  try {
    while (body_.read(sink) > 0) {
    }
  } catch (const OpenError&) {
    // defect() has skipped the rest already
  }
}

// At the start of a block line: the END line ends the block; anything
// else starts a line of base64.
bool ArmorReader::block_line_start() {
  if (!at(armor_end)) return false;
  std::size_t k = armor_end.size();
  if (peek(k) == '\r') ++k;
  int d = peek(k);
  if (d != '\n' && d >= 0) return false;
  advance(d == '\n' ? k + 1 : k);
  return true;
}

std::size_t ArmorReader::decode_some(std::uint8_t* out, std::size_t max) {
  std::size_t n = 0;
  while (n < max) {
    if (out_at_ < out_have_) {
      out[n++] = out_[out_at_++];
      continue;
    }
    if (token_done_) break;
    int c = peek(0);
    int v;
    if (!block_) {
      v = c >= 0 ? b64_value(c, true) : -1;
      if (v < 0) {
        // The end of a one-line token: 2 or 3 characters left give 1 or 2
        // bytes, whose unused bits must be zero.
        if (nacc_ == 1) defect("not valid base64url");
        if (nacc_ == 2) {
          if (acc_ & 0x0f) defect("not valid base64url");
          out_[0] = static_cast<std::uint8_t>(acc_ >> 4);
          out_have_ = 1;
        } else if (nacc_ == 3) {
          if (acc_ & 0x03) defect("not valid base64url");
          out_[0] = static_cast<std::uint8_t>(acc_ >> 10);
          out_[1] = static_cast<std::uint8_t>(acc_ >> 2);
          out_have_ = 2;
        }
        if (nacc_ != 0) out_at_ = 0;
        nacc_ = 0;
        done();
        continue;
      }
      advance(1);
    } else {
      if (line_len_ == 0 && prev_ == '\n') {
        if (c < 0) defect("the armor block has no END line");
        if (block_line_start()) {
          done();
          if (block_empty_) throw OpenError(Fault::armor, "the armor block is empty");
          if (nacc_ != 0) throw OpenError(Fault::armor, "the armor block is not valid base64");
          continue;
        }
        if (short_line_) defect(malformed_lines);
      }
      if (block_line_end(c)) continue;
      block_empty_ = false;
      advance(1);
      if (c == '=') {
        // Padding: only in the last group, after two or three characters.
        if (nacc_ < 2 || pad_ + nacc_ >= 4) bad_block_base64();
        ++pad_;
        if (nacc_ + pad_ == 4) {
          if (pad_ == 2) {
            if (acc_ & 0x0f) bad_block_base64();
            out_[0] = static_cast<std::uint8_t>(acc_ >> 4);
            out_have_ = 1;
          } else {
            if (acc_ & 0x03) bad_block_base64();
            out_[0] = static_cast<std::uint8_t>(acc_ >> 10);
            out_[1] = static_cast<std::uint8_t>(acc_ >> 2);
            out_have_ = 2;
          }
          out_at_ = 0;
          nacc_ = 0;
          acc_ = 0;
        }
        continue;
      }
      if (pad_ > 0) bad_block_base64();
      v = b64_value(c, false);
      if (v < 0) bad_block_base64();
    }
    acc_ = acc_ << 6 | static_cast<std::uint32_t>(v);
    if (++nacc_ == 4) {
      out_[0] = static_cast<std::uint8_t>(acc_ >> 16);
      out_[1] = static_cast<std::uint8_t>(acc_ >> 8);
      out_[2] = static_cast<std::uint8_t>(acc_);
      out_have_ = 3;
      out_at_ = 0;
      nacc_ = 0;
      acc_ = 0;
    }
  }
  return n;
}

std::size_t ArmorReader::Body::read(std::span<std::uint8_t> buf) {
  if (!r_.in_token_) return 0;
  return r_.decode_some(buf.data(), buf.size());
}

}  // namespace grypt
