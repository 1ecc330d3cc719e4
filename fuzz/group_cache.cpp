// What gryptd and the tools read from the group cache (grypt.5, DAEMON
// CACHE), each parser on the whole input: GroupChain::decode for the fixed
// group, pinned server key and member (fixtures.h), decode_roster for the
// fixed roster's epoch and digest, GroupState::decode, parse_groups_file
// and GroupReference::parse.
//
// Checks: what decodes encodes back to exactly the input (a chain, a
// roster, a state, a reference); a decoded chain holds consecutive epochs
// of the group, signed by the pinned key, each extending the one before,
// and every epoch key it opened matches its state's commitment; a groups
// file formats to one that parses and formats the same. Only grypt::Error
// may escape.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/group.h"
#include "core/group_cache.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

namespace {

namespace fz = grypt::fuzz;
using Span = std::span<const std::uint8_t>;

bool same(const std::vector<std::uint8_t>& a, Span b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

void check_chain(const grypt::GroupChain& c, Span file) {
  if (!same(c.encode(), file)) __builtin_trap();
  if (c.empty()) {
    if (file.size() != 16 || c.newest_key()) __builtin_trap();
    return;
  }
  const grypt::GroupState& head = c.head();
  const grypt::GroupState* prev = nullptr;
  std::uint32_t first = grypt::get_be32(&file[16 + 16]);
  for (std::uint64_t e = first; e <= head.epoch.value(); ++e) {
    const grypt::GroupState* s = c.state(grypt::Epoch(static_cast<std::uint32_t>(e)));
    if (s == nullptr || s->epoch.value() != e || s->group != fz::group_id() ||
        s->signer.fingerprint() != fz::pinned() || !s->verify())
      __builtin_trap();
    if (prev != nullptr && s->previous != prev->hash()) __builtin_trap();
    if (const grypt::SecretBytes* k = c.key(s->epoch))
      if (grypt::epoch_commitment(k->span(), fz::group_id(), s->epoch) != s->commitment)
        __builtin_trap();
    prev = s;
  }
  if (auto newest = c.newest_key(); newest && (newest->value() < first || *newest > head.epoch))
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Span input(data, size);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    grypt::GroupChain c =
        grypt::GroupChain::decode(input, fz::group_id(), fz::pinned(), fz::identity(), "fuzz-chain");
    check_chain(c, input);
  } catch (const grypt::Error&) {
  }
  try {
    grypt::Epoch epoch(fz::roster_epoch);
    std::vector<grypt::RosterEntry> r =
        grypt::decode_roster(input, epoch, fz::roster_hash(), "fuzz-roster");
    if (!same(grypt::encode_roster(epoch, r), input)) __builtin_trap();
  } catch (const grypt::Error&) {
  }
  try {
    grypt::GroupState s = grypt::GroupState::decode(input);
    auto back = s.encode();
    if (!same({back.begin(), back.end()}, input)) __builtin_trap();
    (void)s.verify();
  } catch (const grypt::Error&) {
  }
  std::optional<std::vector<grypt::GroupEntry>> groups;
  try {
    groups = grypt::parse_groups_file(text, "fuzz-groups");
  } catch (const grypt::Error&) {
  }
  if (groups) {
    std::string f = grypt::format_groups_file(*groups);
    try {
      std::vector<grypt::GroupEntry> back = grypt::parse_groups_file(f, "fuzz-groups");
      if (back.size() != groups->size() || grypt::format_groups_file(back) != f) __builtin_trap();
    } catch (const grypt::Error&) {
      __builtin_trap();  // format_groups_file wrote what parse_groups_file refuses
    }
  }
  try {
    grypt::GroupReference r = grypt::GroupReference::parse(text);
    if (r.to_string() != text) __builtin_trap();
  } catch (const grypt::Error&) {
  }
  return 0;
}
