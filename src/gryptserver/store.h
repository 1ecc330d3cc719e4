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
#include <tuple>
#include <vector>

#include "core/argon2id.h"
#include "core/epoch_box.h"
#include "core/group.h"
#include "core/keys.h"
#include "core/reference.h"

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
  // head: the group's epoch in the store, which another commit made.
  StaleCommit(const std::string& what, std::int64_t head) : Error(what), head_(head) {}
  std::int64_t head() const { return head_; }

 private:
  std::int64_t head_;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::optional<MasterInfo> master_info() = 0;
  // Every call below but master_info needs the cipher.
  virtual void unlock(FieldCipher cipher) = 0;

  // The store's first contents: master key info, transport identity,
  // address, the keys allowed to create groups.
  // `endpoints`: where members reach the front ends, when several share
  // the store (a PostgreSQL store only; UsageError otherwise).
  virtual void create(const MasterInfo& master, const Identity& server, const std::string& listen,
                      const std::string& host, const std::vector<PublicKey>& admins,
                      const std::vector<Endpoint>& endpoints = {}) = 0;
  // What the references name: the endpoints given at init, or none for the
  // host and the listening port of the one server.
  virtual std::vector<Endpoint> endpoints() { return {}; }
  virtual Identity server_identity() = 0;
  virtual std::string listen() = 0;
  virtual std::string host() = 0;
  virtual std::vector<PublicKey> admins() = 0;
  virtual void set_admin(const PublicKey& key, bool allowed) = 0;

  virtual std::vector<GroupRow> groups() = 0;
  virtual std::optional<GroupRow> group(std::int64_t id) = 0;
  // A new group with its genesis (epoch 1) and its creator's box.
  // UsageError when the name is taken.
  virtual GroupRow create_group(const std::string& name, const GroupId& id, const StateRow& genesis,
                                const PublicKey& creator, const EpochBox& box) = 0;
  virtual std::vector<StateRow> states(std::int64_t group) = 0;
  virtual void commit(const CommitRow& c) = 0;
  // The commits after epoch `after` as the store holds them, for a front
  // end that did not make them (gryptserver.8, SEVERAL FRONT ENDS): each
  // with its run, its state, its boxes (in key order) and its history
  // boxes; `added` and `removed` are left to the relay's check. The boxes'
  // keys are as stored, not checked: compare them with the roster's.
  virtual std::vector<CommitRow> commits_after(std::int64_t group, Epoch after) = 0;
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

  // Where other writers' commits are announced (a PostgreSQL connection
  // string, for the front end's LISTEN), or "" when this process is the
  // store's only writer.
  virtual std::string feed_conninfo() const { return ""; }
};

// The rows commits_after reads, made into commits: the states after
// `after` (oldest first) and their boxes (member, epoch, grant epoch,
// box), ordered by grant epoch. An epoch with boxes of its own ends a
// commit; the states before it since the last such epoch are its run.
// States after the last such epoch (a commit being written) are left out.
// A stored pending request's key and sealed request, opened into `row`;
// false when either is damaged (a damaged request is only a request: the
// reader skips it).
bool open_pending(FieldCipher& cipher, std::int64_t group, const std::vector<std::uint8_t>& key,
                  const std::vector<std::uint8_t>& sealed, PendingRow& row);

using StoredBox = std::tuple<std::vector<std::uint8_t>, std::int64_t, std::int64_t, std::vector<std::uint8_t>>;
std::vector<CommitRow> split_commits(std::int64_t group, Epoch after, std::vector<StateRow> states,
                                     const std::vector<StoredBox>& boxes);

}  // namespace grypt
