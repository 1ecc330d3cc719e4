// The ArmorReader (what grypt-open runs) over arbitrary text, every form
// (line, block, x, dense), read whole and again a few bytes at a time
// (buffer edges anywhere, chosen by the input): both must find the same
// tokens with the same bytes, errors and extents; and so must the x
// reader's scalar groups and its AVX2 ones. Tokens lie inside the
// text, in order, without overlap, and start at their marker; only an x or
// dense token may be cut short (truncated), anything else that does not
// decode is armor; a token that decodes is exactly the armor of its
// message, as the writer makes it (a block up to CRLF line ends and its
// final line end; x and dense up to the line breaks a site put in, in the
// marker too). Every
// decoded message is also parsed as a message header.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/armor.h"
#include "core/error.h"
#include "core/message.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

namespace {

// Hands out the text in pieces of 1 to 16 bytes, sizes drawn from `seed`.
class Pieces : public grypt::Input {
 public:
  Pieces(std::string_view s, std::uint32_t seed) : s_(s), seed_(seed | 1) {}
  std::size_t read(std::span<std::uint8_t> buf) override {
    seed_ ^= seed_ << 13;
    seed_ ^= seed_ >> 17;
    seed_ ^= seed_ << 5;
    std::size_t n = std::min({buf.size(), s_.size(), std::size_t{1} + seed_ % 16});
    std::memcpy(buf.data(), s_.data(), n);
    s_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view s_;
  std::uint32_t seed_;
};

struct Token {
  std::uint64_t offset, end;
  grypt::ArmorForm form;
  std::vector<std::uint8_t> message;
  std::string error;
  bool operator==(const Token&) const = default;
};

std::vector<Token> read_all(grypt::Input& in) {
  grypt::ArmorReader r(in);
  std::vector<Token> out;
  while (r.next()) {
    Token t{r.offset(), 0, r.form(), {}, {}};
    try {
      std::uint8_t buf[4096];
      for (std::size_t n; (n = r.body().read(buf)) > 0;) t.message.insert(t.message.end(), buf, buf + n);
    } catch (const grypt::OpenError& e) {
      bool dense = t.form == grypt::ArmorForm::x || t.form == grypt::ArmorForm::dense;
      if (e.fault() != grypt::Fault::armor && !(dense && e.fault() == grypt::Fault::truncated)) __builtin_trap();
      t.error = e.what();
      t.message.clear();
    }
    t.end = r.end();
    out.push_back(std::move(t));
  }
  return out;
}

// A block token with LF line ends and a final LF, as armor_block writes it.
// (The END line may also end the text, after a CR or nothing.)
std::string normalise_block(std::string_view tok) {
  std::string out;
  for (std::size_t i = 0; i < tok.size(); ++i)
    if (!(tok[i] == '\r' && i + 1 < tok.size() && tok[i + 1] == '\n')) out += tok[i];
  if (!out.empty() && out.back() == '\r') out.pop_back();
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

// An x or dense token without the line breaks a site put in.
std::string unwrap(std::string_view tok) {
  std::string out;
  for (std::size_t i = 0; i < tok.size(); ++i)
    if (tok[i] != '\n' && !(tok[i] == '\r' && i + 1 < tok.size() && tok[i + 1] == '\n')) out += tok[i];
  return out;
}

std::string_view marker(grypt::ArmorForm f) {
  switch (f) {
    case grypt::ArmorForm::block: return grypt::armor_begin;
    case grypt::ArmorForm::x: return grypt::armor_x_marker;
    case grypt::ArmorForm::dense: return grypt::armor_dense_marker;
    default: return grypt::armor_prefix;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  grypt::MemoryInput whole({data, size});
  std::vector<Token> tokens = read_all(whole);
  std::uint32_t seed = 2166136261u;
  for (std::size_t i = 0; i < size; ++i) seed = (seed ^ data[i]) * 16777619u;
  Pieces pieces(text, seed);
  if (read_all(pieces) != tokens) __builtin_trap();  // depends on where reads end
  // The x reader's slower paths (scalar, and AVX2 where the processor has
  // it) answer as the fastest one did.
  for (grypt::ArmorXPath path : {grypt::ArmorXPath::scalar, grypt::ArmorXPath::avx2}) {
    if (!grypt::armor_x_path(path)) continue;
    grypt::MemoryInput again({data, size});
    const bool same = read_all(again) == tokens;
    grypt::armor_x_fastest_path();
    if (!same) __builtin_trap();
  }
  std::uint64_t prev_end = 0;
  for (const Token& t : tokens) {
    if (t.offset < prev_end || t.end < t.offset || t.end > size) __builtin_trap();
    prev_end = t.end;
    std::string_view tok = text.substr(t.offset, t.end - t.offset);
    bool dense = t.form == grypt::ArmorForm::x || t.form == grypt::ArmorForm::dense;
    // (A site may wrap a line inside an x or dense marker.)
    if (!(dense ? unwrap(tok.substr(0, 12)) : std::string(tok)).starts_with(marker(t.form))) __builtin_trap();
    if (!t.error.empty()) continue;
    std::string want = grypt::armor_text(t.message, t.form);
    std::string got = t.form == grypt::ArmorForm::block  ? normalise_block(tok)
                      : t.form == grypt::ArmorForm::line ? std::string(tok)
                                                         : unwrap(tok);
    if (want != got) __builtin_trap();  // a second text form of the same message
    try {
      (void)grypt::MessageHeader::decode(t.message);
    } catch (const grypt::Error&) {
    }
  }
  return 0;
}
