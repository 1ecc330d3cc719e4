#include "core/keyring.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>

#include "core/encoding.h"
#include "core/error.h"
#include "core/file.h"

namespace grypt {
namespace {

const FilePolicy cache_policy{.access = Access::owner, .follow_symlinks = false};

std::string epoch_text(Epoch e) { return e.to_string(); }

}  // namespace

// One directory per identity and group: two identities of one user, or a
// name given to another group, never read each other's cache.
std::string Keyring::group_dir(const GroupId& group) const {
  return cache_dir_ + "/" + base64_encode(id_.public_key().key_id(), Base64::url_unpadded) + "/" +
         base64_encode(group, Base64::url_unpadded);
}

Keyring::Keyring(const Identity& id, std::string groups_file, std::string cache_dir)
    : id_(id), groups_file_(std::move(groups_file)), cache_dir_(std::move(cache_dir)) {
  if (!file_exists(groups_file_)) return;
  SecretBytes text = read_secret_file(groups_file_, 1 << 20, {.access = Access::owner});
  for (GroupEntry& e : parse_groups_file(text.view(), groups_file_)) {
    auto g = std::make_unique<KnownGroup>();
    g->entry = std::move(e);
    g->id = g->entry.reference.group_id();
    g->dir = group_dir(g->id);
    g->chain = GroupChain(g->id, g->entry.reference.server);
    load(*g);
    groups_.push_back(std::move(g));
  }
}

void Keyring::load(KnownGroup& g) {
  std::string chain = g.dir + "/chain";
  if (!file_exists(chain)) return;
  std::vector<std::uint8_t> f = read_file(chain, 64 << 20, cache_policy);
  g.chain = GroupChain::decode(f, g.id, g.entry.reference.server, id_, chain);
  DIR* d = opendir(g.dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
  closedir(d);
  for (const std::string& n : names) {
    if (n.rfind("forked-", 0) == 0 && !g.fork) {
      std::string path = g.dir + "/" + n;
      try {
        g.fork = decode_fork(read_file(path, 4096, cache_policy), g.id, g.entry.reference.server, path);
      } catch (const OpenError&) {
        // Not a proof: nothing to show.
      }
      continue;
    }
    if (n.rfind("roster-", 0) != 0) continue;
    std::uint32_t e = 0;
    try {
      e = static_cast<std::uint32_t>(std::stoul(n.substr(7)));
    } catch (const std::exception&) {
      continue;
    }
    const GroupState* s = g.chain.state(Epoch(e));
    if (!s) continue;
    std::string path = g.dir + "/" + n;
    try {
      g.rosters[e] = decode_roster(read_file(path, 64 << 20, cache_policy), Epoch(e), s->roster, path);
    } catch (const OpenError&) {
      // A damaged roster is only a cache: it is fetched again when needed.
    }
  }
}

std::vector<KnownGroup*> Keyring::groups() {
  std::vector<KnownGroup*> out;
  for (auto& g : groups_) out.push_back(g.get());
  return out;
}

KnownGroup* Keyring::find(const std::string& name) {
  for (auto& g : groups_)
    if (g->entry.name == name) return g.get();
  return nullptr;
}

KnownGroup* Keyring::find(const GroupId& id) {
  for (auto& g : groups_)
    if (g->id == id) return g.get();
  return nullptr;
}

KnownGroup& Keyring::join(const std::string& name, const GroupReference& ref, const std::string& note) {
  if (std::string d = group_name_defect(name); !d.empty())
    throw UsageError("invalid group name '" + name + "': " + d);
  if (std::string d = join_note_defect(note); !note.empty() && !d.empty())
    throw UsageError("invalid note: " + d);
  if (KnownGroup* g = find(name)) {
    if (g->entry.reference.to_string() != ref.to_string())
      throw UsageError("a group named " + name + " is known already, with another reference");
    if (!note.empty() && note != g->entry.note) {
      g->entry.note = note;
      save_groups();
    }
    return *g;
  }
  for (auto& g : groups_)
    if (g->id == ref.group_id())
      throw UsageError("that group is known already, as " + g->entry.name);
  auto g = std::make_unique<KnownGroup>();
  g->entry = {name, ref, note};
  g->id = ref.group_id();
  g->dir = group_dir(g->id);
  g->chain = GroupChain(g->id, ref.server);
  KnownGroup& out = *g;
  groups_.push_back(std::move(g));
  save_groups();
  return out;
}

void Keyring::save_groups() {
  std::vector<GroupEntry> entries;
  for (auto& g : groups_) entries.push_back(g->entry);
  std::string text = format_groups_file(entries);
  make_dirs(dir_name(groups_file_));
  write_file_atomic(groups_file_, as_bytes(text), 0600);
}

void Keyring::save_chain(const KnownGroup& g) {
  make_dirs(g.dir);
  write_file_atomic(g.dir + "/chain", g.chain.encode(), 0600);
}

std::string Keyring::save_fork(KnownGroup& g, const Fork& f) {
  make_dirs(g.dir);
  std::string path = g.dir + "/forked-" + epoch_text(f.held.epoch);
  write_file_atomic(path, encode_fork(f), 0600);
  if (!g.fork) g.fork = f;
  return path;
}

const std::vector<RosterEntry>* Keyring::newest_roster(const KnownGroup& g) const {
  return g.chain.empty() ? nullptr : roster(g, g.chain.head().epoch);
}

std::optional<Epoch> Keyring::superseded_by(const MessageHeader& h) {
  KnownGroup* g = find(h.group);
  const GroupState* then = g ? g->chain.state(h.epoch) : nullptr;
  if (!then || g->chain.head().epoch <= h.epoch || g->chain.head().roster == then->roster)
    return std::nullopt;
  return g->chain.head().epoch;
}

std::pair<MessageHeader, SecretBytes> Keyring::seal(const std::string& group, bool is_signed) {
  KnownGroup* g = find(group);
  if (!g) throw UnknownGroupError("no group named " + group + " (see gryptd join)");
  std::optional<Epoch> e = g->chain.newest_key();
  if (!e)
    throw OpenError(Fault::wrong_key, "no key of " + group +
                                          " yet: the server has not sent one (see gryptd status)");
  MessageHeader h = MessageHeader::fresh(g->id, *e, is_signed);
  return {h, derive_message_key(g->chain.key(*e)->span(), h)};
}

SecretBytes Keyring::message_key(const MessageHeader& h) {
  KnownGroup* g = find(h.group);
  if (!g)
    throw UnknownGroupError("the message is for a group you do not know (id " +
                                          base64_encode(h.group, Base64::url_unpadded) + ")");
  const SecretBytes* key = g->chain.key(h.epoch);
  if (!key) {
    std::string why;
    if (g->chain.empty())
      why = "you hold no key of it yet";
    else if (h.epoch > g->chain.head().epoch)
      why = "it is newer than the newest you hold (" + epoch_text(g->chain.head().epoch) +
            "): you were removed, or have not heard of it yet";
    else
      why = "it is from before you were given its keys";
    throw OpenError(Fault::wrong_key, "you lack epoch " + epoch_text(h.epoch) + " of " +
                                          g->entry.name + ": " + why);
  }
  return derive_message_key(key->span(), h);
}

const std::vector<RosterEntry>* Keyring::roster(const KnownGroup& g, Epoch e) const {
  auto it = g.rosters.find(e.value());
  if (it != g.rosters.end()) return &it->second;
  const GroupState* s = g.chain.state(e);
  if (!s) return nullptr;
  for (auto& [epoch, members] : g.rosters) {
    const GroupState* other = g.chain.state(Epoch(epoch));
    if (other && other->roster == s->roster) return &members;
  }
  return nullptr;
}

bool Keyring::add_roster(KnownGroup& g, Epoch e, std::vector<RosterEntry> members) {
  const GroupState* s = g.chain.state(e);
  if (!s || roster_digest(members) != s->roster) return false;
  make_dirs(g.dir);
  write_file_atomic(g.dir + "/roster-" + epoch_text(e), encode_roster(e, members), 0600);
  g.rosters[e.value()] = std::move(members);
  return true;
}

std::vector<Member> Keyring::lookup(const MessageHeader& h, const KeyId& id) const {
  const KnownGroup* g = nullptr;
  for (auto& k : groups_)
    if (k->id == h.group) g = k.get();
  if (!g) return {};
  const std::vector<RosterEntry>* r = roster(*g, h.epoch);
  if (!r)
    throw AuthError("the sender of a message of " + g->entry.name + " epoch " + epoch_text(h.epoch) +
                    " cannot be checked: its roster is not cached (open it with gryptd running)");
  // Whether the sender is still a member: known only with the newest
  // roster at hand, never assumed.
  const std::vector<RosterEntry>* now = newest_roster(*g);
  std::vector<Member> out;
  for (const RosterEntry& m : *r)
    if (m.key.key_id() == id) {
      std::optional<bool> current;
      if (now)
        current = std::any_of(now->begin(), now->end(), [&](const RosterEntry& x) { return x.key == m.key; });
      out.push_back({m.key, m.name, current});
    }
  return out;
}

}  // namespace grypt
