// A member's keyring: the groups it knows (the groups file), what it holds
// of each (chain, epoch keys, rosters), kept in the daemon cache (man/grypt.5,
// DAEMON CACHE). gryptd keeps one up to date from the servers; the tools
// read one when given --identity, without the daemon. Either way it answers
// the same questions: the key of a message, the newest epoch to seal under,
// the members behind a key id.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/group_cache.h"
#include "core/message.h"

namespace grypt {

struct KnownGroup {
  GroupEntry entry;
  GroupId id{};
  GroupChain chain;
  std::map<std::uint32_t, std::vector<RosterEntry>> rosters;  // checked
  std::string dir;  // its cache directory
};

class Keyring : public MessageKeys, public Members {
 public:
  // Reads the groups file and each group's cache; `cache_dir` is the
  // groups' cache root ($XDG_STATE_HOME/grypt/groups).
  Keyring(const Identity& id, std::string groups_file, std::string cache_dir);

  const Identity& identity() const { return id_; }
  std::vector<KnownGroup*> groups();
  KnownGroup* find(const std::string& name);
  KnownGroup* find(const GroupId& id);
  // Adds a group (and writes the groups file); UsageError if the name is
  // taken by another reference.
  KnownGroup& join(const std::string& name, const GroupReference& ref);

  // The header and key of a new message under the newest epoch whose key
  // this member holds; OpenError(wrong_key) when it holds none.
  std::pair<MessageHeader, SecretBytes> seal(const std::string& group, bool is_signed);
  SecretBytes message_key(const MessageHeader& h) override;
  std::vector<Member> lookup(const MessageHeader& h, const KeyId& id) const override;

  // Keeps a roster (checked against its state) in memory and the cache.
  // False if it does not match.
  bool add_roster(KnownGroup& g, Epoch e, std::vector<RosterEntry> members);
  // A roster this member can use for epoch e: its own, or an identical one
  // (same digest) of another epoch.
  const std::vector<RosterEntry>* roster(const KnownGroup& g, Epoch e) const;
  // Writes the group's chain file (atomically).
  void save_chain(const KnownGroup& g);

 private:
  void load(KnownGroup& g);
  void save_groups();

  const Identity& id_;
  std::string group_dir(const GroupId& group) const;

  std::string groups_file_, cache_dir_;
  std::vector<std::unique_ptr<KnownGroup>> groups_;
};

}  // namespace grypt
