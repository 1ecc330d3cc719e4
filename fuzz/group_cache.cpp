// What gryptd and the tools read from the group cache (grypt.5, DAEMON
// CACHE), each parser on the whole input: GroupChain::decode for the fixed
// group and member (fixtures.h), GroupState::decode, parse_groups_file and
// GroupReference::parse.
//
// Checks: what decodes encodes back to exactly the input (a chain of
// state records, a state, a reference; a chain with history records to a
// file that decodes to itself); a decoded chain holds consecutive epochs from the
// genesis of the fixed group, each signed, linked to the one before and
// named as the group, every epoch key it opened matches its state's
// commitment, and the epochs it says it lacks are exactly those without a
// key; a groups file formats to one that parses and formats the same. Only
// grypt::Error may escape.
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

// Whether the chain file is state records only (no history record).
bool states_only(Span f) {
  for (std::size_t at = 16; at < f.size();) {
    if (f[at] != 1 || f.size() - at < 1 + grypt::state_bytes + 33) return false;
    at += 1 + grypt::state_bytes + 33 + f[at + grypt::state_bytes + 33];
  }
  return true;
}

void check_chain(const grypt::GroupChain& c, Span file) {
  // The encoding is canonical for states; history records are written
  // after them, once per epoch whose key they gave: the encoding of a file
  // with history records decodes to itself.
  std::vector<std::uint8_t> again = c.encode();
  if (states_only(file)) {
    if (!same(again, file)) __builtin_trap();
  } else {
    try {
      grypt::GroupChain d = grypt::GroupChain::decode(again, fz::group_id(), std::string(fz::group_name),
                                                      fz::identity(), "fuzz-chain-again");
      if (d.encode() != again || again.size() > file.size()) __builtin_trap();
    } catch (const grypt::Error&) {
      __builtin_trap();  // encode wrote what decode refuses
    }
  }
  if (c.empty()) {
    if (again.size() != 16 || c.newest_key()) __builtin_trap();
    return;
  }
  const grypt::GroupState& head = c.head();
  const grypt::GroupState* prev = nullptr;
  std::vector<std::pair<grypt::Epoch, grypt::Epoch>> lacking;
  for (std::uint32_t e = 1; e <= head.epoch.value(); ++e) {
    const grypt::GroupState* s = c.state(grypt::Epoch(e));
    grypt::GroupId id = e == 1 ? grypt::GroupId{} : fz::group_id();
    if (s == nullptr || s->epoch.value() != e || s->group != id || s->group_name != fz::group_name ||
        !s->verify() || c.hash(s->epoch) != s->hash())
      __builtin_trap();
    if (prev != nullptr && s->previous != prev->hash()) __builtin_trap();
    if (e == 1 && grypt::group_id_of(*s) != fz::group_id()) __builtin_trap();
    if (const grypt::SecretBytes* k = c.key(s->epoch)) {
      if (grypt::epoch_commitment(k->span(), id, s->epoch) != s->commitment) __builtin_trap();
    } else if (!lacking.empty() && lacking.back().second.next() == s->epoch) {
      lacking.back().second = s->epoch;
    } else {
      lacking.emplace_back(s->epoch, s->epoch);
    }
    prev = s;
  }
  if (c.lacking() != lacking) __builtin_trap();
  if (auto newest = c.newest_key(); newest && *newest > head.epoch) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Span input(data, size);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    grypt::GroupChain c = grypt::GroupChain::decode(input, fz::group_id(), std::string(fz::group_name),
                                                    fz::identity(), "fuzz-chain");
    check_chain(c, input);
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
