#include "core/text.h"

#include <cstdio>
#include <ctime>

namespace grypt {
namespace {

// One step of a strict UTF-8 decoder (the table of RFC 3629 section 4).
// Returns the length of the sequence at s[i], or 0 if it is invalid; `cp`
// receives the code point.
std::size_t decode(std::string_view s, std::size_t i, std::uint32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  std::uint8_t c = b(i);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t len;
  std::uint8_t lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
    if (c == 0xe0) lo = 0xa0;  // overlong
    if (c == 0xed) hi = 0x9f;  // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
    if (c == 0xf0) lo = 0x90;  // overlong
    if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    std::uint8_t d = b(i + k);
    if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xbf)) return 0;
    cp = cp << 6 | (d & 0x3f);
  }
  return len;
}

bool is_control(std::uint32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

bool is_bidi(std::uint32_t cp) {
  return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

std::string hex_escape(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    char buf[5];
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    out += buf;
  }
  return out;
}

}  // namespace

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp;
    std::size_t n = decode(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string name_defect(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp;
    std::size_t n = decode(s, i, cp);
    if (n == 0) return "it is not valid UTF-8";
    if (is_control(cp)) return "it contains a control character";
    if (is_bidi(cp)) return "it contains a bidirectional formatting character";
    i += n;
  }
  return "";
}

std::string json_for_terminal(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size();) {
    std::uint32_t cp;
    std::size_t n = decode(json, i, cp);
    if (n == 0) {
      out += "\\ufffd";  // not from a JSON writer; never raw to a terminal
      ++i;
      continue;
    }
    if (is_control(cp) || is_bidi(cp)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out += json.substr(i, n);
    }
    i += n;
  }
  return out;
}

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp;
    std::size_t n = decode(s, i, cp);
    if (n == 0) {
      out += hex_escape(s.substr(i, 1));
      ++i;
      continue;
    }
    if (is_control(cp) || is_bidi(cp))
      out += hex_escape(s.substr(i, n));
    else
      out += s.substr(i, n);
    i += n;
  }
  return out;
}

bool TerminalText::feed(std::span<const std::uint8_t> bytes) {
  for (std::uint8_t c : bytes) {
    if (need_ > 0) {
      if (c < lo_ || c > hi_) return false;
      cp_ = cp_ << 6 | (c & 0x3f);
      lo_ = 0x80;
      hi_ = 0xbf;
      ++partial_;
      if (--need_ == 0) {
        partial_ = 0;
        if (is_control(cp_)) return false;
      }
      continue;
    }
    if (c < 0x80) {
      if (is_control(c) && c != '\t' && c != '\n' && c != '\r') return false;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) {
      need_ = 1;
      cp_ = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need_ = 2;
      cp_ = c & 0x0f;
      if (c == 0xe0) lo_ = 0xa0;
      if (c == 0xed) hi_ = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need_ = 3;
      cp_ = c & 0x07;
      if (c == 0xf0) lo_ = 0x90;
      if (c == 0xf4) hi_ = 0x8f;
    } else {
      return false;
    }
    partial_ = 1;
  }
  return true;
}

std::string utc_time(std::int64_t unix_seconds) {
  if (unix_seconds == 0) return "never";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string_view trim_blanks(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  return s;
}

void for_each_entry_line(std::string_view text,
                         const std::function<void(std::string_view line, int number)>& entry) {
  for (int number = 1; !text.empty(); ++number) {
    std::size_t nl = text.find('\n');
    std::string_view line = trim_blanks(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line[0] != '#') entry(line, number);
  }
}

}  // namespace grypt
