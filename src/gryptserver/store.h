// The server's store, behind an interface so that a second backend
// (PostgreSQL, for deployments beyond one machine) is a new file, not a
// rewrite (man/gryptserver.8, FILES and SECURITY CONSIDERATIONS).
//
// The store relays: it keeps each group's signed states, the epoch key
// boxes its admins made, and the join requests of keys that are not
// members. It holds no key that opens a box or signs a state. What is
// still secret in it (the server's transport key, the join requests with
// their notes) is AES-256-GCM under a key derived from the master key,
// with associated data naming its table, column and row: a field edited,
// or copied to another row, fails to decrypt and is reported by name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/argon2id.h"
#include "core/epoch_box.h"
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
  std::int64_t head = 1;  // the epoch of its newest state, as the store says
};

// A state as stored: its bytes and the ephemeral key of its commit.
struct StateRow {
  std::vector<std::uint8_t> state;
  EphemeralPublic ephemeral{};
};

// A member's box of one epoch, or of a past epoch given with the commit of
// epoch `grant`.
struct BoxRow {
  Epoch epoch;
  Epoch grant;  // == epoch for the epoch's own box
  EpochBox box{};
};

struct PendingRow {
  std::int64_t number = 0;
  PublicKey key;
  std::vector<std::uint8_t> request;  // signed by the key (core/join_request.h)
  std::int64_t first = 0, last = 0;
  std::uint64_t count = 0;
};

// One commit, in one transaction: the states of its run, the new state,
// every box and history box of it, the group's new head, and the pending
// requests of the keys it adds removed; or none of them. The run's first
// epoch (or `epoch` without a run) must be the head plus one: another
// commit of that epoch makes it throw StaleCommit.
struct CommitRow {
  std::int64_t group = 0;
  Epoch epoch;                // of `state`, the last
  std::vector<StateRow> run;  // epochs epoch - run.size() to epoch - 1
  StateRow state;
  std::vector<std::pair<PublicKey, EpochBox>> boxes;
  std::vector<std::pair<PublicKey, BoxRow>> history;
  std::vector<PublicKey> added;    // their pending (join) requests go
  std::vector<PublicKey> removed;  // their pending (leave) requests go
  Epoch first() const { return Epoch(epoch.value() - static_cast<std::uint32_t>(run.size())); }
};

class StaleCommit : public Error {
 public:
  using Error::Error;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::optional<MasterInfo> master_info() = 0;
  // Every call below but master_info needs the cipher.
  virtual void unlock(FieldCipher cipher) = 0;

  // The store's first contents: master key info, transport identity,
  // address, the keys allowed to create groups.
  virtual void create(const MasterInfo& master, const Identity& server, const std::string& listen,
                      const std::string& host, const std::vector<PublicKey>& admins) = 0;
  virtual Identity server_identity() = 0;
  virtual std::string listen() = 0;
  virtual std::string host() = 0;
  virtual std::vector<PublicKey> admins() = 0;
  virtual void set_admin(const PublicKey& key, bool allowed) = 0;

  virtual std::vector<GroupRow> groups() = 0;
  // A new group with its genesis (epoch 1) and its creator's box.
  // UsageError when the name is taken.
  virtual GroupRow create_group(const std::string& name, const GroupId& id, const StateRow& genesis,
                                const PublicKey& creator, const EpochBox& box) = 0;
  virtual std::vector<StateRow> states(std::int64_t group) = 0;
  virtual void commit(const CommitRow& c) = 0;
  // The boxes of `key` for epochs after `after`, and its history boxes of
  // the epochs in [from, to] ranges.
  virtual std::vector<BoxRow> boxes(std::int64_t group, const PublicKey& key, Epoch after) = 0;
  virtual std::vector<BoxRow> history(std::int64_t group, const PublicKey& key,
                                      const std::vector<std::pair<Epoch, Epoch>>& ranges) = 0;

  // One request per key: the newest `keep` per group are kept.
  virtual void record_pending(std::int64_t group, const PublicKey& key,
                              const std::vector<std::uint8_t>& request, std::int64_t now,
                              std::size_t keep) = 0;
  virtual std::vector<PendingRow> pending(std::int64_t group) = 0;
};

}  // namespace grypt
