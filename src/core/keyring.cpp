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

}  // namespace

// One directory per identity and group: two identities of one user, or a
// name given to another group, never read each other's cache.
std::string group_cache_dir(const std::string& cache_root, const PublicKey& key, const GroupId& group) {
  return cache_root + "/" + base64_encode(key.key_id(), Base64::url_unpadded) + "/" +
         base64_encode(group, Base64::url_unpadded);
}

std::string Keyring::group_dir(const GroupId& group) const {
  return group_cache_dir(cache_dir_, public_, group);
}

Keyring::Keyring(const Identity& id, std::string groups_file, std::string cache_dir)
    : Keyring(id.public_key(), std::move(groups_file), std::move(cache_dir), &id) {}

Keyring::Keyring(const PublicKey& key, std::string groups_file, std::string cache_dir)
    : Keyring(key, std::move(groups_file), std::move(cache_dir), nullptr) {}

const Identity& Keyring::identity() const {
  if (!id_) throw UsageError("gryptd is locked: unlock it with gryptd unlock");
  return *id_;
}

void Keyring::lock() {
  for (auto* list : {&groups_, &forgotten_})
    for (auto& g : *list) g->chain.lock();
  id_ = nullptr;
}

std::optional<std::string> Keyring::unlock(const Identity& id) {
  if (id.public_key() != public_) return "the identity file now holds another key";
  for (auto& g : groups_)
    if (std::optional<std::string> fault = g->chain.unlock(id)) {
      lock();
      return g->entry.name + ": " + *fault;
    }
  id_ = &id;
  return std::nullopt;
}

Keyring::Keyring(const PublicKey& key, std::string groups_file, std::string cache_dir, const Identity* id)
    : public_(key), id_(id), groups_file_(std::move(groups_file)), cache_dir_(std::move(cache_dir)) {
  for (GroupEntry& e : load_groups_file(groups_file_)) {
    auto g = std::make_unique<KnownGroup>();
    g->entry = std::move(e);
    g->dir = group_dir(g->id());
    g->chain = GroupChain(g->id(), g->entry.reference.name);
    load(*g);
    groups_.push_back(std::move(g));
  }
}

void Keyring::load(KnownGroup& g) {
  std::string chain = g.dir + "/chain";
  if (!file_exists(chain)) return;
  std::vector<std::uint8_t> f = read_file(chain, 256 << 20, cache_policy);
  g.chain = GroupChain::decode(f, g.id(), g.entry.reference.name, id_, chain);
  DIR* d = opendir(g.dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    if (n.rfind("forked-", 0) != 0 || g.fork) continue;
    std::string path = g.dir + "/" + n;
    try {
      g.fork = decode_fork(read_file(path, 4096, cache_policy), g.chain, path);
    } catch (const Error&) {
      // Not a proof: nothing to show.
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
    if (g->id() == id) return g.get();
  return nullptr;
}

KnownGroup* Keyring::find(const ShortGroupId& id) {
  for (auto& g : groups_)
    if (short_id(g->id()) == id) return g.get();
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
    if (g->id() == ref.group) throw UsageError("that group is known already, as " + g->entry.name);
  auto g = std::make_unique<KnownGroup>();
  g->entry = {name, ref, note};
  g->dir = group_dir(ref.group);
  g->chain = GroupChain(ref.group, ref.name);
  KnownGroup& out = *g;
  groups_.push_back(std::move(g));
  save_groups();
  return out;
}

void Keyring::forget(const std::string& name) {
  auto gone = std::stable_partition(groups_.begin(), groups_.end(),
                                    [&](const std::unique_ptr<KnownGroup>& g) { return g->entry.name != name; });
  std::move(gone, groups_.end(), std::back_inserter(forgotten_));
  groups_.erase(gone, groups_.end());
  save_groups();
}

void Keyring::save_groups() {
  std::vector<GroupEntry> entries;
  for (auto& g : groups_) entries.push_back(g->entry);
  save_groups_file(groups_file_, entries);
}

void Keyring::save_chain(const KnownGroup& g) {
  make_dirs(g.dir);
  write_file_atomic(g.dir + "/chain", g.chain.encode(), 0600);
}

std::string Keyring::save_fork(KnownGroup& g, const Fork& f) {
  make_dirs(g.dir);
  std::string path = g.dir + "/forked-" + f.held.epoch.to_string();
  write_file_atomic(path, encode_fork(f), 0600);
  if (!g.fork) g.fork = f;
  return path;
}

std::pair<MessageHeader, MessageKey> Keyring::seal(const std::string& group, bool is_signed) {
  KnownGroup* g = find(group);
  if (!g) throw UnknownGroupError("no group named " + group + " (see gryptd join)");
  std::optional<Epoch> e = g->chain.newest_key();
  if (!e)
    throw OpenError(Fault::wrong_key, "no key of " + group +
                                          " yet: the server has not sent one (see gryptd status)");
  const StateHash& state = g->chain.hash(*e);
  MessageHeader h = MessageHeader::fresh(g->id(), *e, state, is_signed);
  MessageKey key{derive_message_key(g->chain.key(*e)->span(), h, state), state};
  return {h, std::move(key)};
}

MessageKey Keyring::message_key(const MessageHeader& h) {
  KnownGroup* g = find(h.group);
  if (!g)
    throw UnknownGroupError("the message is for a group you do not know (id " +
                            base64_encode(h.group, Base64::url_unpadded) + ")");
  const std::string at = "epoch " + h.epoch.to_string() + " of " + g->entry.name;
  const SecretBytes* key = g->chain.key(h.epoch);
  if (!key) {
    std::string why;
    if (g->chain.empty())
      why = "you hold no key of it yet";
    else if (h.epoch > g->chain.head().epoch)
      why = "it is newer than the newest you hold (" + g->chain.head().epoch.to_string() +
            "): you were removed, or have not heard of it yet";
    else
      why = "it is from before you were given its keys";
    throw OpenError(Fault::wrong_key, "you lack " + at + ": " + why);
  }
  const StateHash& state = g->chain.hash(h.epoch);
  if (state_prefix(state) != h.state)
    throw OpenError(Fault::forked, "sealed under another state of " + at +
                                       " than the one you hold: the group's history was forked");
  return MessageKey{derive_message_key(key->span(), h, state), state};
}

std::optional<Epoch> Keyring::superseded_by(const MessageHeader& h) {
  KnownGroup* g = find(h.group);
  const GroupState* then = g ? g->chain.state(h.epoch) : nullptr;
  if (!then || g->chain.head().epoch <= h.epoch || g->chain.head().roster == then->roster)
    return std::nullopt;
  return g->chain.head().epoch;
}

std::vector<Member> Keyring::lookup(const MessageHeader& h, const KeyId& id) const {
  const KnownGroup* g = nullptr;
  for (auto& k : groups_)
    if (short_id(k->id()) == h.group) g = k.get();
  if (!g) return {};
  std::vector<Member> out;
  for (const Membership& m : g->chain.members_at(h.epoch, id))
    out.push_back({m.key, m.name, g->chain.roster().find(m.key) != nullptr});
  return out;
}

}  // namespace grypt
