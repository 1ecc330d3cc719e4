#include "gryptserver/authority.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>

#include "core/crypto.h"
#include "core/error.h"

namespace grypt {
namespace {

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

bool same_signing_half(const PublicKey& a, const PublicKey& b) {
  return std::equal(a.ed25519().begin(), a.ed25519().end(), b.ed25519().begin());
}

[[noreturn]] void damaged(const GroupData& g, const std::string& what) {
  throw OpenError(Fault::auth, "the store is damaged: group " + g.row.name + ": " + what);
}

}  // namespace

Authority::Authority(Store& store, Identity server) : store_(store), server_(std::move(server)) {
  for (GroupRow& row : store_.groups()) {
    auto g = std::make_unique<GroupData>();
    g->row = std::move(row);
    load(*g);
    groups_.push_back(std::move(g));
  }
}

void Authority::load(GroupData& g) {
  g.members = store_.members(g.row.id);
  g.epochs = store_.epochs(g.row.id);
  g.pending_count = store_.pending(g.row.id).size();
  if (g.row.group_id != derive_group_id(server_.public_key().fingerprint(), g.row.name))
    damaged(g, "its group id does not belong to its name and this server");
  if (g.epochs.empty() || g.epochs.back().epoch != g.row.epoch)
    damaged(g, "its epochs do not end at its current epoch " + g.row.epoch.to_string());
  g.states.clear();
  for (std::size_t i = 0; i < g.epochs.size(); ++i) {
    const EpochRow& e = g.epochs[i];
    std::string at = "epoch " + e.epoch.to_string() + ": ";
    if (e.epoch != Epoch(static_cast<std::uint32_t>(i + 1))) damaged(g, at + "epochs are missing");
    GroupState s;
    try {
      s = GroupState::decode(e.state);
    } catch (const FormatError& err) {
      damaged(g, at + err.what());
    }
    if (!(s.signer == server_.public_key()) || !s.verify())
      damaged(g, at + "its state is not signed by this server");
    if (s.group != g.row.group_id || s.epoch != e.epoch) damaged(g, at + "its state is of another group or epoch");
    StateHash prev{};
    if (i > 0) prev = g.states.back().hash();
    if (s.previous != prev) damaged(g, at + "its state does not extend the previous one");
    if (epoch_commitment(e.key.span(), g.row.group_id, e.epoch) != s.commitment)
      damaged(g, at + "its key does not match its state");
    g.states.push_back(s);
  }
  std::vector<RosterEntry> current;
  for (const MemberRow& m : g.members) {
    if (m.since > g.row.epoch || (m.until && *m.until > g.row.epoch))
      damaged(g, "member " + m.name + " names an epoch after the current one, " + g.row.epoch.to_string());
    if (!m.until) current.push_back({m.name, m.key});
  }
  if (roster_digest(current) != g.states.back().roster)
    damaged(g, "its current members are not the roster of epoch " + g.row.epoch.to_string());
  index(g);
}

void Authority::index(GroupData& g) {
  g.current.clear();
  for (std::size_t i = 0; i < g.members.size(); ++i)
    if (!g.members[i].until) g.current[g.members[i].key] = i;
}

std::vector<GroupData*> Authority::groups() {
  std::vector<GroupData*> out;
  for (auto& g : groups_) out.push_back(g.get());
  return out;
}

GroupData* Authority::find(const std::string& name) {
  for (auto& g : groups_)
    if (g->row.name == name) return g.get();
  return nullptr;
}

GroupData& Authority::get(const std::string& name) {
  GroupData* g = find(name);
  if (!g) throw UsageError("no group named " + name);
  return *g;
}

GroupData& Authority::init_group(const std::string& name, const std::string& actor) {
  if (std::string d = group_name_defect(name); !d.empty())
    throw UsageError("invalid group name '" + name + "': " + d);
  if (find(name)) throw UsageError("the group " + name + " exists already");
  GroupId id = derive_group_id(server_.public_key().fingerprint(), name);
  EpochRow first;
  first.epoch = Epoch(1);
  first.key = SecretBytes(key_bytes);
  random_bytes(first.key.span());
  GroupState s;
  s.group = id;
  s.epoch = first.epoch;
  s.time = now();
  s.roster = roster_digest({});
  s.commitment = epoch_commitment(first.key.span(), id, first.epoch);
  auto bytes = s.sign(server_);
  first.state.assign(bytes.begin(), bytes.end());
  GroupRow row = store_.add_group(name, id, first, {now(), actor, name, "init", "epoch 1"});
  auto g = std::make_unique<GroupData>();
  g->row = row;
  g->epochs.push_back(std::move(first));
  g->states.push_back(s);
  GroupData& ref = *g;
  groups_.push_back(std::move(g));
  return ref;
}

bool Authority::entitled(const MemberRow& m, Epoch e) {
  return (m.history || m.since <= e) && (!m.until || e < *m.until);
}

std::vector<RosterEntry> Authority::roster(const GroupData& g, Epoch e) const {
  std::vector<RosterEntry> out;
  for (const MemberRow& m : g.members)
    if (m.since <= e && (!m.until || e < *m.until)) out.push_back({m.name, m.key});
  return out;
}

const MemberRow* Authority::current_member(const GroupData& g, const PublicKey& key) const {
  auto it = g.current.find(key);
  return it == g.current.end() ? nullptr : &g.members[it->second];
}

bool Authority::roster_entitled(const GroupData& g, const PublicKey& key, Epoch e) const {
  if (e.value() == 0 || e > g.row.epoch) return false;
  return std::any_of(g.members.begin(), g.members.end(),
                     [&](const MemberRow& m) { return m.key == key && entitled(m, e); });
}

const SecretBytes& Authority::shared_key(const MemberRow& m) {
  auto it = shared_.find(m.id);
  if (it == shared_.end()) it = shared_.emplace(m.id, box_shared_key(server_, m.key)).first;
  return it->second;
}

std::array<std::uint8_t, epoch_box_bytes> Authority::box_for(const GroupData& g,
                                                             const MemberRow& m, Epoch e) {
  return box_epoch_key(shared_key(m), g.epochs.at(e.value() - 1).key.span());
}

GroupReference Authority::reference(const GroupData& g) const {
  GroupReference r;
  r.server = server_.public_key().fingerprint();
  std::string listen = store_.listen();
  std::size_t colon = listen.rfind(':');
  unsigned port = 0;
  if (colon != std::string::npos)
    std::from_chars(listen.data() + colon + 1, listen.data() + listen.size(), port);
  r.port = port != 0 ? static_cast<std::uint16_t>(port) : bound_port;
  r.host = store_.host();
  r.group = g.row.name;
  return r;
}

void Authority::record_pending(GroupData& g, const PublicKey& key, const std::string& note) {
  // A removed member's daemon keeps asking; that is not a request to join,
  // and one "add 1" must not let it back by mistake.
  for (const MemberRow& m : g.members)
    if (m.key == key) return;
  store_.record_pending(g.row.id, key, note, now(), max_pending);
  g.pending_count = store_.pending(g.row.id).size();
}

Epoch Authority::commit(GroupData& g, Change change, const std::vector<RosterEntry>& roster,
                        Changed who) {
  if (g.row.epoch.value() == UINT32_MAX) throw UsageError("the group " + g.row.name + " has used up its epochs");
  Epoch e = g.row.epoch.next();
  change.group = g.row.id;
  change.epoch.epoch = e;
  change.epoch.key = SecretBytes(key_bytes);
  random_bytes(change.epoch.key.span());
  GroupState s;
  s.group = g.row.group_id;
  s.epoch = e;
  s.time = now();
  s.previous = g.states.back().hash();
  s.roster = roster_digest(roster);
  s.commitment = epoch_commitment(change.epoch.key.span(), g.row.group_id, e);
  auto bytes = s.sign(server_);
  change.epoch.state.assign(bytes.begin(), bytes.end());
  change.audit.time = s.time;
  change.audit.group = g.row.name;
  change.audit.detail += (change.audit.detail.empty() ? "" : "; ") + std::string("epoch ") + e.to_string();
  std::int64_t added = store_.apply(change);
  // Committed: now memory follows.
  if (change.remove)
    for (MemberRow& m : g.members)
      if (m.id == *change.remove) m.until = e;
  if (change.add) {
    change.add->id = added;
    g.members.push_back(*change.add);
  }
  if (change.taken_pending) g.pending_count = store_.pending(g.row.id).size();
  g.epochs.push_back(std::move(change.epoch));
  g.states.push_back(s);
  g.row.epoch = e;
  index(g);
  if (on_change) on_change(g, e, who);
  return e;
}

Epoch Authority::add(const std::string& group, const std::string& key_or_number,
                     const std::string& name, bool history, const std::string& actor) {
  GroupData& g = get(group);
  if (std::string d = group_name_defect(name); !d.empty())
    throw UsageError("invalid member name '" + name + "': " + d);
  Change c;
  PublicKey key;
  bool is_number = !key_or_number.empty() &&
                   key_or_number.find_first_not_of("0123456789") == std::string::npos;
  if (is_number) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(key_or_number.data(), key_or_number.data() + key_or_number.size(), n);
    bool found = false;
    for (const PendingRow& p : store_.pending(g.row.id))
      if (ec == std::errc() && p.number == n) {
        key = p.key;
        found = true;
      }
    if (!found) throw UsageError("the group " + group + " has no pending request " + key_or_number);
    c.taken_pending = n;
  } else {
    key = PublicKey::parse(key_or_number);
    for (const PendingRow& p : store_.pending(g.row.id))
      if (p.key == key) c.taken_pending = p.number;
  }
  for (const MemberRow& m : g.members) {
    if (m.until) continue;
    if (m.name == name) throw UsageError("the group " + group + " has a member named " + name + " already");
    if (m.key == key)
      throw UsageError("that key is a member of " + group + " already, as " + m.name);
    // Members are known by whole keys, but a key that borrows a member's
    // signing half would sign as that member: refused.
    if (same_signing_half(m.key, key))
      throw UsageError("that key's signing half is the key of " + m.name + ", a member of " + group +
                       ": refusing a key built from another member's");
  }
  MemberRow m;
  m.name = name;
  m.key = key;
  m.since = g.row.epoch.next();
  m.history = history;
  m.added = now();
  std::vector<RosterEntry> r = roster(g, g.row.epoch.next());
  r.push_back({name, key});
  c.add = m;
  c.audit = {0, actor, group, "add",
             name + " " + key.to_string() + (history ? " with history" : "") +
                 (c.taken_pending ? " (pending request " + std::to_string(*c.taken_pending) + ")" : "")};
  return commit(g, std::move(c), r, {.added = &key});
}

PublicKey Authority::remove(const std::string& group, const std::string& member,
                            const std::string& actor, Epoch* epoch) {
  GroupData& g = get(group);
  const MemberRow* found = nullptr;
  bool is_key = member.rfind("grypt-pk:", 0) == 0;
  std::optional<PublicKey> key;
  if (is_key) key = PublicKey::parse(member);
  for (const MemberRow& m : g.members)
    if (!m.until && (is_key ? m.key == *key : m.name == member)) found = &m;
  if (!found) throw UsageError("the group " + group + " has no member " + member);
  PublicKey removed = found->key;
  Change c;
  c.remove = found->id;
  c.audit = {0, actor, group, "remove", found->name + " " + removed.to_string()};
  std::vector<RosterEntry> r;
  for (const MemberRow& m : g.members)
    if (!m.until && m.id != found->id) r.push_back({m.name, m.key});
  shared_.erase(found->id);
  Epoch e = commit(g, std::move(c), r, {.removed = &removed});
  if (epoch) *epoch = e;
  return removed;
}

Epoch Authority::rotate(const std::string& group, const std::string& actor) {
  GroupData& g = get(group);
  Change c;
  c.audit = {0, actor, group, "rotate", ""};
  return commit(g, std::move(c), roster(g, g.row.epoch), {});
}

}  // namespace grypt
