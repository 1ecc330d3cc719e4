#include "core/armor.h"

#include <algorithm>

#include "core/encoding.h"

namespace grypt {
namespace {

constexpr std::size_t line_width = 64;

bool url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

// Decodes the body of a block starting at `pos` (just after the BEGIN line's
// end); the token runs past the END line.
ArmorToken decode_block(std::string_view text, std::size_t begin, std::size_t pos) {
  ArmorToken t;
  t.offset = begin;
  std::string b64;
  bool short_line_seen = false;
  for (;;) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == armor_end) {
      t.length = (nl == std::string_view::npos ? text.size() : nl + 1) - begin;
      break;
    }
    if (nl == std::string_view::npos) {
      t.length = text.size() - begin;
      t.error = "the armor block has no END line";
      return t;
    }
    if (short_line_seen || line.empty() || line.size() > line_width) {
      t.length = nl + 1 - begin;
      t.error = "malformed armor block: lines must be 64 characters except the last";
      return t;
    }
    short_line_seen = line.size() < line_width;
    b64 += line;
    pos = nl + 1;
  }
  if (b64.empty()) {
    t.error = "the armor block is empty";
  } else if (!base64_try_decode(b64, Base64::standard, t.message)) {
    t.error = "the armor block is not valid base64";
  }
  return t;
}

bool at_line_start(std::string_view text, std::size_t pos) {
  return pos == 0 || text[pos - 1] == '\n';
}

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

std::vector<ArmorToken> scan_armor(std::string_view text) {
  // The next "grypt:" and the next BEGIN line are looked up only once the
  // scan has passed them: linear in the text, however many near-misses it
  // holds (a quadratic version was found by review of fuzz/armor_scan).
  constexpr std::size_t npos = std::string_view::npos;
  std::vector<ArmorToken> found;
  std::size_t pos = 0, line_at = 0, block_at = 0;
  bool line_stale = true, block_stale = true;
  while (pos < text.size()) {
    if (line_stale || (line_at != npos && line_at < pos)) {
      line_at = text.find(armor_prefix, pos);
      line_stale = false;
    }
    if (block_stale || (block_at != npos && block_at < pos)) {
      block_at = text.find(armor_begin, pos);
      while (block_at != npos && !at_line_start(text, block_at))
        block_at = text.find(armor_begin, block_at + 1);
      block_stale = false;
    }
    if (line_at == npos && block_at == npos) break;
    if (block_at < line_at) {
      std::size_t after = block_at + armor_begin.size();
      if (after < text.size() && text[after] == '\r') ++after;
      if (after >= text.size() || text[after] != '\n') {
        pos = after;
        continue;
      }
      ArmorToken t = decode_block(text, block_at, after + 1);
      pos = t.offset + t.length;
      found.push_back(std::move(t));
      continue;
    }
    std::size_t start = line_at + armor_prefix.size();
    std::size_t end = start;
    while (end < text.size() && url_char(text[end])) ++end;
    pos = end;
    if (end == start) continue;  // "grypt:" in prose, not a token
    ArmorToken t;
    t.offset = line_at;
    t.length = end - line_at;
    if (!base64_try_decode(text.substr(start, end - start), Base64::url_unpadded, t.message))
      t.error = "not valid base64url";
    found.push_back(std::move(t));
  }
  return found;
}

}  // namespace grypt
