#include "core/group_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>

#include "core/error.h"
#include "core/file.h"
#include "core/group_test_chain.h"
#include "core/keyring.h"
#include "core/test_dir.h"

namespace grypt {
namespace {

// alice's chain of a group: the genesis, her addition, then `rotations`.
GroupChain alice_chain(TestChain& c, int rotations) {
  c.add_alice();
  for (int i = 0; i < rotations; ++i) c.next();
  GroupChain chain(c.group, c.name);
  for (std::size_t e = 1; e <= c.states.size(); ++e)
    EXPECT_EQ(chain.take(c.record(e), c.alice).fault, StateFault::none) << e;
  return chain;
}

TEST(ChainTake, FromTheGenesisEachStateNextWithItsKey) {
  TestChain c;
  GroupChain chain = alice_chain(c, 2);
  EXPECT_EQ(chain.head().epoch, Epoch(4));
  EXPECT_EQ(chain.key(Epoch(1)), nullptr);  // before alice
  for (std::uint32_t e = 2; e <= 4; ++e) {
    ASSERT_NE(chain.key(Epoch(e)), nullptr) << e;
    EXPECT_TRUE(ct_equal(chain.key(Epoch(e))->span(), c.keys[e - 1].span()));
  }
  ASSERT_EQ(chain.lacking().size(), 1u);
  EXPECT_EQ(chain.lacking()[0], std::make_pair(Epoch(1), Epoch(1)));
  EXPECT_EQ(chain.roster().size(), 2u);
  auto alice = chain.members_at(Epoch(2), c.alice.public_key().key_id());
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(alice[0].name, "alice");
  EXPECT_TRUE(chain.members_at(Epoch(1), c.alice.public_key().key_id()).empty());
}

TEST(ChainTake, TheFirstStateMustBeTheReferencesGenesis) {
  TestChain c, other;
  GroupChain chain(c.group, c.name);
  EXPECT_EQ(chain.take(other.record(1), c.alice).fault, StateFault::other_group);
  c.add_alice();
  EXPECT_EQ(chain.take(c.record(2), c.alice).fault, StateFault::not_next);
  GroupChain renamed(c.group, "pals");
  EXPECT_EQ(renamed.take(c.record(1), c.alice).fault, StateFault::renamed);
  EXPECT_EQ(chain.take(c.record(1), c.alice).fault, StateFault::none);
}

TEST(ChainTake, ReplayRollbackGapAndAnotherGroupsStateAreRefusedByName) {
  TestChain c;
  GroupChain chain = alice_chain(c, 1);  // epochs 1..3
  c.next();
  TestChain other;
  other.add_alice();
  EXPECT_EQ(chain.take(c.record(2), c.alice).how, Placed::How::held);  // a replay: nothing new
  c.next();
  EXPECT_EQ(chain.take(c.record(5), c.alice).fault, StateFault::not_next);  // a gap
  EXPECT_EQ(chain.take(other.record(2), c.alice).fault, StateFault::other_group);  // epoch 2 of another chain
  EXPECT_EQ(chain.take(c.record(4), c.alice).fault, StateFault::none);
  EXPECT_EQ(chain.head().epoch, Epoch(4));
}

TEST(ChainTake, AStateOnlyAnAdminOfThePreviousRosterSigns) {
  TestChain c;
  GroupChain chain = alice_chain(c, 0);
  c.next(Change::rotate, std::nullopt, &c.alice);  // alice is a member, not an admin
  EXPECT_EQ(chain.take(c.record(3), c.alice).fault, StateFault::not_admin);
}

TEST(ChainTake, TheRosterMustChangeExactlyAsTheStateSays) {
  TestChain c;
  GroupChain chain = alice_chain(c, 0);
  // A removal of alice whose roster still holds her.
  GroupState s = c.states.back();
  Roster kept = c.roster;
  StateRecord r = c.next(Change::remove, RosterEntry{"alice", c.alice.public_key(), Role::member});
  GroupState bad = c.states.back();
  bad.roster = kept.digest();
  auto b = bad.sign(c.admin);
  EXPECT_EQ(chain.take({{b.begin(), b.end()}, r.ephemeral, {}}, c.alice).fault, StateFault::roster_mismatch);
  // A removal naming alice by another name.
  bad = c.states.back();
  bad.subject_name = "alicia";
  b = bad.sign(c.admin);
  Placed p = chain.take({{b.begin(), b.end()}, r.ephemeral, {}}, c.alice);
  EXPECT_EQ(p.fault, StateFault::bad_change);
  EXPECT_EQ(p.why, "the subject is alice, not alicia");
  EXPECT_EQ(chain.take(r, c.alice).fault, StateFault::none);
  EXPECT_EQ(chain.roster().find(c.alice.public_key()), nullptr);
}

TEST(ChainTake, TheLastAdminCannotGo) {
  TestChain c;
  GroupChain chain = alice_chain(c, 0);
  c.next(Change::demote, RosterEntry{"admin", c.admin.public_key(), Role::member});
  EXPECT_EQ(chain.take(c.record(3), c.alice).fault, StateFault::last_admin);
  TestChain d;
  GroupChain other = alice_chain(d, 0);
  d.next(Change::remove, RosterEntry{"admin", d.admin.public_key(), Role::admin});
  EXPECT_EQ(other.take(d.record(3), d.alice).fault, StateFault::last_admin);
}

// A state signed as the chain's next epoch, the roster digest of `roster`.
StateRecord signed_next(TestChain& c, GroupState s, const Roster& roster) {
  s.roster = roster.digest();
  auto b = s.sign(c.admin);
  return {{b.begin(), b.end()}, EphemeralKey::generate().public_key(), {}};
}

TEST(ChainTake, AMoveGivesTheNameAndRoleToTheNewKeyAndEndsTheOldKeysMembership) {
  TestChain c;
  GroupChain chain = alice_chain(c, 0);  // epochs 1, 2 (alice)
  Identity bob = Identity::generate(), bob2 = Identity::generate();
  c.next(Change::add, RosterEntry{"bob", bob.public_key(), Role::admin});  // 3
  ASSERT_EQ(chain.take(c.record(3), c.alice).fault, StateFault::none);
  // The move as the admin's daemon makes it: the new key, the name and the
  // role kept.
  Roster before = c.roster;
  StateRecord good = c.next(Change::move, RosterEntry{"bob", bob2.public_key(), Role::admin});  // 4
  GroupState move = c.states.back();
  auto variant = [&](auto edit) {
    GroupState s = move;
    Roster r = before;
    edit(s, r);
    return chain.take(signed_next(c, s, r), c.alice);
  };
  auto refused = [&](auto edit, const std::string& why) {
    Placed p = variant(edit);
    EXPECT_EQ(p.fault, StateFault::bad_change) << why;
    EXPECT_EQ(p.why, why);
  };
  refused([](GroupState& s, Roster&) { s.subject_name = "carol"; }, "no member is named carol");
  refused([](GroupState& s, Roster&) { s.role = Role::member; }, "the subject's role is not member");
  refused([&](GroupState& s, Roster&) { s.subject = c.alice.public_key(); },
          "the key is a member already, as alice");
  refused([&](GroupState& s, Roster&) { s.subject = bob.public_key(); },
          "the new key's signing half is the key of bob");
  // The new key borrowing the old one's Ed25519 half.
  Identity half = Identity::generate();
  std::array<std::uint8_t, 64> mixed{};
  std::copy(bob.public_key().ed25519().begin(), bob.public_key().ed25519().end(), mixed.begin());
  std::copy(half.public_key().x25519().begin(), half.public_key().x25519().end(), mixed.begin() + 32);
  refused([&](GroupState& s, Roster&) { s.subject = PublicKey::from_bytes(mixed); },
          "the new key's signing half is the key of bob");
  // A roster that kept the old key beside the new one.
  Placed kept = variant([&](GroupState&, Roster& r) { r.add({"bobby", bob2.public_key(), Role::member}); });
  EXPECT_EQ(kept.fault, StateFault::roster_mismatch);
  EXPECT_EQ(chain.head().epoch, Epoch(3));
  EXPECT_EQ(chain.roster().find(bob.public_key())->name, "bob");

  ASSERT_EQ(chain.take(good, c.alice).fault, StateFault::none);
  EXPECT_EQ(chain.roster().find(bob.public_key()), nullptr);
  ASSERT_NE(chain.roster().find(bob2.public_key()), nullptr);
  EXPECT_EQ(chain.roster().find(bob2.public_key())->name, "bob");
  EXPECT_EQ(chain.roster().find(bob2.public_key())->role, Role::admin);
  // Posts of epoch 3 are bob's old key's; from epoch 4 on, the new one's.
  EXPECT_EQ(chain.members_at(Epoch(3), bob.public_key().key_id()).size(), 1u);
  EXPECT_TRUE(chain.members_at(Epoch(4), bob.public_key().key_id()).empty());
  EXPECT_TRUE(chain.members_at(Epoch(3), bob2.public_key().key_id()).empty());
  auto now = chain.members_at(Epoch(4), bob2.public_key().key_id());
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].name, "bob");
  // The moved admin signs the next state.
  c.next(Change::rotate, std::nullopt, &bob2);
  EXPECT_EQ(chain.take(c.record(5), c.alice).fault, StateFault::none);
  // The chain file keeps it: read back, the same roster.
  GroupChain back = GroupChain::decode(chain.encode(), c.group, c.name, c.alice, "chain");
  EXPECT_EQ(back.roster().digest(), chain.roster().digest());
}

TEST(ChainTake, ABoxMovedToAnotherStateOrMemberDoesNotOpen) {
  TestChain c;
  GroupChain chain = alice_chain(c, 0);
  StateRecord r = c.next();
  StateRecord moved = r;
  moved.box = c.record(2).box;  // epoch 2's box on epoch 3's state
  EXPECT_EQ(chain.take(moved, c.alice).fault, StateFault::key_mismatch);
  Identity bob = Identity::generate();
  EXPECT_EQ(chain.take(r, bob).fault, StateFault::key_mismatch);  // alice's box, opened as bob
  EXPECT_EQ(chain.head().epoch, Epoch(2));
  EXPECT_EQ(chain.roster().size(), 2u);
  EXPECT_EQ(chain.take(r, c.alice).fault, StateFault::none);
}

TEST(ChainTake, HistoryGrantedLaterOpensOnlyAsGiven) {
  TestChain c;
  c.next();  // epoch 2, before alice
  GroupChain chain = alice_chain(c, 0);  // alice added at 3
  EXPECT_EQ(chain.key(Epoch(2)), nullptr);
  c.next(Change::grant, RosterEntry{"alice", c.alice.public_key(), Role::member});
  ASSERT_EQ(chain.take(c.record(4), c.alice).fault, StateFault::none);
  auto box = c.history_for_alice(4, 2);
  EXPECT_FALSE(chain.take_history(Epoch(4), Epoch(1), box, c.alice));  // another epoch's
  EXPECT_FALSE(chain.take_history(Epoch(3), Epoch(2), box, c.alice));  // another grant's
  EXPECT_TRUE(chain.take_history(Epoch(4), Epoch(2), box, c.alice));
  EXPECT_TRUE(ct_equal(chain.key(Epoch(2))->span(), c.keys[1].span()));
  GroupChain back = GroupChain::decode(chain.encode(), c.group, c.name, c.alice, "chain");
  ASSERT_NE(back.key(Epoch(2)), nullptr);
}

TEST(ChainFile, AKeyAddedLaterIsKeptWithTheEphemeralKeyItOpenedWith) {
  TestChain c;
  c.add_alice();
  GroupChain chain(c.group, c.name);
  ASSERT_EQ(chain.take(c.record(1), c.alice).fault, StateFault::none);
  // Epoch 2 first without its box, under another ephemeral key.
  StateRecord bare = c.record(2);
  bare.box.clear();
  bare.ephemeral[0] ^= 1;
  ASSERT_EQ(chain.take(bare, c.alice).fault, StateFault::none);
  EXPECT_EQ(chain.key(Epoch(2)), nullptr);
  Placed p = chain.take(c.record(2), c.alice);
  ASSERT_EQ(p.fault, StateFault::none);
  EXPECT_EQ(p.how, Placed::How::key_added);
  GroupChain back = GroupChain::decode(chain.encode(), c.group, c.name, c.alice, "chain");
  ASSERT_NE(back.key(Epoch(2)), nullptr);
  EXPECT_TRUE(ct_equal(back.key(Epoch(2))->span(), c.keys[1].span()));
}

TEST(ChainFile, RoundTripsAndEveryFlippedByteIsRefused) {
  TestChain c;
  GroupChain chain = alice_chain(c, 1);
  chain.confirmed = 1800000123;
  std::vector<std::uint8_t> file = chain.encode();
  GroupChain back = GroupChain::decode(file, c.group, c.name, c.alice, "chain");
  EXPECT_EQ(back.confirmed, 1800000123);
  EXPECT_EQ(back.head().epoch, Epoch(3));
  EXPECT_EQ(back.encode(), file);
  // The genesis record's ephemeral key (after its type byte and state) is
  // used by no box alice holds: nothing depends on it.
  const std::size_t unused = 16 + 1 + state_bytes;
  for (std::size_t i = 16; i < file.size(); i += 7) {
    if (i >= unused && i < unused + 32) continue;
    auto t = file;
    t[i] ^= 0x01;
    EXPECT_THROW(GroupChain::decode(t, c.group, c.name, c.alice, "chain"), OpenError) << i;
  }
  for (std::size_t n = 0; n < file.size(); n += 13) {
    try {
      GroupChain cut = GroupChain::decode(std::span(file.data(), n), c.group, c.name, c.alice, "chain");
      EXPECT_LT(cut.empty() ? 0u : cut.head().epoch.value(), 3u) << n;  // a shorter chain at a record's end
    } catch (const OpenError&) {
    }
  }
  Identity mallory = Identity::generate();
  EXPECT_THROW(GroupChain::decode(file, c.group, c.name, mallory, "chain"), OpenError);
  EXPECT_THROW(GroupChain::decode(file, GroupId{}, c.name, c.alice, "chain"), OpenError);
}

TEST(ChainTake, TwoStatesForOneEpochAreAForkWithAProof) {
  TestChain c;
  GroupChain chain = alice_chain(c, 0);
  c.next();
  ASSERT_EQ(chain.take(c.record(3), c.alice).fault, StateFault::none);
  // The same admin signs another epoch 3 on the same epoch 2.
  GroupState other = c.states[2];
  other.time += 1000;
  auto b = other.sign(c.admin);
  Placed p = chain.take({{b.begin(), b.end()}, c.record(3).ephemeral, {}}, c.alice);
  ASSERT_EQ(p.fault, StateFault::forked);
  Fork f{*p.conflict, p.state};
  auto file = encode_fork(f);
  ASSERT_EQ(file.size(), 8u + 2 * state_bytes);
  Fork back = decode_fork(file, chain, "forked-3");
  EXPECT_EQ(back.other.encode(), p.state.encode());
  Fork same{f.held, f.held};
  EXPECT_THROW(decode_fork(encode_fork(same), chain, "f"), OpenError);
  for (std::size_t i = 0; i < file.size(); i += 5) {
    auto t = file;
    t[i] ^= 1;
    EXPECT_THROW(decode_fork(t, chain, "f"), OpenError) << i;
  }
  // Signed by someone who was not an admin then: no proof of the admins.
  GroupState forged = c.states[2];
  forged.time += 2000;
  auto fb = forged.sign(c.alice);
  Fork not_admin{c.states[2], GroupState::decode(fb)};
  EXPECT_THROW(decode_fork(encode_fork(not_admin), chain, "f"), OpenError);
}

TEST(ChainTake, AnotherStateOnlyTheServerCouldMakeIsRefusedNotAFork) {
  TestChain c;
  GroupChain chain = alice_chain(c, 1);  // epochs 1..3
  auto record = c.record(3);
  // The held state with one byte changed: its signature fails.
  auto tampered = record;
  tampered.state[100] ^= 1;  // its roster digest
  Placed p = chain.take(tampered, c.alice);
  EXPECT_EQ(p.fault, StateFault::bad_signature);
  EXPECT_FALSE(p.conflict);
  // Signed by a member who is no administrator.
  GroupState by_alice = c.states[2];
  by_alice.time += 1;
  auto ba = by_alice.sign(c.alice);
  EXPECT_EQ(chain.take({{ba.begin(), ba.end()}, record.ephemeral, {}}, c.alice).fault, StateFault::not_admin);
  // Signed by the admin on another previous state.
  GroupState elsewhere = c.states[2];
  elsewhere.previous[0] ^= 1;
  auto be = elsewhere.sign(c.admin);
  EXPECT_EQ(chain.take({{be.begin(), be.end()}, record.ephemeral, {}}, c.alice).fault, StateFault::bad_previous);
  EXPECT_EQ(chain.head().encode(), c.states[2].encode());
}

TEST(GroupsFile, ParsesNamesReferencesNotesAndComments) {
  TestChain c;
  GroupReference a{c.admin.public_key(), c.group, {{"one.example", 4433}}, "friends"};
  GroupReference b = a;
  b.name = "work";
  b.group[0] ^= 1;
  std::string text = "# mine\n\n  friends " + a.to_string() + "  \r\nwork\t" + b.to_string() + " bob from the club";
  auto groups = parse_groups_file(text, "groups");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].name, "work");
  EXPECT_EQ(groups[1].reference.name, "work");
  EXPECT_EQ(groups[1].note, "bob from the club");
  EXPECT_EQ(parse_groups_file(format_groups_file(groups), "groups")[1].note, "bob from the club");
  auto message = [](const std::string& t) {
    try {
      parse_groups_file(t, "groups");
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("friends\n"), "groups line 1: expected \"NAME REFERENCE\"");
  EXPECT_EQ(message("\n\nbad/name " + a.to_string()).rfind("groups line 3: invalid group name", 0), 0u);
  EXPECT_EQ(message("x grypt-ref:AAAA").rfind("groups line 1: ", 0), 0u);
  EXPECT_EQ(message("x " + a.to_string() + "\nx " + b.to_string()), "groups line 2: x appears twice");
  EXPECT_EQ(message("friends " + a.to_string() + " " + std::string(201, 'n')),
            "groups line 1: the note: a note is at most 200 bytes");
  EXPECT_EQ(message("friends " + a.to_string() + " a\xe2\x80\xae" "b"),
            "groups line 1: the note: it contains a bidirectional formatting character");
}

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ref_ = {c_.admin.public_key(), c_.group, {{"127.0.0.1", 4433}}, c_.name};
  }

  TestDir tmp_;
  std::string dir_ = tmp_.path();
  TestChain c_;
  GroupReference ref_;
};

TEST_F(KeyringTest, JoinsKeepsItsCacheAndAnswersForEveryEpochItHolds) {
  c_.add_alice();
  c_.next();
  {
    Keyring k(c_.alice, dir_ + "/groups", dir_ + "/state");
    KnownGroup& g = k.join("pals", ref_);
    EXPECT_THROW(k.seal("pals", true), OpenError);  // no key yet
    for (std::size_t e = 1; e <= 3; ++e) ASSERT_EQ(g.chain.take(c_.record(e), c_.alice).fault, StateFault::none);
    k.save_chain(g);
  }
  // A new keyring reads the groups file and the cache: what gryptd holds
  // after a restart, and grypt-open -i without it.
  Keyring k(c_.alice, dir_ + "/groups", dir_ + "/state");
  KnownGroup* g = k.find("pals");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(k.find(c_.group), g);
  EXPECT_EQ(k.find(short_id(c_.group)), g);
  auto [header, key] = k.seal("pals", true);
  EXPECT_EQ(header.epoch, Epoch(3));
  EXPECT_EQ(header.state, state_prefix(c_.states[2].hash()));
  MessageKey again = k.message_key(header);
  EXPECT_TRUE(ct_equal(again.key.span(), key.key.span()));
  EXPECT_EQ(again.state, c_.states[2].hash());
  auto members = k.lookup(header, c_.alice.public_key().key_id());
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].name, "alice");
  EXPECT_EQ(members[0].current, std::optional<bool>(true));
  // Why a key is missing, and a header of another state of the epoch.
  MessageHeader later = header;
  later.epoch = Epoch(7);
  try {
    k.message_key(later);
    ADD_FAILURE();
  } catch (const OpenError& e) {
    EXPECT_STREQ(e.what(), "you lack epoch 7 of pals: it is newer than the newest you hold (3): "
                           "you were removed, or have not heard of it yet");
  }
  MessageHeader forked = header;
  forked.state[0] ^= 1;
  try {
    k.message_key(forked);
    ADD_FAILURE();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::forked);
  }
  MessageHeader stranger = header;
  stranger.group[0] ^= 1;
  EXPECT_THROW(k.message_key(stranger), UnknownGroupError);
  GroupReference other = ref_;
  other.name = "work";
  other.group[0] ^= 1;
  EXPECT_THROW(k.join("pals", other), UsageError);
  EXPECT_THROW(k.join("friends", ref_), UsageError);
  EXPECT_NO_THROW(k.join("pals", ref_));
}

TEST_F(KeyringTest, ADamagedChainFileIsRefusedByName) {
  {
    Keyring k(c_.alice, dir_ + "/groups", dir_ + "/state");
    KnownGroup& g = k.join("pals", ref_);
    ASSERT_EQ(g.chain.take(c_.record(1), c_.alice).fault, StateFault::none);
    k.save_chain(g);
    auto file = read_file(g.dir + "/chain", 1 << 20, {});
    file[100] ^= 1;
    write_file_atomic(g.dir + "/chain", file, 0600);
  }
  try {
    Keyring k(c_.alice, dir_ + "/groups", dir_ + "/state");
    ADD_FAILURE();
  } catch (const OpenError& e) {
    EXPECT_NE(std::string(e.what()).find("/chain is damaged: epoch 1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace grypt
