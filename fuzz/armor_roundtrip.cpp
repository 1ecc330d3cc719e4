// The ArmorWriter and the ArmorReader against each other, every text form:
// the input is a message and a few bytes that choose the form, the sizes
// of the writes, the text around the token, where a site wraps its lines
// (x and dense) and whether, where and how a site cut it short. A token
// written whole is read back to exactly its message, at its offset; an x
// or dense token cut anywhere is either no token at all (the cut left no
// character after the marker) or reported as cut short (truncated), never
// as damaged, and a token after it on the next line is not lost.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/armor.h"
#include "core/error.h"
#include "core/secret.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

namespace {

using grypt::ArmorForm;

struct Token {
  std::uint64_t offset = 0;
  bool ok = true;
  grypt::Fault fault = grypt::Fault::armor;
  std::vector<std::uint8_t> message;
};

std::vector<Token> read_all(std::string_view text) {
  grypt::MemoryInput in(grypt::as_bytes(text));
  grypt::ArmorReader r(in);
  std::vector<Token> out;
  while (r.next()) {
    Token t;
    t.offset = r.offset();
    try {
      std::uint8_t buf[1000];
      for (std::size_t n; (n = r.body().read(buf)) > 0;) t.message.insert(t.message.end(), buf, buf + n);
    } catch (const grypt::OpenError& e) {
      t.ok = false;
      t.fault = e.fault();
    }
    out.push_back(std::move(t));
  }
  return out;
}

// A line break after every `every` characters past the marker.
std::string wrap(std::string_view token, std::size_t marker, std::size_t every, std::string_view nl) {
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const ArmorForm forms[] = {ArmorForm::line, ArmorForm::block, ArmorForm::x, ArmorForm::dense};
  ArmorForm form = forms[data[0] & 3];
  bool dense = form == ArmorForm::x || form == ArmorForm::dense;
  std::size_t piece = 1 + data[1] % 64;
  std::size_t every = data[2] & 0x7f;  // 0: no wrapping
  bool crlf = data[2] & 0x80;
  std::uint8_t cut = data[3];
  std::vector<std::uint8_t> m(data + 4, data + size);
  if (form == ArmorForm::line && (m.empty() || m[0] >> 4 != 1)) m.insert(m.begin(), 0x11);  // not prose
  if (form == ArmorForm::block && m.empty()) m.push_back(0x10);  // an empty block is no message

  grypt::MemoryOutput out;
  grypt::ArmorWriter w(out, form);
  for (std::size_t i = 0; i < m.size(); i += piece) w.write(std::span(m).subspan(i, std::min(piece, m.size() - i)));
  w.finish();
  std::string token(out.data.begin(), out.data.end());
  if (token != grypt::armor_text(m, form) + (form == ArmorForm::block ? "" : "\n")) __builtin_trap();
  if (form != ArmorForm::block) token.pop_back();
  std::size_t marker = form == ArmorForm::x ? grypt::armor_x_marker.size()
                       : form == ArmorForm::dense ? grypt::armor_dense_marker.size()
                                                  : 0;
  if (dense && every != 0) token = wrap(token, marker, every, crlf ? "\r\n" : "\n");
  const std::string before = "posted: ";

  if (!dense || cut == 0) {
    std::string text = before + token + (form == ArmorForm::block ? "" : " (more)\n");
    if (form == ArmorForm::block) text = "posted:\n" + token;
    auto found = read_all(text);
    if (found.size() != 1 || !found[0].ok || found[0].message != m) __builtin_trap();
    if (found[0].offset != (form == ArmorForm::block ? 8 : before.size())) __builtin_trap();
    return 0;
  }
  // Cut after the marker, at a byte chosen by `cut`, then what a site adds.
  const char* after[] = {"", "\xe2\x80\xa6", "\xe2\x80\xa6Show more", " Show more", "...", "\n\nnext",
                         "\nnext paragraph", "\r\n"};
  std::size_t at = marker + (token.size() - marker) * (cut & 0x1f) / 32;
  std::string next = grypt::armor_text(m, form);
  std::string text = before + token.substr(0, at) + after[(cut >> 5) & 7] + "\n" + next + "\n";
  auto found = read_all(text);
  // The last token found is the whole one on the next line.
  if (found.empty() || !found.back().ok || found.back().message != m) __builtin_trap();
  if (found.size() == 2 && (found[0].ok || found[0].fault != grypt::Fault::truncated)) __builtin_trap();
  if (found.size() > 2) __builtin_trap();
  return 0;
}
