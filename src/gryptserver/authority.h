// The group authority: rosters, epochs and entitlements, kept in memory and
// in the store. Every change (add, remove, rotate) makes a new epoch: a
// fresh key, a state signed by the server and chained to the previous one,
// committed in one transaction, and only then applied in memory and
// announced (grypt-protocol.7, GROUP STATE). The server and the offline
// admin verbs share it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gryptserver/store.h"

namespace grypt {

struct GroupData {
  GroupRow row;
  std::vector<MemberRow> members;  // current and past, in row order
  std::vector<EpochRow> epochs;    // 1 .. current
  std::vector<GroupState> states;  // decoded, one per epoch
  // Current members by their whole public key: never by half of it, or a
  // key made of a member's Ed25519 half and any X25519 half would be taken
  // for that member.
  std::map<PublicKey, std::size_t> current;
  std::uint64_t pending_count = 0;
};

class Authority {
 public:
  // Loads every group and checks it (gryptserver.8, the start-up check):
  // every epoch present, its state signed by the server key, chained to
  // the previous one and committing to its key; the group's epoch the
  // newest state's; no member row naming a later epoch; the current
  // members the roster of the current state. OpenError(auth) names what is
  // wrong.
  Authority(Store& store, Identity server);

  const Identity& server() const { return server_; }
  std::vector<GroupData*> groups();
  GroupData* find(const std::string& name);
  GroupData& get(const std::string& name);  // UsageError for an unknown group

  GroupData& init_group(const std::string& name, const std::string& actor);
  // `key_or_number`: a public key string or a pending request's number.
  Epoch add(const std::string& group, const std::string& key_or_number, const std::string& name,
            bool history, const std::string& actor);
  // `member`: a name or a public key string. Returns the removed key.
  PublicKey remove(const std::string& group, const std::string& member, const std::string& actor,
                   Epoch* epoch = nullptr);
  Epoch rotate(const std::string& group, const std::string& actor);

  const MemberRow* current_member(const GroupData& g, const PublicKey& key) const;
  // The first epoch whose key a current member is entitled to.
  static Epoch first_entitled(const MemberRow& m) { return m.history ? Epoch(1) : m.since; }
  static bool entitled(const MemberRow& m, Epoch e);
  // Whether `key` may have the roster of epoch e: it was entitled to that
  // epoch's key in this membership or an earlier one.
  bool roster_entitled(const GroupData& g, const PublicKey& key, Epoch e) const;
  std::vector<RosterEntry> roster(const GroupData& g, Epoch e) const;
  // The member's box key, made once (an X25519 scalar multiplication) and
  // kept: a session makes it when it says hello, so that a rotation pushed
  // to thousands of members at once costs one AES-GCM each.
  const SecretBytes& shared_key(const MemberRow& m);
  std::array<std::uint8_t, epoch_box_bytes> box_for(const GroupData& g, const MemberRow& m,
                                                    Epoch e);
  GroupReference reference(const GroupData& g) const;
  // The port a running server bound, for references when the store says
  // port 0 (any free port).
  std::uint16_t bound_port = 0;
  void record_pending(GroupData& g, const PublicKey& key, const std::string& note);
  std::vector<PendingRow> pending(const GroupData& g) { return store_.pending(g.row.id); }
  std::vector<AuditRow> log(const GroupData& g) { return store_.log(g.row.id); }

  // Called after each committed change: the group, its new epoch, and the
  // member removed or added by it, if any.
  struct Changed {
    const PublicKey* removed = nullptr;
    const PublicKey* added = nullptr;
  };
  std::function<void(GroupData&, Epoch, Changed)> on_change;

  static constexpr std::size_t max_pending = 100;

 private:
  void load(GroupData& g);
  Epoch commit(GroupData& g, Change change, const std::vector<RosterEntry>& roster, Changed who);
  void index(GroupData& g);

  Store& store_;
  Identity server_;
  std::vector<std::unique_ptr<GroupData>> groups_;
  std::unordered_map<std::int64_t, SecretBytes> shared_;  // member row id -> box key
};

}  // namespace grypt
