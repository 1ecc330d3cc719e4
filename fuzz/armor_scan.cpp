// scan_armor over arbitrary text; every token that decodes is also parsed as
// a message header. Checks the scanner's invariants: tokens lie inside the
// text, in order, without overlap, and start at their marker; and since the
// decoding is canonical, a token that decodes is exactly the armor of its
// message: armor_line for a line, armor_block for a block up to CRLF line
// ends and the final line end.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/armor.h"
#include "core/error.h"
#include "core/message.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

// A block token with LF line ends and a final LF, as armor_block writes it.
// (The END line may also end the text, after a CR or nothing.)
static std::string normalise_block(std::string_view tok) {
  std::string out;
  for (std::size_t i = 0; i < tok.size(); ++i)
    if (!(tok[i] == '\r' && i + 1 < tok.size() && tok[i + 1] == '\n')) out += tok[i];
  if (!out.empty() && out.back() == '\r') out.pop_back();
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<grypt::ArmorToken> tokens = grypt::scan_armor(text);
  std::size_t prev_end = 0;
  for (const grypt::ArmorToken& t : tokens) {
    if (t.offset < prev_end || t.offset > text.size() || t.length > text.size() - t.offset)
      __builtin_trap();  // out of bounds or overlapping
    prev_end = t.offset + t.length;
    std::string_view tok = text.substr(t.offset, t.length);
    bool is_line = tok.starts_with(grypt::armor_prefix);
    if (!is_line && !tok.starts_with(grypt::armor_begin)) __builtin_trap();
    if (!t.error.empty()) continue;
    if (is_line ? grypt::armor_line(t.message) != tok
                : grypt::armor_block(t.message) != normalise_block(tok))
      __builtin_trap();  // a second text form of the same message
    try {
      (void)grypt::MessageHeader::decode(t.message);
    } catch (const grypt::Error&) {
    }
  }
  return 0;
}
