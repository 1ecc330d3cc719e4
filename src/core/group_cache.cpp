#include "core/group_cache.h"

#include <algorithm>
#include <cstring>

#include "core/bytes.h"
#include "core/error.h"
#include "core/file.h"
#include "core/text.h"

namespace grypt {
namespace {

constexpr std::uint8_t chain_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'C', 'H', 0x02};
constexpr std::uint8_t fork_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'F', 'K', 0x02};
constexpr std::uint8_t state_record = 0x01, history_record = 0x02;

}  // namespace

std::vector<GroupEntry> load_groups_file(const std::string& path) {
  if (!file_exists(path)) return {};
  SecretBytes text = read_secret_file(path, 1 << 20, {.access = Access::owner});
  return parse_groups_file(text.view(), path);
}

void save_groups_file(const std::string& path, const std::vector<GroupEntry>& groups) {
  make_dirs(dir_name(path));
  write_file_atomic(path, as_bytes(format_groups_file(groups)), 0600);
}

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

StateFault GroupChain::fork_defect(const GroupState& s) const {
  const Epoch e = s.epoch;
  if (e.value() < 2 || !state(Epoch(e.value() - 1))) return StateFault::not_next;
  if (s.group != group_) return StateFault::other_group;
  if (s.previous != hash(Epoch(e.value() - 1))) return StateFault::bad_previous;
  if (!s.verify()) return StateFault::bad_signature;
  for (const Membership& m : members_at(Epoch(e.value() - 1), s.signer.key_id()))
    if (m.key == s.signer && m.role == Role::admin) return StateFault::none;
  return StateFault::not_admin;
}

Placed GroupChain::take(const StateRecord& r, const Identity* member) {
  Placed p;
  try {
    p.state = GroupState::decode(r.state);
  } catch (const FormatError& e) {
    p.fault = StateFault::malformed;
    p.why = e.what();
    return p;
  }
  if (!r.box.empty() && r.box.size() != box_bytes) {
    p.fault = StateFault::malformed;
    p.why = "a box of " + std::to_string(r.box.size()) + " bytes";
    return p;
  }
  const Epoch e = p.state.epoch;
  if (const GroupState* mine = state(e)) {
    if (mine->encode() != p.state.encode()) {
      // Another state for an epoch held is a fork only if an administrator
      // of the epoch before signed it onto the same chain: anything else is
      // a bad state, which the server alone can make.
      p.fault = fork_defect(p.state);
      if (p.fault == StateFault::none) {
        p.fault = StateFault::forked;
        p.conflict = *mine;
      }
      return p;
    }
    if (!r.box.empty() && !keys_.count(e.value()) && member) {
      std::optional<SecretBytes> key = open_box(r.box, *member, r.ephemeral, hash(e));
      if (!key || epoch_commitment(key->span(), group_of(e), e) != mine->commitment) {
        p.fault = StateFault::key_mismatch;
        return p;
      }
      // The box opened with this delivery's ephemeral key: both are kept,
      // so that the chain file opens it again (the first delivery's may
      // have been another).
      records_[e.value() - 1].box = r.box;
      records_[e.value() - 1].ephemeral = r.ephemeral;
      keys_[e.value()] = std::move(*key);
      p.how = Placed::How::key_added;
    }
    return p;
  }
  if (!states_.empty() && e != head().epoch.next()) {
    p.fault = StateFault::not_next;
    return p;
  }
  // The roster moves on when the state is valid; the box is checked last,
  // and a box that fails takes that back.
  std::function<void()> undo = [] {};
  if (states_.empty()) {
    if (e != Epoch(1)) {
      p.fault = StateFault::not_next;
      return p;
    }
    Roster first;
    p.fault = check_genesis(p.state, group_, first);
    if (p.fault == StateFault::none && p.state.group_name != name_) p.fault = StateFault::renamed;
    if (p.fault != StateFault::none) return p;
    roster_ = std::move(first);
    undo = [this] { roster_ = Roster{}; };
  } else {
    p.fault = check_next(head(), p.state, name_, roster_, &p.why, &undo);
    if (p.fault != StateFault::none) return p;
  }
  StateHash h = p.state.hash();
  std::optional<SecretBytes> key;
  if (!r.box.empty() && member) {
    key = open_box(r.box, *member, r.ephemeral, h);
    if (!key || epoch_commitment(key->span(), group_of(e), e) != p.state.commitment) {
      p.fault = StateFault::key_mismatch;
      undo();
      return p;
    }
  }
  states_.push_back(p.state);
  hashes_.push_back(h);
  records_.push_back(r);
  record_change(p.state);
  if (key) keys_[e.value()] = std::move(*key);
  p.how = Placed::How::appended;
  return p;
}

bool GroupChain::take_history(Epoch grant, Epoch epoch, std::span<const std::uint8_t> box,
                              const Identity* member) {
  const GroupState* g = state(grant);
  const GroupState* s = state(epoch);
  if (!g || !s || epoch >= grant) return false;
  if (!member) {
    history_.push_back({grant, epoch, {box.begin(), box.end()}});
    return true;
  }
  std::optional<SecretBytes> key = open_box(box, *member, records_[grant.value() - 1].ephemeral, hash(grant), epoch);
  if (!key || epoch_commitment(key->span(), group_of(epoch), epoch) != s->commitment) return false;
  if (!keys_.count(epoch.value())) {
    keys_[epoch.value()] = std::move(*key);
    history_.push_back({grant, epoch, {box.begin(), box.end()}});
  }
  return true;
}

std::optional<std::string> GroupChain::unlock(const Identity& member) {
  std::map<std::uint32_t, SecretBytes> keys;
  for (std::size_t i = 0; i < records_.size(); i++) {
    const StateRecord& r = records_[i];
    if (r.box.empty()) continue;
    const Epoch e(static_cast<std::uint32_t>(i + 1));
    std::optional<SecretBytes> key = open_box(r.box, member, r.ephemeral, hashes_[i]);
    if (!key || epoch_commitment(key->span(), group_of(e), e) != states_[i].commitment)
      return "the box of epoch " + e.to_string() + " does not open or match its state";
    keys[e.value()] = std::move(*key);
  }
  for (const History& h : history_) {
    if (keys.count(h.epoch.value())) continue;
    std::optional<SecretBytes> key =
        open_box(h.box, member, records_[h.grant.value() - 1].ephemeral, hash(h.grant), h.epoch);
    if (!key || epoch_commitment(key->span(), group_of(h.epoch), h.epoch) != state(h.epoch)->commitment)
      return "the history box of epoch " + h.epoch.to_string() + " does not open or match its state";
    keys[h.epoch.value()] = std::move(*key);
  }
  keys_ = std::move(keys);
  return std::nullopt;
}

void GroupChain::record_change(const GroupState& s) {
  const Epoch e = s.epoch;
  auto open_span = [&](const PublicKey& key, const std::string& name, Role role) {
    spans_.push_back({key, name, role, e, std::nullopt});
    spans_by_id_.emplace(key.key_id(), spans_.size() - 1);
  };
  auto close_span = [&](const PublicKey& key) {
    auto [a, b] = spans_by_id_.equal_range(key.key_id());
    for (auto it = a; it != b; ++it)
      if (spans_[it->second].key == key && !spans_[it->second].until) spans_[it->second].until = e;
  };
  switch (s.change) {
    case Change::create:
    case Change::add:
      open_span(*s.subject, s.subject_name, *s.role);
      break;
    case Change::remove:
      close_span(*s.subject);
      break;
    case Change::promote:
    case Change::demote:
      close_span(*s.subject);
      open_span(*s.subject, s.subject_name, *s.role);
      break;
    case Change::move:
      // The key that moved is the one the name had until now.
      for (Membership& m : spans_)
        if (m.name == s.subject_name && !m.until) m.until = e;
      open_span(*s.subject, s.subject_name, *s.role);
      break;
    case Change::rotate:
    case Change::grant:
      break;
  }
}

std::vector<Membership> GroupChain::members_at(Epoch e, const KeyId& id) const {
  std::vector<Membership> out;
  auto [a, b] = spans_by_id_.equal_range(id);
  for (auto it = a; it != b; ++it) {
    const Membership& m = spans_[it->second];
    if (m.since <= e && (!m.until || e < *m.until)) out.push_back(m);
  }
  return out;
}

const GroupState* GroupChain::state(Epoch e) const {
  if (e.value() == 0 || e.value() > states_.size()) return nullptr;
  return &states_[e.value() - 1];
}

std::optional<Epoch> GroupChain::newest_key() const {
  if (keys_.empty()) return std::nullopt;
  return Epoch(keys_.rbegin()->first);
}

const SecretBytes* GroupChain::key(Epoch e) const {
  auto it = keys_.find(e.value());
  return it == keys_.end() ? nullptr : &it->second;
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
  for (const StateRecord& r : records_) {
    f.push_back(state_record);
    f.insert(f.end(), r.state.begin(), r.state.end());
    f.insert(f.end(), r.ephemeral.begin(), r.ephemeral.end());
    f.push_back(static_cast<std::uint8_t>(r.box.size()));
    f.insert(f.end(), r.box.begin(), r.box.end());
  }
  for (const History& h : history_) {
    f.push_back(history_record);
    std::uint8_t e[8];
    put_be32(e, h.grant.value());
    put_be32(e + 4, h.epoch.value());
    f.insert(f.end(), e, e + 8);
    f.insert(f.end(), h.box.begin(), h.box.end());
  }
  return f;
}

GroupChain GroupChain::decode(std::span<const std::uint8_t> f, const GroupId& group, const std::string& name,
                              const Identity* member, const std::string& path) {
  if (f.size() < 16) throw OpenError(Fault::truncated, path + " is truncated");
  if (std::memcmp(f.data(), chain_magic, 8) != 0)
    throw OpenError(Fault::header, path + " is not a grypt chain file of this version");
  GroupChain c(group, name);
  c.confirmed = static_cast<std::int64_t>(get_be64(&f[8]));
  auto truncated = [&] { return OpenError(Fault::truncated, path + " is truncated"); };
  std::size_t at = 16;
  while (at < f.size()) {
    std::uint8_t type = f[at++];
    if (type == state_record) {
      if (f.size() - at < state_bytes + 32 + 1) throw truncated();
      StateRecord r;
      r.state.assign(f.begin() + at, f.begin() + at + state_bytes);
      std::memcpy(r.ephemeral.data(), &f[at + state_bytes], 32);
      std::size_t k = f[at + state_bytes + 32];
      if (k != 0 && k != box_bytes)
        throw OpenError(Fault::header, path + " is damaged: a box of " + std::to_string(k) + " bytes");
      at += state_bytes + 33;
      if (f.size() - at < k) throw truncated();
      r.box.assign(f.begin() + at, f.begin() + at + k);
      at += k;
      std::size_t expected = c.states_.size() + 1;
      Placed p = c.take(r, member);
      if (p.fault != StateFault::none || p.how != Placed::How::appended ||
          p.state.epoch.value() != expected)
        throw OpenError(Fault::auth, path + " is damaged: epoch " + std::to_string(expected) + ": " +
                                         (p.fault != StateFault::none ? state_fault_text(p.fault) : "out of order"));
    } else if (type == history_record) {
      if (f.size() - at < 8 + box_bytes) throw truncated();
      Epoch grant(get_be32(&f[at])), epoch(get_be32(&f[at + 4]));
      if (!c.take_history(grant, epoch, f.subspan(at + 8, box_bytes), member))
        throw OpenError(Fault::auth, path + " is damaged: the history box of epoch " + epoch.to_string() +
                                         " does not open");
      at += 8 + box_bytes;
    } else {
      throw OpenError(Fault::header, path + " is damaged: a record of unknown type " + std::to_string(type));
    }
  }
  return c;
}

std::vector<std::uint8_t> encode_fork(const Fork& f) {
  std::vector<std::uint8_t> out(fork_magic, fork_magic + 8);
  for (const GroupState* s : {&f.held, &f.other}) {
    auto b = s->encode();
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

Fork decode_fork(std::span<const std::uint8_t> f, const GroupChain& chain, const std::string& path) {
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
  const Epoch e = k.held.epoch;
  if (e != k.other.epoch || e.value() < 2 || k.held.encode() == k.other.encode())
    throw damaged("not two different states of one epoch after the genesis");
  for (const GroupState* s : {&k.held, &k.other})
    if (StateFault f = chain.fork_defect(*s); f != StateFault::none)
      throw damaged(std::string("a state that does not prove a fork: ") + state_fault_text(f));
  return k;
}

}  // namespace grypt
