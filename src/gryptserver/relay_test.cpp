// The relay's checks of a commit (grypt-protocol.7, COMMITS), apart from the
// network and the store: what a server takes, what it refuses and with which
// code, and that a refused commit leaves the group as it was.
#include "gryptserver/relay.h"

#include <gtest/gtest.h>

#include "core/group_test_chain.h"

namespace grypt {
namespace {

EpochBox box_of(std::uint8_t b) {
  EpochBox x{};
  x.fill(b);
  return x;
}

// The commit of the chain's epoch e, with n boxes.
proto::Commit commit_of(const TestChain& c, std::size_t e, std::size_t n) {
  const StateRecord& r = c.record(e);
  proto::Commit out{e == 1 ? "" : c.name, r.state, r.ephemeral, {}, {}, false, {}};
  for (std::size_t i = 0; i < n; ++i) out.boxes.push_back(box_of(static_cast<std::uint8_t>(i + 1)));
  return out;
}

proto::Refused refusal(const std::variant<CheckedCommit, proto::Refused>& v) {
  EXPECT_TRUE(std::holds_alternative<proto::Refused>(v));
  const auto* r = std::get_if<proto::Refused>(&v);
  return r ? *r : proto::Refused{};
}

// A relay holding the chain's genesis, as a server after "create".
struct RelayTest : ::testing::Test {
  TestChain chain;
  Relay relay;
  GroupLive* group = nullptr;

  void SetUp() override {
    auto v = relay.check_create(commit_of(chain, 1, 1), {chain.admin.public_key()});
    ASSERT_TRUE(std::holds_alternative<CheckedCommit>(v));
    group = &relay.add(GroupRow{1, chain.name, chain.group, 1}, std::get<CheckedCommit>(v));
  }
  // Checks and applies the chain's epoch e with one box per member.
  void take(std::size_t e) {
    auto v = relay.check(*group, commit_of(chain, e, chain.roster.size()));
    ASSERT_TRUE(std::holds_alternative<CheckedCommit>(v)) << refusal(v).message;
    relay.apply(*group, std::get<CheckedCommit>(v));
  }
};

TEST_F(RelayTest, AGenesisIsTakenOnlyFromAKeyAllowedToCreateWithItsCreatorsBox) {
  EXPECT_EQ(group->head(), Epoch(1));
  EXPECT_EQ(group->name(), "friends");
  Identity other = Identity::generate();
  const proto::Refused r = refusal(relay.check_create(commit_of(chain, 1, 1), {other.public_key()}));
  EXPECT_EQ(r.code, "not-admin");
  EXPECT_EQ(r.message, "this server does not let that key create groups");
  EXPECT_EQ(refusal(relay.check_create(commit_of(chain, 1, 2), {chain.admin.public_key()})).code, "bad-boxes");
  chain.add_alice();
  // A later state is no genesis.
  EXPECT_EQ(refusal(relay.check_create(commit_of(chain, 2, 2), {chain.admin.public_key()})).code, "bad-state");
  auto checked = std::get<CheckedCommit>(relay.check_create(commit_of(chain, 1, 1), {chain.admin.public_key()}));
  ASSERT_EQ(checked.row.boxes.size(), 1u);
  EXPECT_EQ(checked.row.boxes[0].first, chain.admin.public_key());
}

TEST_F(RelayTest, ACommitOnTheHeadIsTakenWithABoxForEachMemberInKeyOrder) {
  chain.add_alice();
  auto v = relay.check(*group, commit_of(chain, 2, 2));
  ASSERT_TRUE(std::holds_alternative<CheckedCommit>(v)) << refusal(v).message;
  const CheckedCommit& c = std::get<CheckedCommit>(v);
  EXPECT_EQ(c.row.epoch, Epoch(2));
  ASSERT_EQ(c.row.added.size(), 1u);
  EXPECT_EQ(c.row.added[0], chain.alice.public_key());
  ASSERT_EQ(c.row.boxes.size(), 2u);
  std::size_t i = 0;
  for (const RosterEntry& e : chain.roster.entries()) {
    EXPECT_EQ(c.row.boxes[i].first, e.key);
    EXPECT_EQ(c.row.boxes[i].second, box_of(static_cast<std::uint8_t>(i + 1)));
    ++i;
  }
  // Checked, not yet applied: the head stays until the store wrote it.
  EXPECT_EQ(group->head(), Epoch(1));
  relay.apply(*group, c);
  EXPECT_EQ(group->head(), Epoch(2));
  EXPECT_EQ(group->roster.size(), 2u);
}

TEST_F(RelayTest, ACommitNotOnTheHeadIsStale) {
  chain.add_alice();
  chain.next();
  // Epoch 3 while the head is 1: skipped one.
  const proto::Refused skip = refusal(relay.check(*group, commit_of(chain, 3, 2)));
  EXPECT_EQ(skip.code, "stale");
  EXPECT_EQ(skip.head, Epoch(1));
  EXPECT_EQ(skip.message, "epoch 3 does not follow the group's head, epoch 1");
  take(2);
  // Epoch 2 again, now that the head is 2: a second admin that lost the race.
  const proto::Refused again = refusal(relay.check(*group, commit_of(chain, 2, 2)));
  EXPECT_EQ(again.code, "stale");
  EXPECT_EQ(again.head, Epoch(2));
}

TEST_F(RelayTest, OnlyAnAdminOfTheHeadsRosterMayCommit) {
  chain.add_alice();
  take(2);
  chain.next(Change::rotate, std::nullopt, &chain.alice);  // signed by a member
  const proto::Refused r = refusal(relay.check(*group, commit_of(chain, 3, 2)));
  EXPECT_EQ(r.code, "not-admin");
  EXPECT_EQ(group->head(), Epoch(2));
}

TEST_F(RelayTest, WrongBoxCountsAreRefusedAndLeaveTheRosterAsItWas) {
  chain.add_alice();
  for (std::size_t n : {0u, 1u, 3u}) {
    const proto::Refused r = refusal(relay.check(*group, commit_of(chain, 2, n)));
    EXPECT_EQ(r.code, "bad-boxes");
    EXPECT_EQ(r.message, std::to_string(n) + " boxes for 2 members");
    EXPECT_EQ(group->roster.size(), 1u) << "the add was not taken back";
  }
  take(2);  // the right count still goes
  EXPECT_EQ(group->roster.size(), 2u);
}

TEST_F(RelayTest, HistoryBoxesGoOnlyWithAnAddAGrantOrAMoveForPastDistinctEpochs) {
  chain.next();  // epoch 2, a rotate
  take(2);
  chain.add_alice();  // epoch 3
  auto with_history = [&](std::vector<std::uint32_t> epochs) {
    proto::Commit c = commit_of(chain, 3, 2);
    for (std::uint32_t e : epochs) c.history.push_back({Epoch(e), box_of(9)});
    return relay.check(*group, c);
  };
  auto ok = with_history({1, 2});
  ASSERT_TRUE(std::holds_alternative<CheckedCommit>(ok)) << refusal(ok).message;
  const CheckedCommit& c = std::get<CheckedCommit>(ok);
  ASSERT_EQ(c.row.history.size(), 2u);
  EXPECT_EQ(c.row.history[0].first, chain.alice.public_key());
  EXPECT_EQ(c.row.history[1].second.epoch, Epoch(2));
  EXPECT_EQ(c.row.history[1].second.grant, Epoch(3));
  EXPECT_EQ(refusal(with_history({3})).message, "a history box of epoch 3");
  EXPECT_EQ(refusal(with_history({0})).message, "a history box of epoch 0");
  EXPECT_EQ(refusal(with_history({1, 1})).message, "two history boxes of epoch 1");
  relay.apply(*group, c);
  chain.next();  // epoch 4, a rotate
  proto::Commit rotate = commit_of(chain, 4, 2);
  rotate.history.push_back({Epoch(1), box_of(9)});
  const proto::Refused r = refusal(relay.check(*group, rotate));
  EXPECT_EQ(r.code, "bad-boxes");
  EXPECT_EQ(r.message, "history boxes with a rotate");
}

TEST_F(RelayTest, AMoveRemovesTheOldKeyAddsTheNewAndTakesHistoryBoxesForIt) {
  chain.add_alice();  // epoch 2
  take(2);
  Identity alice2 = Identity::generate();
  chain.next(Change::move, RosterEntry{"alice", alice2.public_key(), Role::member});  // 3
  proto::Commit c = commit_of(chain, 3, 2);
  c.history.push_back({Epoch(2), box_of(9)});
  auto ok = relay.check(*group, c);
  ASSERT_TRUE(std::holds_alternative<CheckedCommit>(ok)) << refusal(ok).message;
  const CheckedCommit& checked = std::get<CheckedCommit>(ok);
  ASSERT_EQ(checked.row.history.size(), 1u);
  EXPECT_EQ(checked.row.history[0].first, alice2.public_key());
  // The old key is told it was removed; the new one is added (its pending
  // request goes, a live connection of it is synced).
  EXPECT_EQ(checked.removed, std::vector<PublicKey>{chain.alice.public_key()});
  EXPECT_EQ(checked.row.added, std::vector<PublicKey>{alice2.public_key()});
}

TEST_F(RelayTest, AStateThatDoesNotDecodeOrApplyIsABadState) {
  chain.add_alice();
  proto::Commit cut = commit_of(chain, 2, 2);
  cut.state.resize(100);
  EXPECT_EQ(refusal(relay.check(*group, cut)).code, "bad-state");
  // Epoch 2 of another group.
  TestChain other;
  other.add_alice();
  const proto::Refused foreign = refusal(relay.check(*group, commit_of(other, 2, 2)));
  EXPECT_EQ(foreign.code, "bad-state");
  EXPECT_EQ(foreign.message.rfind(state_fault_text(StateFault::other_group), 0), 0u) << foreign.message;
  take(2);
  // The last admin removed.
  chain.next(Change::remove, RosterEntry{"admin", chain.admin.public_key(), Role::admin});
  const proto::Refused last = refusal(relay.check(*group, commit_of(chain, 3, 1)));
  EXPECT_EQ(last.code, "bad-state");
  EXPECT_EQ(last.message.rfind(state_fault_text(StateFault::last_admin), 0), 0u) << last.message;
  EXPECT_EQ(group->roster.size(), 2u);
}

// A run: epochs from..to-1 of the chain as the run, epoch `to` with n boxes.
proto::Commit run_of(const TestChain& c, std::size_t from, std::size_t to, std::size_t n) {
  proto::Commit out = commit_of(c, to, n);
  for (std::size_t e = from; e < to; ++e) out.run.push_back(c.record(e).state);
  return out;
}

TEST_F(RelayTest, ARunOfChangesIsTakenWholeWithBoxesForTheLastRosterOnly) {
  std::vector<Identity> people;
  for (int i = 0; i < 5; ++i) {
    people.push_back(Identity::generate());
    chain.next(Change::add, RosterEntry{"m" + std::to_string(i), people.back().public_key(), Role::member});
  }
  auto v = relay.check(*group, run_of(chain, 2, 6, 6));
  ASSERT_TRUE(std::holds_alternative<CheckedCommit>(v)) << refusal(v).message;
  const CheckedCommit& c = std::get<CheckedCommit>(v);
  EXPECT_EQ(c.row.first(), Epoch(2));
  EXPECT_EQ(c.row.epoch, Epoch(6));
  ASSERT_EQ(c.run.size(), 4u);
  ASSERT_EQ(c.row.run.size(), 4u);
  EXPECT_EQ(c.row.run[0].ephemeral, EphemeralPublic{});
  EXPECT_EQ(c.row.added.size(), 5u);
  EXPECT_EQ(c.row.boxes.size(), 6u);
  EXPECT_TRUE(c.removed.empty());
  EXPECT_EQ(group->roster.size(), 1u) << "checking moved the roster and left it moved";
  relay.apply(*group, c);
  EXPECT_EQ(group->head(), Epoch(6));
  EXPECT_EQ(group->roster.size(), 6u);
  // A run that removes two: they are told, the one added back is not.
  chain.next(Change::remove, RosterEntry{"m0", people[0].public_key(), Role::member});
  chain.next(Change::remove, RosterEntry{"m1", people[1].public_key(), Role::member});
  chain.next(Change::add, RosterEntry{"m1", people[1].public_key(), Role::member});
  chain.next();
  auto r = relay.check(*group, run_of(chain, 7, 10, 5));
  ASSERT_TRUE(std::holds_alternative<CheckedCommit>(r)) << refusal(r).message;
  EXPECT_EQ(std::get<CheckedCommit>(r).removed, std::vector<PublicKey>{people[0].public_key()});
}

TEST_F(RelayTest, ARunWithABadStateIsRefusedByItsEpochAndLeavesTheRosterAsItWas) {
  Identity bob = Identity::generate();
  chain.add_alice();                                                           // 2
  chain.next(Change::add, RosterEntry{"bob", bob.public_key(), Role::member});  // 3
  chain.next(Change::rotate, std::nullopt, &chain.alice);                      // 4: not an admin's
  chain.next();                                                                // 5
  const proto::Refused r = refusal(relay.check(*group, run_of(chain, 2, 5, 3)));
  EXPECT_EQ(r.code, "not-admin");
  EXPECT_EQ(r.message, "epoch 4 of the run: " + std::string(state_fault_text(StateFault::not_admin)));
  EXPECT_EQ(group->roster.size(), 1u);
  EXPECT_EQ(group->head(), Epoch(1));
  // A gap inside the run: epoch 3 left out.
  proto::Commit gap = run_of(chain, 2, 5, 3);
  gap.run.erase(gap.run.begin() + 1);
  const proto::Refused g = refusal(relay.check(*group, gap));
  EXPECT_EQ(g.code, "bad-state");
  EXPECT_EQ(g.message.rfind("epoch 4 of the run: ", 0), 0u) << g.message;
  EXPECT_EQ(group->roster.size(), 1u);
  // Boxes for a roster the run does not end with.
  const proto::Refused b = refusal(relay.check(*group, run_of(chain, 2, 3, 2)));
  EXPECT_EQ(b.code, "bad-boxes");
  EXPECT_EQ(b.message, "2 boxes for 3 members");
  EXPECT_EQ(group->roster.size(), 1u);
  // A run that does not start on the head.
  EXPECT_EQ(refusal(relay.check(*group, run_of(chain, 3, 3, 3))).code, "stale");
  // A run state that does not decode.
  proto::Commit cut = run_of(chain, 2, 3, 3);
  cut.run[0].resize(100);
  const proto::Refused d = refusal(relay.check(*group, cut));
  EXPECT_EQ(d.code, "bad-state");
  EXPECT_EQ(d.message.rfind("state 1 of the run: ", 0), 0u) << d.message;
}

}  // namespace
}  // namespace grypt
