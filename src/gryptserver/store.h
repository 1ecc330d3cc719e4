// The server's store, behind an interface so that a second backend
// (PostgreSQL, for groups that outgrow one machine) is a new file, not a
// rewrite (man/gryptserver.8, FILES and SECURITY).
//
// Every secret field (the server's secret key, each epoch key) is
// AES-256-GCM under a key derived from the master key, with associated data
// naming its table, column and row: a field edited, or copied to another
// row, fails to decrypt and is reported by name. A backend seals and opens
// fields with FieldCipher; what crosses this interface is plaintext.
//
// Membership is kept as intervals: a member row holds the first epoch it is
// entitled to (`since`) and the epoch of its removal (`until`), so the
// roster of any epoch can be rebuilt and checked against that epoch's state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/argon2id.h"
#include "core/group.h"
#include "core/keys.h"

namespace grypt {

class FieldCipher {
 public:
  explicit FieldCipher(const SecretBytes& master_key);
  // nonce (12) || ciphertext || tag (16); `where` names table, column, row.
  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> plain, const std::string& where);
  // OpenError(auth) "the store is damaged: WHERE does not decrypt ...".
  SecretBytes open(std::span<const std::uint8_t> sealed, const std::string& where);

 private:
  SecretBytes key_;
};

// How the master key is made, kept in the store in the clear.
struct MasterInfo {
  enum class Kind { passphrase, key_file } kind = Kind::key_file;
  std::vector<std::uint8_t> salt;  // passphrase only
  Argon2Params params{};           // passphrase only
  std::vector<std::uint8_t> check; // a known label sealed under the master key
};

struct GroupRow {
  std::int64_t id = 0;
  std::string name;
  GroupId group_id{};
  Epoch epoch;  // current
  std::int64_t created = 0;
};

struct MemberRow {
  std::int64_t id = 0;
  std::string name;
  PublicKey key;
  Epoch since;                 // first epoch entitled to
  std::optional<Epoch> until;  // removed in this epoch
  bool history = false;        // entitled to the epochs before `since` too
  std::int64_t added = 0;
};

struct EpochRow {
  Epoch epoch;
  std::vector<std::uint8_t> state;
  SecretBytes key;
};

struct PendingRow {
  std::int64_t number = 0;
  PublicKey key;
  std::string note;
  std::int64_t first = 0, last = 0;
  std::uint64_t count = 0;
};

struct AuditRow {
  std::int64_t time = 0;
  std::string actor, group, action, detail;
};

// One membership change or rotation, committed in one transaction: the
// member added or removed, the pending request taken, the new epoch, the
// group's current epoch and the audit entry, or none of them.
struct Change {
  std::int64_t group = 0;
  std::optional<MemberRow> add;
  std::optional<std::int64_t> remove;  // member row id
  std::optional<std::int64_t> taken_pending;
  EpochRow epoch;
  AuditRow audit;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::optional<MasterInfo> master_info() = 0;
  // Every call below but master_info needs the cipher.
  virtual void unlock(FieldCipher cipher) = 0;

  // The store's first contents: master key info, server identity, address.
  virtual void create(const MasterInfo& master, const Identity& server,
                      const std::string& listen, const std::string& host) = 0;
  virtual Identity server_identity() = 0;
  virtual std::string listen() = 0;
  virtual std::string host() = 0;

  virtual std::vector<GroupRow> groups() = 0;
  // A new group with its first epoch.
  virtual GroupRow add_group(const std::string& name, const GroupId& id, const EpochRow& first,
                             const AuditRow& audit) = 0;
  // Current and past members (rows with `until`).
  virtual std::vector<MemberRow> members(std::int64_t group) = 0;
  virtual std::vector<EpochRow> epochs(std::int64_t group) = 0;
  // Returns the row id of the member added, if one was.
  virtual std::int64_t apply(const Change& change) = 0;

  // One request per key: the newest `keep` per group are kept.
  virtual void record_pending(std::int64_t group, const PublicKey& key, const std::string& note,
                              std::int64_t now, std::size_t keep) = 0;
  virtual std::vector<PendingRow> pending(std::int64_t group) = 0;
  virtual std::vector<AuditRow> log(std::int64_t group) = 0;
  virtual void append_audit(std::int64_t group, const AuditRow& audit) = 0;
};

}  // namespace grypt
