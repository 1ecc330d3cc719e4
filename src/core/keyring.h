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

// A group this keyring does not know (the daemon protocol's
// "unknown-group"; a known group without the key asked for is an
// OpenError of its own, "unknown-epoch").
class UnknownGroupError : public OpenError {
 public:
  explicit UnknownGroupError(const std::string& what) : OpenError(Fault::wrong_key, what) {}
};

struct KnownGroup {
  GroupEntry entry;
  GroupId id{};
  GroupChain chain;
  std::map<std::uint32_t, std::vector<RosterEntry>> rosters;  // checked
  std::string dir;  // its cache directory
  // Two states the server signed for one epoch, if it ever sent them.
  std::optional<Fork> fork;
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
  KnownGroup& join(const std::string& name, const GroupReference& ref, const std::string& note = "");

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
  // Keeps the proof of a fork (grypt.5, DAEMON CACHE); returns its path.
  std::string save_fork(KnownGroup& g, const Fork& f);
  // The newest epoch held, when it is newer than the message's and its
  // roster differs (members came or went since the message's epoch).
  std::optional<Epoch> superseded_by(const MessageHeader& h);
  // The group's newest epoch and its roster, when it is held.
  const std::vector<RosterEntry>* newest_roster(const KnownGroup& g) const;

 private:
  void load(KnownGroup& g);
  void save_groups();

  const Identity& id_;
  std::string group_dir(const GroupId& group) const;

  std::string groups_file_, cache_dir_;
  std::vector<std::unique_ptr<KnownGroup>> groups_;
};

}  // namespace grypt
