// A member's keyring: the groups it knows (the groups file) and what it
// holds of each (the chain from the genesis, the epoch keys boxed to it),
// kept in the daemon cache (man/grypt.5, DAEMON CACHE). gryptd keeps one up
// to date from the servers; the tools read one when given --identity,
// without the daemon. Either way it answers the same questions: the key of
// a message, the newest epoch to seal under, the members behind a key id.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/group_cache.h"
#include "core/message.h"

namespace grypt {

// A group this keyring does not know (the daemon protocol's
// "unknown-group"; a known group without the key asked for is an
// OpenError of its own, "unknown-epoch").
class UnknownGroupError : public OpenError {
 public:
  explicit UnknownGroupError(const std::string& what) : OpenError(Fault::wrong_key, what) {}
};

struct KnownGroup {
  GroupEntry entry;
  GroupChain chain;
  std::string dir;  // its cache directory
  // Two states of one epoch, if a server or a post ever showed them.
  std::optional<Fork> fork;
  const GroupId& id() const { return entry.reference.group; }
};

class Keyring : public MessageKeys, public Members {
 public:
  // Reads the groups file and each group's cache; `cache_dir` is the
  // groups' cache root ($XDG_STATE_HOME/grypt).
  Keyring(const Identity& id, std::string groups_file, std::string cache_dir);
  // A locked keyring of the identity with `key` (gryptd --locked): the
  // chains are read and checked, their boxes left unopened until unlock.
  Keyring(const PublicKey& key, std::string groups_file, std::string cache_dir);

  // The identity; a locked keyring has none (UsageError).
  const Identity& identity() const;
  const PublicKey& public_key() const { return public_; }
  bool locked() const { return id_ == nullptr; }
  // Forgets every epoch key opened and the identity (which the caller then
  // wipes); the chains stay.
  void lock();
  // Opens every group's boxes again with `id`, which must have this
  // keyring's public key and outlive it or the next lock: nullopt, or what
  // failed (the keyring stays locked).
  std::optional<std::string> unlock(const Identity& id);
  std::vector<KnownGroup*> groups();
  KnownGroup* find(const std::string& name);
  KnownGroup* find(const GroupId& id);
  KnownGroup* find(const ShortGroupId& id);
  // Adds a group (and writes the groups file); UsageError if the name is
  // taken by another reference. The same name and reference again changes
  // only the note.
  KnownGroup& join(const std::string& name, const GroupReference& ref, const std::string& note = "");
  // Forgets a group: its line in the groups file (its cache stays). The
  // KnownGroup it was is no longer found, but stays valid until the
  // keyring ends: a request under way may still hold it.
  void forget(const std::string& name);

  // The header and key of a new message under the newest epoch whose key
  // this member holds; OpenError(wrong_key) when it holds none.
  std::pair<MessageHeader, MessageKey> seal(const std::string& group, bool is_signed);
  MessageKey message_key(const MessageHeader& h) override;
  std::vector<Member> lookup(const MessageHeader& h, const KeyId& id) const override;

  // Writes the group's chain file (atomically).
  void save_chain(const KnownGroup& g);
  // Keeps the proof of a fork (grypt.5, DAEMON CACHE); returns its path.
  std::string save_fork(KnownGroup& g, const Fork& f);
  // The newest epoch held, when it is newer than the message's and its
  // roster differs (members came or went since the message's epoch).
  std::optional<Epoch> superseded_by(const MessageHeader& h);

 private:
  Keyring(const PublicKey& key, std::string groups_file, std::string cache_dir, const Identity* id);
  void load(KnownGroup& g);
  void save_groups();
  std::string group_dir(const GroupId& group) const;

  PublicKey public_;
  const Identity* id_ = nullptr;
  std::string groups_file_, cache_dir_;
  std::vector<std::unique_ptr<KnownGroup>> groups_, forgotten_;
};

// The cache directory of `group` for the identity with `key`, below the
// cache root (gryptd.1, FILES).
std::string group_cache_dir(const std::string& cache_root, const PublicKey& key, const GroupId& group);

}  // namespace grypt
