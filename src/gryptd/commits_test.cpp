// What an administrator's daemon commits for a move (grypt-protocol.7,
// MOVE STATEMENTS): a state members take, and history boxes of exactly the
// epochs the old key could open, or every one held with history.
#include "gryptd/commits.h"

#include "gryptd/ahead.h"

#include <gtest/gtest.h>

#include "core/group_test_chain.h"

namespace grypt {
namespace {

struct MoveCommitTest : ::testing::Test {
  TestChain c;
  Identity bob = Identity::generate(), bob2 = Identity::generate();
  GroupChain chain{c.group, c.name};  // alice's, an administrator's

  void SetUp() override {
    RosterEntry b{"bob", bob.public_key(), Role::member};
    c.add_alice(Role::admin);           // 2
    c.next();                           // 3
    c.next(Change::add, b);             // 4
    c.next();                           // 5
    c.next(Change::remove, b);          // 6
    c.next();                           // 7
    c.next(Change::add, b);             // 8
    c.next();                           // 9
    catch_up();
  }
  void catch_up() {
    for (std::size_t e = chain.empty() ? 1 : chain.head().epoch.value() + 1; e <= c.states.size(); ++e)
      ASSERT_EQ(chain.take(c.record(e), c.alice).fault, StateFault::none) << e;
  }
  MadeCommit move(bool history) {
    return make_commit(chain, c.alice, Proposal{Change::move, RosterEntry{"bob", bob2.public_key(), Role::member}, history},
                       1800001000);
  }
  // The epochs of the history boxes, each checked to open for bob2 to that
  // epoch's key.
  std::vector<std::uint32_t> history_epochs(const MadeCommit& m) {
    std::vector<std::uint32_t> out;
    for (const proto::HistoryBox& h : m.commit.history) {
      auto key = open_box(h.box, bob2, m.commit.ephemeral, m.state.hash(), h.epoch);
      EXPECT_TRUE(key && ct_equal(key->span(), c.keys[h.epoch.value() - 1].span())) << h.epoch.value();
      out.push_back(h.epoch.value());
    }
    return out;
  }
};

TEST_F(MoveCommitTest, TheNewKeyGetsTheEpochsTheOldKeyWasAMemberOf) {
  MadeCommit m = move(false);
  EXPECT_EQ(history_epochs(m), (std::vector<std::uint32_t>{4, 5, 8, 9}));
  // The state is one a member takes: the roster changed as the move says.
  StateRecord r{m.commit.state, m.commit.ephemeral, {}};
  ASSERT_EQ(chain.take(r, c.alice).fault, StateFault::none);
  EXPECT_EQ(chain.roster().find(bob2.public_key())->name, "bob");
  EXPECT_EQ(chain.roster().find(bob.public_key()), nullptr);
  EXPECT_EQ(chain.roster().size(), 3u);
}

TEST_F(MoveCommitTest, WithHistoryEveryEpochHeldAndAGrantCountsAsWhatItGave) {
  EXPECT_EQ(history_epochs(move(true)), (std::vector<std::uint32_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  c.next(Change::grant, RosterEntry{"bob", bob.public_key(), Role::member});  // 10
  catch_up();
  EXPECT_EQ(history_epochs(move(false)), (std::vector<std::uint32_t>{2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

TEST_F(MoveCommitTest, WhatTheRosterRefuses) {
  auto defect = [&](const std::string& name, const PublicKey& key) {
    return proposal_defect(chain, Proposal{Change::move, RosterEntry{name, key, Role::member}, false});
  };
  EXPECT_EQ(defect("bob", bob2.public_key()), "");
  EXPECT_EQ(defect("carol", bob2.public_key()), "not a member");
  EXPECT_EQ(defect("bob", c.alice.public_key()), "the new key is a member already, as alice");
  EXPECT_EQ(defect("bob", bob.public_key()), "the new key is a member already, as bob");
}

// A commit made with a key prepared ahead uses that key: its boxes open.
TEST_F(MoveCommitTest, MadeWithTheEphemeralKeyGiven) {
  EphemeralKey k = EphemeralKey::generate();
  std::vector<PublicKey> keys;
  for (const RosterEntry& e : chain.roster().entries()) keys.push_back(e.key);
  k.fill(0, k.plan(keys));
  EphemeralPublic used = k.public_key();
  MadeCommit m = make_commit(chain, c.alice, Proposal{}, 1800001000, default_lifetime, std::move(k));
  EXPECT_EQ(m.commit.ephemeral, used);
  std::vector<RosterEntry> roster = chain.roster().entries();
  ASSERT_EQ(m.commit.boxes.size(), roster.size());
  auto alice = std::ranges::find(roster, c.alice.public_key(), &RosterEntry::key) - roster.begin();
  EXPECT_TRUE(open_box(m.commit.boxes[static_cast<std::size_t>(alice)], c.alice, used, m.state.hash()));
}

// NextEphemeral (gryptd/ahead.h): for min_members or more, every member's
// X25519 done by its threads; take gives that key once, then a new one. A
// smaller roster is not prepared.
TEST(NextEphemeral, PreparedForALargeRosterTakenOnce) {
  std::vector<Identity> ids;
  std::vector<PublicKey> keys;
  for (std::size_t i = 0; i < NextEphemeral::min_members; ++i) {
    ids.push_back(Identity::generate());
    keys.push_back(ids.back().public_key());
  }
  NextEphemeral small;
  small.prepare(std::span(keys).first(NextEphemeral::min_members - 1));
  EXPECT_EQ(small.prepared(), 0u);

  NextEphemeral next;
  next.prepare(keys);
  EXPECT_EQ(next.prepared(), keys.size());
  EphemeralKey k = next.take();
  EXPECT_EQ(k.prepared(), keys.size());
  StateHash state{7};
  SecretBytes key(32);
  random_bytes(key.span());
  for (std::size_t i = 0; i < ids.size(); i += 51) {
    auto opened = open_box(k.box(keys[i], state, key.span()), ids[i], k.public_key(), state);
    ASSERT_TRUE(opened) << i;
    EXPECT_TRUE(ct_equal(opened->span(), key.span()));
  }
  EXPECT_NE(next.take().public_key(), k.public_key());
}

}  // namespace
}  // namespace grypt
