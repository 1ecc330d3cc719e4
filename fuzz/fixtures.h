// Fixed keys and a fixed group shared by the fuzz targets and the seed
// generator (seeds.cpp): the seeds are sealed under exactly the keys the
// targets open with, and the seed chains are the chain the targets check
// against, so the fuzzer starts from inputs that authenticate and reach the
// deep paths.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/epoch_box.h"
#include "core/error.h"
#include "core/group.h"
#include "core/group_cache.h"
#include "core/keys.h"
#include "core/message.h"
#include "core/roster.h"
#include "core/secret.h"
#include "core/vault.h"
#include "proto/daemon.h"

namespace grypt::fuzz {

// Each target initialises libsodium from a static initialiser:
//   static const bool g_init = grypt::fuzz::init();
inline bool init() {
  grypt::init_crypto();
  return true;
}

template <std::size_t N>
constexpr std::array<std::uint8_t, N> pattern(std::uint8_t start, std::uint8_t step) {
  std::array<std::uint8_t, N> a{};
  for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<std::uint8_t>(start + i * step);
  return a;
}

// message_open: the epoch key for every group and epoch, and the hash of
// the state every epoch is held under (a header naming another state's
// prefix is a fork, as the keyring says).
inline constexpr auto epoch_key = pattern<32>(0x11, 3);
inline constexpr StateHash message_state = pattern<32>(0x27, 29);
// stream_open: the STREAM payload key.
inline constexpr auto stream_key = pattern<32>(0x5a, 7);
// vault_entry: the vault key and the entry name.
inline constexpr auto vault_key = pattern<32>(0xa0, 5);
inline constexpr std::string_view entry_name = "fuzz/entry";
// The identity: message sender and member (message_open), vault.key
// recipient (vault_entry), the member of the fixed group whose chain the
// group targets read. Ed25519 seed || X25519 secret.
inline constexpr auto identity_secret = pattern<64>(0x42, 11);
// identity_file: the passphrase of encrypted identity files.
inline constexpr std::string_view passphrase = "fuzz passphrase";

// stream_open: the first input byte selects the trailer size, the rest is
// the payload.
inline constexpr std::size_t stream_trailer(std::uint8_t selector) {
  return (selector & 1) ? signed_trailer_bytes : 0;
}

inline const Identity& identity() {
  static const Identity id = Identity::from_secret(identity_secret);
  return id;
}

// The fixed group (group protocol version 2): created by `admin`, with bob
// and the fixed identity added. Its states are deterministic (fixed times,
// fixed epoch keys, Ed25519 signatures), so the group id, the genesis
// hash, is the same in every build; the boxes are made with fresh
// ephemeral keys and open for the fixed identity all the same.
//
//   1 create admin   2 add bob        3 add fixed      4 rotate
//   5 remove bob     6 promote fixed  7 grant fixed (history boxes of 1, 2;
//                                       signed by fixed, an admin since 6)
inline constexpr std::string_view group_name = "fuzz-group";
inline constexpr std::uint32_t chain_epochs = 7;
inline constexpr std::uint32_t fixed_joins = 3;  // the epoch that added the fixed identity
inline constexpr std::int64_t chain_time = 1800000000;

inline const Identity& admin() {
  static const Identity id = Identity::from_secret(pattern<64>(0x33, 5));
  return id;
}
inline const Identity& bob() {
  static const Identity id = Identity::from_secret(pattern<64>(0x61, 17));
  return id;
}
inline const Identity& carol() {
  static const Identity id = Identity::from_secret(pattern<64>(0x62, 19));
  return id;
}
// The identities whose signatures a target may make again (a decoded state
// signed by one of them is signed again, so that the checks after the
// signature's are reached; a join request by one of them is made again).
inline const Identity* known_identity(const PublicKey& k) {
  for (const Identity* id : {&admin(), &bob(), &carol(), &identity()})
    if (id->public_key() == k) return id;
  return nullptr;
}

inline std::array<std::uint8_t, 32> chain_epoch_key(Epoch e) {
  return pattern<32>(static_cast<std::uint8_t>(0x90 + e.value()), 9);
}

// A history box: the key of `epoch` given to the fixed identity with the
// commit of `grant`.
struct HistoryRecord {
  Epoch grant, epoch;
  EpochBox box{};
};

struct FixedChain {
  GroupId group{};
  std::vector<GroupState> states;    // epochs 1..chain_epochs
  std::vector<StateRecord> records;  // each as the fixed identity receives it
  std::vector<HistoryRecord> history;
};

inline const FixedChain& fixed_chain() {
  static const FixedChain chain = [] {
    FixedChain c;
    Roster roster;
    std::vector<EphemeralKey> ephemerals;
    auto commit = [&](GroupState s, const Identity& signer) {
      const auto key = chain_epoch_key(s.epoch);
      s.group_name = std::string(group_name);
      s.time = chain_time + s.epoch.value() * 3600;
      s.expires = s.time + 7 * 24 * 3600;
      s.roster = roster.digest();
      s.commitment = epoch_commitment(key, s.epoch == Epoch(1) ? GroupId{} : c.group, s.epoch);
      if (s.epoch != Epoch(1)) s.previous = c.states.back().hash();
      auto bytes = s.sign(signer);
      if (s.epoch == Epoch(1)) c.group = group_id_of(s);
      EphemeralKey e = EphemeralKey::generate();
      StateRecord r{{bytes.begin(), bytes.end()}, e.public_key(), {}};
      if (roster.find(identity().public_key())) {
        EpochBox b = e.box(identity().public_key(), s.hash(), key);
        r.box.assign(b.begin(), b.end());
      }
      c.states.push_back(s);
      c.records.push_back(std::move(r));
      ephemerals.push_back(std::move(e));
    };
    auto state = [&](Change change, const Identity* subject, const std::string& name, Role role) {
      GroupState s;
      s.epoch = Epoch(static_cast<std::uint32_t>(c.states.size() + 1));
      s.group = s.epoch == Epoch(1) ? GroupId{} : c.group;
      s.change = change;
      if (subject) {
        s.subject = subject->public_key();
        s.subject_name = name;
        s.role = role;
      }
      return s;
    };
    roster.add({"admin", admin().public_key(), Role::admin});
    commit(state(Change::create, &admin(), "admin", Role::admin), admin());
    roster.add({"bob", bob().public_key(), Role::member});
    commit(state(Change::add, &bob(), "bob", Role::member), admin());
    roster.add({"fixed", identity().public_key(), Role::member});
    commit(state(Change::add, &identity(), "fixed", Role::member), admin());
    commit(state(Change::rotate, nullptr, "", Role::member), admin());
    roster.remove(bob().public_key());
    commit(state(Change::remove, &bob(), "bob", Role::member), admin());
    roster.set_role(identity().public_key(), Role::admin);
    commit(state(Change::promote, &identity(), "fixed", Role::admin), admin());
    commit(state(Change::grant, &identity(), "fixed", Role::admin), identity());
    for (std::uint32_t e = 1; e < fixed_joins; ++e)
      c.history.push_back({Epoch(chain_epochs), Epoch(e),
                           ephemerals.back().box(identity().public_key(), c.states.back().hash(),
                                                 chain_epoch_key(Epoch(e)), Epoch(e))});
    return c;
  }();
  return chain;
}

inline const GroupId& group_id() { return fixed_chain().group; }

// The fixed identity's chain of epochs 1..last, with the history boxes when
// it reaches the grant.
inline GroupChain chain_upto(std::uint32_t last) {
  GroupChain c(group_id(), std::string(group_name));
  c.confirmed = chain_time + last * 3600 + 60;
  for (std::uint32_t e = 1; e <= last; ++e) {
    Placed p = c.take(fixed_chain().records.at(e - 1), identity());
    if (p.fault != StateFault::none) throw Error(std::string("fuzz: the fixed chain: ") + state_fault_text(p.fault));
  }
  if (last >= chain_epochs)
    for (const HistoryRecord& h : fixed_chain().history)
      if (!c.take_history(h.grant, h.epoch, h.box, identity())) throw Error("fuzz: a fixed history box");
  return c;
}

// daemon_reply: the requests a reply is decoded against (the reply's type,
// and for vault its lists' lengths, depend on the request). The first
// input byte picks one, modulo their number; the rest is the reply.
inline const std::vector<daemon::Request>& daemon_requests() {
  static const std::vector<daemon::Request> r = [] {
    using daemon::EntryHead;
    daemon::Vault batch;  // a vault-get scan: names and entries of an opened vault
    batch.vault_key_file = std::vector<std::uint8_t>(100, 0x76);
    batch.locators = {"fuzz/a", "fuzz/b"};
    batch.name_keys = {EntryHead{}};
    batch.entry_keys = {{EntryHead{}, "fuzz/a"}, {pattern<entry_header_bytes>(1, 1), "fuzz/b"}};
    daemon::Vault create;
    create.create = true;
    create.locators = {"fuzz/new"};
    daemon::Vault reseal;
    reseal.vault_key_file = std::vector<std::uint8_t>(100, 0x76);
    reseal.reseal = {identity().public_key()};
    using What = daemon::Listing::What;
    const std::string g(group_name);
    // Requests are move-only (an unlock holds a secret): built in place.
    std::vector<daemon::Request> v;
    v.emplace_back(daemon::Status{});
    v.emplace_back(daemon::Seal{g, true, std::nullopt});
    v.emplace_back(daemon::Sign{});
    v.emplace_back(daemon::Open{});
    v.emplace_back(daemon::Members{short_id(group_id()), Epoch(fixed_joins), identity().public_key().key_id()});
    v.emplace_back(batch);
    v.emplace_back(create);
    v.emplace_back(reseal);
    v.emplace_back(daemon::Join{g, "grypt-ref:x", ""});
    v.emplace_back(daemon::Stop{});
    v.emplace_back(daemon::Seal{g, true, pattern<64>(7, 3)});  // signed in the same answer
    v.emplace_back(daemon::Create{g, "grypt-srv:x", "admin"});
    v.emplace_back(daemon::Add{g, bob().public_key().to_string(), "bob", true, false});
    v.emplace_back(daemon::AddMany{g, {{"bob", bob().public_key()}, {"carol", carol().public_key()}}});
    v.emplace_back(daemon::Change{Change::remove, g, "bob"});
    v.emplace_back(daemon::Listing{What::roster, g});
    v.emplace_back(daemon::Listing{What::pending, g});
    v.emplace_back(daemon::Listing{What::log, g});
    v.emplace_back(daemon::Listing{What::invite, g});
    v.emplace_back(daemon::Leave{g});
    v.emplace_back(daemon::Lock{});
    v.emplace_back(daemon::Unlock{SecretBytes::copy_of(pattern<12>(5, 1))});
    v.emplace_back(daemon::Move{g, "grypt-move:x", true});
    return v;
  }();
  return r;
}

inline const daemon::Request& daemon_request(std::uint8_t selector) {
  return daemon_requests()[selector % daemon_requests().size()];
}

// The index in daemon::Reply of the reply a request is answered with.
inline std::size_t reply_index(const daemon::Request& q) {
  struct Of {
    std::size_t operator()(const daemon::Status&) const { return 0; }
    std::size_t operator()(const daemon::Seal&) const { return 1; }
    std::size_t operator()(const daemon::Sign&) const { return 2; }
    std::size_t operator()(const daemon::Open&) const { return 3; }
    std::size_t operator()(const daemon::Members&) const { return 4; }
    std::size_t operator()(const daemon::Vault&) const { return 5; }
    std::size_t operator()(const daemon::Join&) const { return 6; }
    std::size_t operator()(const daemon::Stop&) const { return 6; }
    std::size_t operator()(const daemon::Leave&) const { return 14; }
    std::size_t operator()(const daemon::Lock&) const { return 6; }
    std::size_t operator()(const daemon::Unlock&) const { return 6; }
    std::size_t operator()(const daemon::Create&) const { return 7; }
    std::size_t operator()(const daemon::Add&) const { return 8; }
    std::size_t operator()(const daemon::AddMany&) const { return 8; }
    std::size_t operator()(const daemon::Change&) const { return 8; }
    std::size_t operator()(const daemon::Move&) const { return 8; }
    std::size_t operator()(const daemon::Listing& l) const {
      switch (l.what) {
        case daemon::Listing::What::roster: return 9;
        case daemon::Listing::What::pending: return 10;
        case daemon::Listing::What::log: return 11;
        case daemon::Listing::What::invite: return 12;
      }
      return 0;
    }
  };
  return std::visit(Of{}, q);
}

inline SecretBytes secret(std::span<const std::uint8_t> bytes) {
  return SecretBytes::copy_of(bytes);
}

// Opens any header of the fixed state: the key is derived from the fixed
// epoch key; another state's prefix is a fork (as core/keyring.cpp says).
class FixedMessageKeys : public MessageKeys {
 public:
  MessageKey message_key(const MessageHeader& h) override {
    if (h.state != state_prefix(message_state)) throw OpenError(Fault::forked, "fuzz: another state");
    return {derive_message_key(epoch_key, h, message_state), message_state};
  }
};

// Every group has one member, the fixed identity, under any key id.
class FixedMembers : public Members {
 public:
  std::vector<Member> lookup(const MessageHeader&, const KeyId&) const override {
    return {{identity().public_key(), "fixed", true}};
  }
};

}  // namespace grypt::fuzz
