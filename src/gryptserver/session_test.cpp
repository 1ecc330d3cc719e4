// A Session (gryptserver/session.cpp) of a Server on a SQLite store in the
// test's directory, its loop on a thread of its own, talked to by a
// scripted member: a TLS client on 127.0.0.1 whose frames each test writes
// and reads itself. What the server answers, and when it closes, are
// checked as a member's daemon sees them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <functional>
#include <thread>

#include "core/group_test_chain.h"
#include "core/test_dir.h"
#include "gryptserver/server_impl.h"
#include "gryptserver/store_sqlite.h"
#include "proto/frame.h"

namespace grypt {
namespace {

using asio::use_awaitable;
using tcp = asio::ip::tcp;

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SecretBytes master(32);
    random_bytes(master.span());
    store_ = open_sqlite_store(tmp_.path(), true);
    store_->unlock(FieldCipher(master));
    MasterInfo info;
    info.check = FieldCipher(master).seal(as_bytes("x"), "meta.master_check.1");
    store_->create(info, Identity::generate(), "127.0.0.1:0", "127.0.0.1", {c_.admin.public_key()});
    // "friends", its admin its only member (as grypt-admin create makes it).
    Relay relay(store_->groups(), *store_);
    proto::Commit genesis;
    genesis.state.assign(c_.bytes[0].begin(), c_.bytes[0].end());
    genesis.ephemeral = c_.record(1).ephemeral;
    genesis.boxes.assign(1, EpochBox{});
    auto created = relay.check_create(genesis, store_->admins());
    ASSERT_TRUE(std::holds_alternative<CheckedCommit>(created));
    const CheckedCommit& g = std::get<CheckedCommit>(created);
    store_->create_group("friends", c_.group, g.row.state, g.row.boxes[0].first, g.row.boxes[0].second);

    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    ServeOptions o{"127.0.0.1:0", tmp_.path() + "/admin", ready[1], {}, {}};
    // The server's monotonic clock, `ahead_` past the system's.
    o.clock = [this] { return std::chrono::steady_clock::now() + std::chrono::seconds(ahead_.load()); };
    server_ = std::make_unique<Server>(*store_, o);
    thread_ = std::thread([this] { server_->run(); });
    char line[64] = {};
    ASSERT_GT(::read(ready[0], line, sizeof line - 1), 0);
    ::close(ready[0]);
    port_ = static_cast<std::uint16_t>(std::stoi(std::string(line).substr(std::string(line).rfind(':') + 1)));
  }
  void TearDown() override {
    if (server_) server_->io.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Runs `script` as the member `as`, connected and welcomed; false if it
  // did not end within 5 s. What it threw is in failure_.
  bool member(const Identity& as, std::function<asio::awaitable<void>()> script) {
    asio::io_context io;
    TlsContext tls(TlsContext::Role::client, as);
    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          tcp::socket s(io);
          co_await s.async_connect({asio::ip::make_address("127.0.0.1"), port_}, use_awaitable);
          stream_ = std::make_unique<TlsStream>(tls, std::move(s));
          Ed25519Key pin;
          std::ranges::copy(server_->identity.public_key().ed25519(), pin.begin());
          stream_->expect_peer(pin);
          co_await stream_->handshake();
          in_ = FrameBuffer();
          auto welcome = co_await receive();
          if (!welcome || !std::holds_alternative<proto::Welcome>(*welcome)) throw Error("no welcome");
          co_await script();
        },
        [&](std::exception_ptr e) {
          done = true;
          if (e) try {
              std::rethrow_exception(e);
            } catch (const std::exception& x) {
              failure_ = x.what();
            }
        });
    io.run_for(std::chrono::seconds(5));
    stream_.reset();
    return done;
  }
  asio::awaitable<void> send(const proto::FromMember& m) { co_await stream_->write_all(frame(proto::encode(m))); }
  // The next frame, or nullopt when the server closed the connection.
  asio::awaitable<std::optional<proto::FromServer>> receive() {
    for (;;) {
      if (auto body = in_.next()) co_return proto::decode_from_server(*body);
      std::uint8_t buf[4096];
      std::size_t n = co_await stream_->read_some(buf);
      if (n == 0) co_return std::nullopt;
      in_.feed(std::span(buf, n));
    }
  }
  // Every frame until the server closes the connection.
  asio::awaitable<std::vector<proto::FromServer>> until_closed() {
    std::vector<proto::FromServer> all;
    while (auto m = co_await receive()) all.push_back(std::move(*m));
    co_return all;
  }

  TestDir tmp_;
  TestChain c_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::atomic<std::int64_t> ahead_{0};  // seconds
  std::unique_ptr<TlsStream> stream_;
  FrameBuffer in_;
  std::string failure_;
};

// The group's admin, holding nothing: its state with its box, then synced;
// the session stays (a ping is answered).
TEST_F(SessionTest, AMemberHoldingNothingIsSentTheChainAndStays) {
  std::vector<proto::FromServer> got;
  ASSERT_TRUE(member(c_.admin, [&]() -> asio::awaitable<void> {
    proto::FromMember hello = proto::Hello{c_.admin.public_key(), {proto::GroupWant{"friends", {}, {}, {}, {}}}};
    co_await send(hello);
    for (int i = 0; i < 2; ++i)
      if (auto m = co_await receive()) got.push_back(std::move(*m));
    proto::FromMember ping = proto::Ping{};
    co_await send(ping);
    if (auto m = co_await receive()) got.push_back(std::move(*m));
  })) << failure_;
  EXPECT_EQ(failure_, "");
  ASSERT_EQ(got.size(), 3u);
  const auto* state = std::get_if<proto::State>(&got[0]);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->epoch, Epoch(1));
  EXPECT_EQ(state->box.size(), box_bytes);
  const auto* synced = std::get_if<proto::Synced>(&got[1]);
  ASSERT_TRUE(synced);
  EXPECT_EQ(synced->epoch, Epoch(1));
  EXPECT_TRUE(std::holds_alternative<proto::Pong>(got[2]));
}

// A key that is a member of nothing it asked for is told "not a member"
// for each, a group that exists as one that does not, and the connection
// is closed.
TEST_F(SessionTest, AKeyThatIsAMemberOfNothingAskedIsToldSoAndClosed) {
  Identity stranger = Identity::generate();
  std::vector<proto::FromServer> got;
  ASSERT_TRUE(member(stranger, [&]() -> asio::awaitable<void> {
    proto::FromMember hello = proto::Hello{stranger.public_key(), {proto::GroupWant{"friends", {}, {}, {}, {}},
                                                                   proto::GroupWant{"nosuch", {}, {}, {}, {}}}};
    co_await send(hello);
    got = co_await until_closed();
  })) << failure_;
  EXPECT_EQ(failure_, "");
  ASSERT_EQ(got.size(), 2u);
  const auto* a = std::get_if<proto::NotMember>(&got[0]);
  const auto* b = std::get_if<proto::NotMember>(&got[1]);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->group, "friends");
  EXPECT_EQ(b->group, "nosuch");
}

// The hello's key must be the certificate's: another is a protocol error,
// said, and the end of that session only.
TEST_F(SessionTest, AHelloInAnotherKeysNameEndsTheSession) {
  Identity mallory = Identity::generate();
  std::vector<proto::FromServer> got;
  ASSERT_TRUE(member(mallory, [&]() -> asio::awaitable<void> {
    proto::FromMember hello = proto::Hello{c_.admin.public_key(), {proto::GroupWant{"friends", {}, {}, {}, {}}}};
    co_await send(hello);
    got = co_await until_closed();
  })) << failure_;
  ASSERT_EQ(got.size(), 1u);
  const auto* e = std::get_if<proto::ErrorReply>(&got[0]);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "protocol");
  EXPECT_EQ(e->message, "the hello's key is not the certificate's key");
  // The server goes on: the admin is served.
  EXPECT_TRUE(member(c_.admin, [&]() -> asio::awaitable<void> {
    proto::FromMember hello = proto::Hello{c_.admin.public_key(), {proto::GroupWant{"friends", {}, {}, {}, {}}}};
    co_await send(hello);
    auto m = co_await receive();
    if (!m || !std::holds_alternative<proto::State>(*m)) throw Error("no state for the admin");
  })) << failure_;
  EXPECT_EQ(failure_, "");
}

// The timeouts go by the server's clock (checked each second): a member
// silent for more than three minutes of it, or a connection without a
// hello for ten seconds, is told so and closed; a frame read restarts the
// member's three minutes.
TEST_F(SessionTest, TheTimeoutsGoByTheServersClock) {
  std::vector<proto::FromServer> got;
  ASSERT_TRUE(member(c_.admin, [&]() -> asio::awaitable<void> {
    proto::FromMember hello = proto::Hello{c_.admin.public_key(), {proto::GroupWant{"friends", {}, {}, {}, {}}}};
    co_await send(hello);
    for (int i = 0; i < 2; ++i) (void)co_await receive();
    ahead_ = 170;  // a sweep or two at 170 s: not silent long enough
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(1200));
    co_await t.async_wait(use_awaitable);
    proto::FromMember ping = proto::Ping{};
    co_await send(ping);  // read: the member is not silent, by the server's clock
    if (auto m = co_await receive()) got.push_back(std::move(*m));
    ahead_ = 170 + 181;
    std::vector<proto::FromServer> rest = co_await until_closed();
    got.insert(got.end(), rest.begin(), rest.end());
  })) << failure_;
  EXPECT_EQ(failure_, "");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<proto::Pong>(got[0]));
  const auto* e = std::get_if<proto::ErrorReply>(&got[1]);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "timeout");
  EXPECT_EQ(e->message, "silent for too long");

  got.clear();
  ahead_ = 0;
  ASSERT_TRUE(member(c_.admin, [&]() -> asio::awaitable<void> {
    ahead_ = 11;
    got = co_await until_closed();
  })) << failure_;
  ASSERT_EQ(got.size(), 1u);
  const auto* h = std::get_if<proto::ErrorReply>(&got[0]);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->message, "no hello in time");
}

}  // namespace
}  // namespace grypt
