#include "gryptd/follow.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>

#include "core/file.h"
#include "core/group_test_chain.h"
#include "core/test_dir.h"

namespace grypt {
namespace {

// A member's keyring for one group (known locally as "pals"), and the
// frames its server sends about it.
class FollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_.add_alice();
    c_.next();
    c_.next();
    ref_ = {c_.admin.public_key(), c_.group, {{"127.0.0.1", 4433}}, c_.name};
    keyring_ = std::make_unique<Keyring>(c_.alice, dir_ + "/groups", dir_ + "/state");
    g_ = &keyring_->join("pals", ref_);
    f_ = std::make_unique<Follower>(*keyring_);
  }

  proto::State state(std::size_t epoch) {
    const StateRecord& r = c_.record(epoch);
    return {"friends", Epoch(static_cast<std::uint32_t>(epoch)), r.state, r.ephemeral, r.box};
  }
  Outcome synced(std::uint32_t epoch) { return f_->synced(*g_, live_, {"friends", Epoch(epoch)}, 1800000000); }

  TestDir tmp_;
  std::string dir_ = tmp_.path();
  TestChain c_;
  GroupReference ref_;
  std::unique_ptr<Keyring> keyring_;
  KnownGroup* g_ = nullptr;
  Live live_;
  std::unique_ptr<Follower> f_;
};

TEST_F(FollowTest, StatesThenSyncedConnectAndAreKept) {
  for (int e = 1; e <= 3; ++e) EXPECT_FALSE(f_->state(*g_, live_, state(e)).end);
  Outcome o = synced(3);
  EXPECT_FALSE(o.end);
  EXPECT_EQ(o.log, "pals: epoch 3");
  EXPECT_EQ(live_.standing, Standing::connected);
  EXPECT_EQ(g_->chain.confirmed, 1800000000);
  // Kept in the cache: a new keyring holds epoch 3.
  Keyring again(c_.alice, dir_ + "/groups", dir_ + "/state");
  EXPECT_EQ(again.find("pals")->chain.head().epoch, Epoch(3));
}

TEST_F(FollowTest, ASyncedBehindWhatIsHeldIsARollback) {
  for (int e = 1; e <= 3; ++e) f_->state(*g_, live_, state(e));
  synced(3);
  // The same states sent again (a server restored from an old copy sends
  // its chain from the start) are nothing new; "synced 2" is the rollback.
  for (int e = 1; e <= 2; ++e) EXPECT_FALSE(f_->state(*g_, live_, state(e)).end);
  Outcome o = synced(2);
  EXPECT_TRUE(o.end);
  EXPECT_EQ(live_.standing, Standing::rolled_back);
  EXPECT_EQ(o.log, "pals: the server went back to epoch 2 while this member holds epoch 3 (a store "
                   "restored from an old copy, or a replay)");
  EXPECT_EQ(live_.why, o.log.substr(6));
  EXPECT_TRUE(standing_is_verdict(live_.standing));
  // Back at the head: connected again.
  EXPECT_FALSE(synced(3).end);
  EXPECT_EQ(live_.standing, Standing::connected);
  EXPECT_TRUE(live_.why.empty());
}

TEST_F(FollowTest, ASyncedAheadOfWhatWasSentOrAFrameThatBelieItsStateIsRefused) {
  f_->state(*g_, live_, state(1));
  Outcome o = synced(2);
  EXPECT_TRUE(o.end);
  EXPECT_EQ(o.log, "pals: refused: the server says it is at epoch 2, which it did not send");
  proto::State s = state(2);
  s.epoch = Epoch(3);
  o = f_->state(*g_, live_, s);
  EXPECT_TRUE(o.end);
  EXPECT_EQ(o.log, "pals epoch 3: refused: the frame names another epoch than its state");
  o = f_->state(*g_, live_, state(3));
  EXPECT_TRUE(o.end);
  EXPECT_EQ(o.log, "pals epoch 3: refused: the state is not the next epoch (a gap, a replay or a rollback)");
  EXPECT_EQ(g_->chain.head().epoch, Epoch(1));
}

TEST_F(FollowTest, TwoStatesForOneEpochAreKeptAsProofAndOutlastARestart) {
  for (int e = 1; e <= 3; ++e) f_->state(*g_, live_, state(e));
  synced(3);
  GroupState other = c_.states[2];
  other.time += 1000;
  auto b = other.sign(c_.admin);
  proto::State s{"friends", Epoch(3), {b.begin(), b.end()}, c_.record(3).ephemeral, {}};
  Outcome o = f_->state(*g_, live_, s);
  EXPECT_TRUE(o.end);
  EXPECT_EQ(live_.standing, Standing::forked);
  std::string proof = g_->dir + "/forked-3";
  EXPECT_EQ(o.log, "pals: two different states were signed for epoch 3: the group's history forked "
                   "(both kept in " + proof + ")");
  EXPECT_TRUE(file_exists(proof));
  // What was held is kept: the head is the first epoch 3.
  EXPECT_EQ(g_->chain.head().encode(), c_.bytes[2]);
  Keyring again(c_.alice, dir_ + "/groups", dir_ + "/state");
  Live l;
  Follower(again).load(*again.find("pals"), l);
  EXPECT_EQ(l.standing, Standing::forked);
  EXPECT_EQ(l.why, live_.why);
}

TEST_F(FollowTest, NotAMemberAndRemovedAreVerdictsThatLastUntilTheServerSaysOtherwise) {
  Outcome o = f_->not_member(*g_, live_);
  EXPECT_FALSE(o.end);
  EXPECT_EQ(live_.standing, Standing::not_member);
  EXPECT_EQ(o.log, "pals: not a member; send your key to the group's administrator: " +
                       c_.alice.public_key().to_string());
  f_->state(*g_, live_, state(1));
  synced(1);
  EXPECT_EQ(live_.standing, Standing::connected);
  EXPECT_EQ(f_->removed(*g_, live_).log, "pals: removed from the group");
  EXPECT_EQ(live_.standing, Standing::not_member);
  std::uint64_t before = live_.answers;
  f_->not_member(*g_, live_);
  EXPECT_EQ(live_.answers, before + 1);
}

}  // namespace
}  // namespace grypt
