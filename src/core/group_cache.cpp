#include "core/group_cache.h"

#include <algorithm>
#include <cstring>

#include "core/bytes.h"
#include "core/error.h"
#include "core/text.h"

namespace grypt {
namespace {

constexpr std::uint8_t chain_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'C', 'H', 0x01};
constexpr std::uint8_t roster_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'R', 'S', 0x01};
constexpr std::uint8_t fork_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'F', 'K', 0x01};

}  // namespace

std::vector<GroupEntry> parse_groups_file(std::string_view text, const std::string& path) {
  std::vector<GroupEntry> out;
  for_each_entry_line(text, [&](std::string_view line, int number) {
    std::string where = path + " line " + std::to_string(number);
    std::size_t sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) throw FormatError(where + ": expected \"NAME REFERENCE\"");
    std::string name(line.substr(0, sp));
    std::string_view ref = trim_blanks(line.substr(sp));
    std::string_view note;
    if (std::size_t end = ref.find_first_of(" \t"); end != std::string_view::npos) {
      note = trim_blanks(ref.substr(end));
      ref = ref.substr(0, end);
    }
    if (std::string d = group_name_defect(name); !d.empty())
      throw FormatError(where + ": invalid group name: " + d);
    if (std::string d = join_note_defect(note); !note.empty() && !d.empty())
      throw FormatError(where + ": the note: " + d);
    GroupEntry e{name, {}, std::string(note)};
    try {
      e.reference = GroupReference::parse(ref);
    } catch (const FormatError& err) {
      throw FormatError(where + ": " + err.what());
    }
    for (const GroupEntry& seen : out)
      if (seen.name == name) throw FormatError(where + ": " + name + " appears twice");
    out.push_back(std::move(e));
  });
  return out;
}

std::string format_groups_file(const std::vector<GroupEntry>& groups) {
  std::string out = "# grypt groups: \"NAME REFERENCE\" per line (see gryptd(1)).\n";
  for (const GroupEntry& g : groups)
    out += g.name + " " + g.reference.to_string() + (g.note.empty() ? "" : " " + g.note) + "\n";
  return out;
}

namespace {

// The epoch key in `box`, if it opens from the state's signer and matches
// the state's commitment.
std::optional<SecretBytes> open_checked(std::span<const std::uint8_t> box, const GroupState& s,
                                        const GroupId& group, const Identity& member) {
  std::optional<SecretBytes> key = open_epoch_box(box, member, s.signer);
  if (!key || epoch_commitment(key->span(), group, s.epoch) != s.commitment) return std::nullopt;
  return key;
}

}  // namespace

Placed GroupChain::take(std::span<const std::uint8_t> state, std::span<const std::uint8_t> box,
                        const Identity& member) {
  using R = ChainCheck::Result;
  Placed p;
  try {
    p.state = GroupState::decode(state);
  } catch (const FormatError&) {
    p.result = R::bad_format;
    return p;
  }
  // The pinned key is known by its fingerprint: take the signer the state
  // names only if it is that key.
  if (p.state.group != group_) p.result = R::wrong_group;
  else if (p.state.signer.fingerprint() != pinned_) p.result = R::bad_signer;
  else if (!p.state.verify()) p.result = R::bad_signature;
  if (p.result != R::accepted) return p;
  const Epoch e = p.state.epoch;
  std::optional<SecretBytes> key;
  if (!box.empty() && !(key = open_checked(box, p.state, group_, member))) {
    p.result = R::key_mismatch;
    return p;
  }
  if (const GroupState* mine = this->state(e)) {
    if (mine->encode() != p.state.encode()) {
      p.result = R::forked;
      p.conflict = *mine;
      return p;
    }
    if (key && !keys_.count(e.value())) {
      boxes_[e.value() - states_.front().epoch.value()].assign(box.begin(), box.end());
      keys_[e.value()] = std::move(*key);
      p.how = Placed::How::key_added;
    }
    return p;
  }
  if (states_.empty() || e == head().epoch.next()) {
    if (!states_.empty() && p.state.previous != head().hash()) p.result = R::bad_previous;
    else p.how = Placed::How::appended;
  } else if (e.next() == oldest().epoch) {
    // Verified backward: the oldest state held names this one's hash.
    if (oldest().previous != p.state.hash()) p.result = R::bad_previous;
    else p.how = Placed::How::prepended;
  } else {
    p.result = R::not_next;
  }
  if (p.result != R::accepted) return p;
  std::vector<std::uint8_t> kept(box.begin(), box.end());
  if (p.how == Placed::How::appended) {
    states_.push_back(p.state);
    boxes_.push_back(std::move(kept));
  } else {
    states_.push_front(p.state);
    boxes_.push_front(std::move(kept));
  }
  if (key) keys_[e.value()] = std::move(*key);
  return p;
}

ChainCheck::Result GroupChain::append(std::span<const std::uint8_t> state,
                                      std::span<const std::uint8_t> box, const Identity& member) {
  if (!states_.empty() && state.size() == state_bytes &&
      Epoch(get_be32(&state[16])) != head().epoch.next())
    return ChainCheck::Result::not_next;
  Placed p = take(state, box, member);
  if (p.result == ChainCheck::Result::accepted && p.how != Placed::How::appended)
    return ChainCheck::Result::not_next;
  return p.result;
}

std::vector<std::pair<Epoch, Epoch>> GroupChain::lacking() const {
  std::vector<std::pair<Epoch, Epoch>> out;
  for (const GroupState& s : states_) {
    if (keys_.count(s.epoch.value())) continue;
    if (!out.empty() && out.back().second.next() == s.epoch) out.back().second = s.epoch;
    else out.emplace_back(s.epoch, s.epoch);
  }
  return out;
}

std::vector<std::uint8_t> GroupChain::encode() const {
  std::vector<std::uint8_t> f(chain_magic, chain_magic + 8);
  f.resize(16);
  put_be64(&f[8], static_cast<std::uint64_t>(confirmed));
  for (std::size_t i = 0; i < states_.size(); ++i) {
    auto s = states_[i].encode();
    f.insert(f.end(), s.begin(), s.end());
    f.push_back(static_cast<std::uint8_t>(boxes_[i].size()));
    f.insert(f.end(), boxes_[i].begin(), boxes_[i].end());
  }
  return f;
}

GroupChain GroupChain::decode(std::span<const std::uint8_t> f, const GroupId& group,
                              const Fingerprint& pinned, const Identity& member,
                              const std::string& path) {
  if (f.size() < 16) throw OpenError(Fault::truncated, path + " is truncated");
  if (std::memcmp(f.data(), chain_magic, 8) != 0)
    throw OpenError(Fault::header, path + " is not a grypt chain file");
  GroupChain c(group, pinned);
  c.confirmed = static_cast<std::int64_t>(get_be64(&f[8]));
  std::size_t at = 16;
  while (at < f.size()) {
    if (f.size() - at < state_bytes + 1) throw OpenError(Fault::truncated, path + " is truncated");
    auto state = f.subspan(at, state_bytes);
    std::size_t k = f[at + state_bytes];
    if (k != 0 && k != epoch_box_bytes)
      throw OpenError(Fault::header, path + " is damaged: a box of " + std::to_string(k) + " bytes");
    if (f.size() - at - state_bytes - 1 < k) throw OpenError(Fault::truncated, path + " is truncated");
    auto box = f.subspan(at + state_bytes + 1, k);
    ChainCheck::Result r = c.append(state, box, member);
    if (r != ChainCheck::Result::accepted)
      throw OpenError(Fault::auth, path + " is damaged: epoch " +
                                       std::to_string(get_be32(&state[16])) + ": " +
                                       chain_result_text(r));
    at += state_bytes + 1 + k;
  }
  return c;
}

std::optional<Epoch> GroupChain::newest_key() const {
  if (keys_.empty()) return std::nullopt;
  return Epoch(keys_.rbegin()->first);
}

const SecretBytes* GroupChain::key(Epoch e) const {
  auto it = keys_.find(e.value());
  return it == keys_.end() ? nullptr : &it->second;
}

const GroupState* GroupChain::state(Epoch e) const {
  if (states_.empty() || e < states_.front().epoch || e > states_.back().epoch) return nullptr;
  return &states_[e.value() - states_.front().epoch.value()];
}

std::vector<std::uint8_t> encode_fork(const Fork& f) {
  std::vector<std::uint8_t> out(fork_magic, fork_magic + 8);
  for (const GroupState* s : {&f.held, &f.other}) {
    auto b = s->encode();
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

Fork decode_fork(std::span<const std::uint8_t> f, const GroupId& group, const Fingerprint& pinned,
                 const std::string& path) {
  auto damaged = [&](const std::string& why) { return OpenError(Fault::auth, path + " is damaged: " + why); };
  if (f.size() != 8 + 2 * state_bytes || std::memcmp(f.data(), fork_magic, 8) != 0)
    throw damaged("not a fork file");
  Fork k;
  try {
    k.held = GroupState::decode(f.subspan(8, state_bytes));
    k.other = GroupState::decode(f.subspan(8 + state_bytes, state_bytes));
  } catch (const FormatError& e) {
    throw damaged(e.what());
  }
  for (const GroupState* s : {&k.held, &k.other})
    if (s->group != group || s->signer.fingerprint() != pinned || !s->verify())
      throw damaged("a state that is not signed by the pinned key for this group");
  if (k.held.epoch != k.other.epoch || k.held.encode() == k.other.encode())
    throw damaged("not two different states of one epoch");
  return k;
}

std::vector<std::uint8_t> encode_roster(Epoch epoch, const std::vector<RosterEntry>& members) {
  std::vector<std::uint8_t> f(roster_magic, roster_magic + 8);
  f.resize(16);
  put_be32(&f[8], epoch.value());
  put_be32(&f[12], static_cast<std::uint32_t>(members.size()));
  for (const RosterEntry& m : members) {
    f.insert(f.end(), m.key.bytes().begin(), m.key.bytes().end());
    f.push_back(static_cast<std::uint8_t>(m.name.size()));
    f.insert(f.end(), m.name.begin(), m.name.end());
  }
  return f;
}

std::vector<RosterEntry> decode_roster(std::span<const std::uint8_t> f, Epoch epoch,
                                       const StateHash& digest, const std::string& path) {
  auto damaged = [&](const std::string& why) { return OpenError(Fault::auth, path + " is damaged: " + why); };
  if (f.size() < 16 || std::memcmp(f.data(), roster_magic, 8) != 0) throw damaged("not a roster file");
  if (Epoch(get_be32(&f[8])) != epoch) throw damaged("it is the roster of another epoch");
  std::size_t n = get_be32(&f[12]), at = 16;
  std::vector<RosterEntry> out;
  for (std::size_t i = 0; i < n; ++i) {
    if (f.size() - at < 65) throw damaged("truncated");
    RosterEntry e;
    // The digest, checked below against the signed state, covers every key.
    e.key = PublicKey::from_trusted_bytes(f.subspan(at).first<public_key_bytes>());
    std::size_t len = f[at + 64];
    if (f.size() - at - 65 < len) throw damaged("truncated");
    e.name.assign(reinterpret_cast<const char*>(&f[at + 65]), len);
    at += 65 + len;
    out.push_back(std::move(e));
  }
  if (at != f.size()) throw damaged("trailing data");
  if (roster_digest(out) != digest) throw damaged("it does not match the state of its epoch");
  return out;
}

}  // namespace grypt
