// What gryptd answers the tools (gryptd/tools.cpp, ToolSession), apart from
// the socket and the servers: an Agent on a keyring that holds a group, with
// an injected clock, asked directly. No link to a server is made, so every
// answer is the daemon's own.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>

#include "core/file.h"
#include "core/group_test_chain.h"
#include "core/identity_file.h"
#include "core/test_dir.h"
#include "gryptd/agent.h"
#include "gryptd/agent_test_util.h"

namespace grypt {
namespace {

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chain_.expires = 1800001000;
    chain_.add_alice();  // epoch 2
    chain_.next();       // epoch 3, a rotate
    keyring_ = std::make_unique<Keyring>(chain_.alice, dir_ + "/groups", dir_ + "/state");
    ref_ = {chain_.admin.public_key(), chain_.group, {{"127.0.0.1", 4433}}, chain_.name};
    g_ = &keyring_->join("pals", ref_);
    options_.clock = [this] { return now_; };
    options_.identity_path = dir_ + "/identity";
    agent_ = std::make_unique<Agent>(*keyring_, identity_, listen_fd(), options_);
    // The server's frames, as a link would hand them to the follower.
    for (std::uint32_t e = 1; e <= 3; ++e) {
      const StateRecord& r = chain_.record(e);
      agent_->follower.state(*g_, agent_->live(g_), {"friends", Epoch(e), r.state, r.ephemeral, r.box});
    }
    agent_->follower.synced(*g_, agent_->live(g_), {"friends", Epoch(3)}, 1800000003);
  }

  int listen_fd() { return unix_listener(dir_ + "/s"); }

  // One tool's request, answered on the agent's loop.
  daemon::Reply ask(const daemon::Request& q) {
    std::optional<daemon::Reply> out;
    ToolSession session(*agent_);
    asio::co_spawn(agent_->io, session.handle(q), [&](std::exception_ptr e, daemon::Reply r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
    });
    // Until the answer: an unlocked agent's links would run for ever.
    agent_->io.restart();
    while (!out && agent_->io.run_one()) {
    }
    EXPECT_TRUE(out.has_value());
    return out ? std::move(*out) : daemon::Reply{daemon::Failure{}};
  }

  daemon::GroupStatus status() {
    auto s = std::get<daemon::StatusReply>(ask(daemon::Status{}));
    EXPECT_EQ(s.identity, chain_.alice.public_key().to_string());
    EXPECT_EQ(s.groups.size(), 1u);
    return s.groups.empty() ? daemon::GroupStatus{} : s.groups[0];
  }

  TestDir tmp_;
  std::string dir_ = tmp_.path();
  TestChain chain_;
  GroupReference ref_;
  std::unique_ptr<Keyring> keyring_;
  KnownGroup* g_ = nullptr;
  std::int64_t now_ = 1800000500;
  DaemonOptions options_;
  std::optional<Identity> identity_;  // the agent's once it unlocked
  std::unique_ptr<Agent> agent_;
};

SecretBytes secret_of(std::string_view s) {
  return SecretBytes::copy_of({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

void write_identity(const std::string& path, const Identity& id, const char* passphrase) {
  SecretBytes p = secret_of(passphrase ? passphrase : "");
  write_file_atomic(path, encode_identity(id, passphrase ? &p : nullptr, {1, 64, 1}));
}

TEST_F(ToolsTest, StatusShowsTheGroupAsTheDaemonHoldsIt) {
  daemon::GroupStatus g = status();
  EXPECT_EQ(g.name, "pals");
  EXPECT_EQ(g.state, Standing::connected);
  EXPECT_EQ(g.epoch, 3u);
  EXPECT_EQ(g.members, 2u);
  EXPECT_EQ(g.role, "member");
  EXPECT_EQ(g.confirmed, 1800000003);
  EXPECT_EQ(g.expires, 1800001000);
  EXPECT_EQ(g.head, chain_.states[2].hash());
}

TEST_F(ToolsTest, AGroupWhoseNewestEpochExpiredIsExpiredByTheClock) {
  now_ = 1800000999;
  EXPECT_EQ(status().state, Standing::connected);
  now_ = 1800001000;
  EXPECT_EQ(status().state, Standing::expired);
  // A seal under it is never fresh, and says so: the tool warns, or with
  // --require-fresh refuses (grypt-protocol.7, EXPIRY).
  auto r = std::get<daemon::SealReply>(ask(daemon::Seal{"pals", true, std::nullopt}));
  EXPECT_EQ(r.state, Standing::expired);
  EXPECT_FALSE(r.fresh);
  EXPECT_EQ(r.epoch, 3u);
}

TEST_F(ToolsTest, ASealIsForTheNewestEpochHeld) {
  auto r = std::get<daemon::SealReply>(ask(daemon::Seal{"pals", false, std::nullopt}));
  EXPECT_EQ(r.epoch, 3u);
  EXPECT_EQ(r.state_hash, chain_.states[2].hash());
  EXPECT_FALSE(r.fresh);  // no server confirmed it just now
  EXPECT_EQ(r.state, Standing::connected);
  EXPECT_EQ(r.key.size(), 32u);
}

TEST_F(ToolsTest, MembersAreFoundByKeyIdInTheEpochsRoster) {
  daemon::Members m{short_id(chain_.group), Epoch(3), chain_.alice.public_key().key_id()};
  auto r = std::get<daemon::MembersReply>(ask(m));
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].name, "alice");
  EXPECT_EQ(r.members[0].key, chain_.alice.public_key());
  // Not yet a member at epoch 1.
  m.epoch = Epoch(1);
  EXPECT_TRUE(std::get<daemon::MembersReply>(ask(m)).members.empty());
}

TEST_F(ToolsTest, AnUnknownGroupIsNamed) {
  auto f = std::get<daemon::Failure>(ask(daemon::Seal{"nope", true, std::nullopt}));
  EXPECT_EQ(f.code, daemon::Code::unknown_group);
  EXPECT_EQ(f.message, "no group named nope (see gryptd join)");
  f = std::get<daemon::Failure>(ask(daemon::Listing{daemon::Listing::What::roster, "nope"}));
  EXPECT_EQ(f.code, daemon::Code::unknown_group);
}

TEST_F(ToolsTest, TheRosterAndLogAreTheChainsWhoeverAsks) {
  auto roster = std::get<daemon::RosterReply>(ask(daemon::Listing{daemon::Listing::What::roster, "pals"}));
  ASSERT_EQ(roster.members.size(), 2u);
  auto log = std::get<daemon::LogReply>(ask(daemon::Listing{daemon::Listing::What::log, "pals"}));
  ASSERT_EQ(log.entries.size(), 3u);
  EXPECT_EQ(log.entries[0].change, "create");
  EXPECT_EQ(log.entries[1].subject_name, "alice");
  EXPECT_EQ(log.entries[2].change, "rotate");
  EXPECT_EQ(log.entries[2].signer_name, "admin");
}

TEST_F(ToolsTest, LockedTheKeysAreGoneUntilTheRightPassphraseUnlocks) {
  write_identity(options_.identity_path, chain_.alice, "right one");
  auto sealed = std::get<daemon::SealReply>(ask(daemon::Seal{"pals", false, std::nullopt}));
  EXPECT_TRUE(std::holds_alternative<daemon::Done>(ask(daemon::Lock{})));
  EXPECT_TRUE(keyring_->locked());
  EXPECT_EQ(g_->chain.key(Epoch(3)), nullptr);
  EXPECT_EQ(agent_->tls, nullptr);
  EXPECT_EQ(status().state, Standing::locked);
  EXPECT_TRUE(std::get<daemon::StatusReply>(ask(daemon::Status{})).locked);
  // Every request that needs a key says so; what the chain shows still works.
  std::vector<daemon::Request> needing;
  needing.emplace_back(daemon::Seal{"pals", false, std::nullopt});
  needing.emplace_back(daemon::Open{sealed.header});
  needing.emplace_back(daemon::Listing{daemon::Listing::What::pending, "pals"});
  needing.emplace_back(daemon::Join{"more", ref_.to_string(), ""});
  for (const daemon::Request& q : needing) {
    auto f = std::get<daemon::Failure>(ask(q));
    EXPECT_EQ(f.code, daemon::Code::locked);
    EXPECT_EQ(f.message, "gryptd is locked: unlock it with gryptd unlock");
  }
  daemon::Members m{short_id(chain_.group), Epoch(3), chain_.alice.public_key().key_id()};
  EXPECT_EQ(std::get<daemon::MembersReply>(ask(m)).members.size(), 1u);
  EXPECT_EQ(std::get<daemon::RosterReply>(ask(daemon::Listing{daemon::Listing::What::roster, "pals"})).members.size(),
            2u);
  EXPECT_EQ(std::get<daemon::Failure>(ask(daemon::Unlock{secret_of("wrong one")})).code, daemon::Code::passphrase);
  EXPECT_TRUE(keyring_->locked());
  EXPECT_TRUE(std::holds_alternative<daemon::Done>(ask(daemon::Unlock{secret_of("right one")})));
  EXPECT_FALSE(keyring_->locked());
  EXPECT_NE(agent_->tls, nullptr);
  // The same epoch keys, opened again from their boxes.
  auto opened = std::get<daemon::OpenReply>(ask(daemon::Open{sealed.header}));
  EXPECT_EQ(opened.key.view(), sealed.key.view());
  EXPECT_EQ(opened.epoch, 3u);
  // Unlocking an unlocked daemon looks at nothing.
  EXPECT_TRUE(std::holds_alternative<daemon::Done>(ask(daemon::Unlock{secret_of("anything")})));
  // Each cycle stops its links and makes new ones; the stopped ones go.
  const std::size_t links = agent_->link_count();
  EXPECT_GE(links, 1u);
  for (int i = 0; i < 3; ++i) {
    ask(daemon::Lock{});
    ask(daemon::Unlock{secret_of("right one")});
  }
  EXPECT_EQ(agent_->link_count(), links);
}

TEST_F(ToolsTest, UnlockRefusesAnIdentityFileThatNowHoldsAnotherKey) {
  write_identity(options_.identity_path, chain_.admin, "pass");
  ask(daemon::Lock{});
  auto f = std::get<daemon::Failure>(ask(daemon::Unlock{secret_of("pass")}));
  EXPECT_EQ(f.code, daemon::Code::protocol);
  EXPECT_EQ(f.message, "cannot unlock: the identity file now holds another key");
  EXPECT_TRUE(keyring_->locked());
  ::unlink(options_.identity_path.c_str());
  f = std::get<daemon::Failure>(ask(daemon::Unlock{secret_of("pass")}));
  EXPECT_EQ(f.code, daemon::Code::protocol);
  EXPECT_TRUE(keyring_->locked());
}

TEST_F(ToolsTest, AnIdentityWithoutAPassphraseUnlocksAtTheNextRequestThatNeedsIt) {
  write_identity(options_.identity_path, chain_.alice, nullptr);
  agent_->options.passphrase_free = true;
  ask(daemon::Lock{});
  EXPECT_TRUE(std::get<daemon::StatusReply>(ask(daemon::Status{})).locked);
  auto r = std::get<daemon::SealReply>(ask(daemon::Seal{"pals", false, std::nullopt}));
  EXPECT_EQ(r.epoch, 3u);
  EXPECT_FALSE(keyring_->locked());
  // The file given a passphrase since (grypt-keygen --change-passphrase):
  // locked, for a tool to ask the passphrase, not a wrong one.
  write_identity(options_.identity_path, chain_.alice, "now protected");
  ask(daemon::Lock{});
  auto f = std::get<daemon::Failure>(ask(daemon::Seal{"pals", false, std::nullopt}));
  EXPECT_EQ(f.code, daemon::Code::locked);
  EXPECT_TRUE(std::holds_alternative<daemon::Done>(ask(daemon::Unlock{secret_of("now protected")})));
  EXPECT_FALSE(keyring_->locked());
}

TEST_F(ToolsTest, LockAfterCountsFromTheLastRequestThatUsedAKey) {
  write_identity(options_.identity_path, chain_.alice, "p");
  agent_->options.lock_after = std::chrono::seconds(1);
  auto wait = [&] {
    agent_->io.restart();
    agent_->io.run_for(std::chrono::milliseconds(600));
  };
  ask(daemon::Seal{"pals", false, std::nullopt});
  wait();
  ask(daemon::Status{});  // uses no key: the clock runs on
  ask(daemon::Listing{daemon::Listing::What::roster, "pals"});
  wait();
  EXPECT_TRUE(keyring_->locked());
  EXPECT_EQ(g_->chain.key(Epoch(3)), nullptr);
  ask(daemon::Unlock{secret_of("p")});
  wait();
  ask(daemon::Seal{"pals", false, std::nullopt});  // uses one: the clock starts again
  wait();
  EXPECT_FALSE(keyring_->locked());
  wait();
  EXPECT_TRUE(keyring_->locked());
}

}  // namespace
}  // namespace grypt
