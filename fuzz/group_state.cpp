// The parsers of group protocol version 2 that take what a server or
// another member sends about a group (grypt-protocol.7), each on the whole
// input:
//
//   - a state record, state (480) || ephemeral (32) || box (48, optional):
//     GroupState::decode; a state signed by a key of fixtures.h is signed
//     again (the fuzzer cannot forge signatures, so the checks after the
//     signature's are reached), then checked with check_next against the
//     fixed chain's state and roster of the epoch before, and taken by
//     GroupChain::take onto the fixed identity's chain of the fixed group
//     (epochs 1 to 7): the next epoch, a state held (with or without its
//     key) or a fork;
//   - JoinRequest::decode; decode_fork against the fixed chain;
//     ServerReference::parse; MoveStatement::parse.
//
// Checks: check_next takes back what it refused, and its undo restores the
// roster; take changes nothing unless it accepts, accepts only the next
// epoch or a key for a state held, and an appended chain encodes to a file
// that decodes to it; a fork holds two different states of one held epoch
// and encodes back to the input; a join request that decodes is, signed
// again by its key when that is a fixed one, the input; a reference prints
// back as given. Only grypt::Error may escape.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/epoch_box.h"
#include "core/error.h"
#include "core/group.h"
#include "core/group_cache.h"
#include "core/join_request.h"
#include "core/move_statement.h"
#include "core/reference.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

namespace {

namespace fz = grypt::fuzz;
using Span = std::span<const std::uint8_t>;

// The roster after each epoch of the fixed chain (index e - 1).
const std::vector<grypt::Roster>& rosters() {
  static const std::vector<grypt::Roster> r = [] {
    std::vector<grypt::Roster> out;
    const auto& states = fz::fixed_chain().states;
    grypt::Roster roster;
    if (grypt::check_genesis(states[0], fz::group_id(), roster) != grypt::StateFault::none) __builtin_trap();
    out.push_back(roster);
    for (std::size_t i = 1; i < states.size(); ++i) {
      if (grypt::check_next(states[i - 1], states[i], std::string(fz::group_name), roster) !=
          grypt::StateFault::none)
        __builtin_trap();
      out.push_back(roster);
    }
    return out;
  }();
  return r;
}

// The fixed identity's chain of the whole fixed group, without the history
// boxes (so that epochs 1 and 2 lack their keys); made again after a take
// changed it.
std::optional<grypt::GroupChain> g_chain;
std::vector<std::uint8_t> g_chain_file;

grypt::GroupChain& chain() {
  if (!g_chain) {
    g_chain.emplace(fz::group_id(), std::string(fz::group_name));
    for (const grypt::StateRecord& r : fz::fixed_chain().records)
      if (g_chain->take(r, fz::identity()).fault != grypt::StateFault::none) __builtin_trap();
    g_chain_file = g_chain->encode();
  }
  return *g_chain;
}

void check_next_state(const grypt::GroupState& s) {
  const auto& states = fz::fixed_chain().states;
  std::uint32_t e = s.epoch.value();
  if (e < 2 || e > states.size() + 1) return;
  grypt::Roster roster = rosters()[e - 2];
  const grypt::StateHash before = roster.digest();
  std::string why;
  std::function<void()> undo;
  grypt::StateFault f = grypt::check_next(states[e - 2], s, std::string(fz::group_name), roster, &why, &undo);
  if (f != grypt::StateFault::none) {
    if (roster.digest() != before) __builtin_trap();  // a refused change left in the roster
    return;
  }
  if (roster.digest() != s.roster) __builtin_trap();
  // The signer was an admin of the roster before; only a removal takes it
  // out of the roster after.
  if (roster.admins() == 0 || (s.change != grypt::Change::remove && !roster.find(s.signer))) __builtin_trap();
  undo();
  if (roster.digest() != before) __builtin_trap();
}

void take_state(const grypt::StateRecord& r, const grypt::GroupState& s) {
  grypt::GroupChain& c = chain();
  const grypt::Epoch head = c.head().epoch;
  const bool had_key = c.key(s.epoch) != nullptr;
  grypt::Placed p = c.take(r, fz::identity());
  if (p.fault != grypt::StateFault::none) {
    if (c.encode() != g_chain_file) __builtin_trap();  // a refused state changed the chain
    if (p.fault == grypt::StateFault::forked &&
        (!p.conflict || p.conflict->epoch != s.epoch || p.conflict->encode() == s.encode()))
      __builtin_trap();
    return;
  }
  switch (p.how) {
    case grypt::Placed::How::held:
      if (c.encode() != g_chain_file) __builtin_trap();
      return;
    case grypt::Placed::How::key_added:
      if (had_key || s.epoch > head || c.key(s.epoch) == nullptr) __builtin_trap();
      break;
    case grypt::Placed::How::appended:
      if (s.epoch != head.next() || c.head().encode() != s.encode() || c.hash(s.epoch) != s.hash())
        __builtin_trap();
      break;
  }
  std::vector<std::uint8_t> file = c.encode();
  try {
    grypt::GroupChain d = grypt::GroupChain::decode(file, fz::group_id(), std::string(fz::group_name),
                                                    fz::identity(), "fuzz-chain");
    if (d.encode() != file) __builtin_trap();
  } catch (const grypt::Error&) {
    __builtin_trap();  // a chain that took a state cannot be read back
  }
  g_chain.reset();
}

void state_record(Span input) {
  if (input.size() < grypt::state_bytes) return;
  grypt::GroupState s;
  try {
    s = grypt::GroupState::decode(input.first(grypt::state_bytes));
  } catch (const grypt::Error&) {
    return;
  }
  auto bytes = s.encode();
  if (!std::equal(bytes.begin(), bytes.end(), input.begin())) __builtin_trap();
  if (const grypt::Identity* id = fz::known_identity(s.signer)) {
    bytes = s.sign(*id);
    if (!s.verify()) __builtin_trap();
  }
  check_next_state(s);
  grypt::StateRecord r{{bytes.begin(), bytes.end()}, {}, {}};
  Span rest = input.subspan(grypt::state_bytes);
  if (rest.size() >= 32) {
    std::copy(rest.begin(), rest.begin() + 32, r.ephemeral.begin());
    rest = rest.subspan(32);
  }
  r.box.assign(rest.begin(), rest.end());
  take_state(r, s);
}

void join_request(Span input) {
  grypt::JoinRequest r;
  try {
    r = grypt::JoinRequest::decode(input);
  } catch (const grypt::Error&) {
    return;
  }
  if (r.time < 0 || r.note.size() > grypt::max_note_bytes) __builtin_trap();
  if (const grypt::Identity* id = fz::known_identity(r.key)) {
    std::vector<std::uint8_t> again;
    try {
      again = r.sign(*id);
    } catch (const grypt::Error&) {
      __builtin_trap();  // a request that decodes cannot be made
    }
    if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) __builtin_trap();
  }
}

void fork(Span input) {
  grypt::Fork f;
  try {
    f = grypt::decode_fork(input, chain(), "fuzz-fork");
  } catch (const grypt::Error&) {
    return;
  }
  if (f.held.epoch != f.other.epoch || f.held.encode() == f.other.encode() || !chain().state(f.held.epoch))
    __builtin_trap();
  std::vector<std::uint8_t> again = grypt::encode_fork(f);
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) __builtin_trap();
}

// A move statement that parses names two keys with different Ed25519 halves
// and a time that fits.
void move_statement(std::string_view text) {
  grypt::MoveStatement m;
  try {
    m = grypt::MoveStatement::parse(text);
  } catch (const grypt::Error&) {
    return;
  }
  if (m.time < 0 || std::equal(m.from.ed25519().begin(), m.from.ed25519().end(), m.to.ed25519().begin()))
    __builtin_trap();
}

void server_reference(std::string_view text) {
  try {
    grypt::ServerReference r = grypt::ServerReference::parse(text);
    if (r.to_string() != text || r.endpoints.empty() || r.endpoints.size() > grypt::max_endpoints)
      __builtin_trap();
  } catch (const grypt::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Span input(data, size);
  state_record(input);
  join_request(input);
  fork(input);
  server_reference(std::string_view(reinterpret_cast<const char*>(data), size));
  move_statement(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
