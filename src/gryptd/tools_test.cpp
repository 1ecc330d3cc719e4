// What gryptd answers the tools (gryptd/tools.cpp, ToolSession), apart from
// the socket and the servers: an Agent on a keyring that holds a group, with
// an injected clock, asked directly. No link to a server is made, so every
// answer is the daemon's own.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <asio/co_spawn.hpp>
#include <cstring>

#include "core/group_test_chain.h"
#include "core/test_dir.h"
#include "gryptd/agent.h"

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
    agent_ = std::make_unique<Agent>(*keyring_, listen_fd(), options_);
    // The server's frames, as a link would hand them to the follower.
    for (std::uint32_t e = 1; e <= 3; ++e) {
      const StateRecord& r = chain_.record(e);
      agent_->follower.state(*g_, agent_->live(g_), {"friends", Epoch(e), r.state, r.ephemeral, r.box});
    }
    agent_->follower.synced(*g_, agent_->live(g_), {"friends", Epoch(3)}, 1800000003);
  }

  // A listening Unix socket in the test's directory, as gryptd's main makes.
  int listen_fd() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::string path = dir_ + "/s";
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(::listen(fd, 4), 0);
    return fd;
  }

  // One tool's request, answered on the agent's loop.
  daemon::Reply ask(const daemon::Request& q) {
    std::optional<daemon::Reply> out;
    ToolSession session(*agent_);
    asio::co_spawn(agent_->io, session.handle(q), [&](std::exception_ptr e, daemon::Reply r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
    });
    agent_->io.restart();
    agent_->io.run();
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
  std::unique_ptr<Agent> agent_;
};

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

}  // namespace
}  // namespace grypt
