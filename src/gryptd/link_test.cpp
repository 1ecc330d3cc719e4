// A Link (gryptd/link.cpp), the daemon's session with a group server, on an
// Agent's loop, against a scripted server on a loop of its own (the test
// runs both in turn): a TLS listener on 127.0.0.1 whose frames each test
// writes and reads itself. What the
// link says, and what its group's standing becomes, are checked as the
// server sees and as gryptd status would show them.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <functional>

#include "core/group_test_chain.h"
#include "core/test_dir.h"
#include "gryptd/agent.h"
#include "gryptd/agent_test_util.h"

namespace grypt {
namespace {

using asio::use_awaitable;
using tcp = asio::ip::tcp;

class LinkTest : public ::testing::Test {
 protected:
  asio::io_context server_io_;  // the scripted server's
  tcp::acceptor acceptor_{server_io_};

  void SetUp() override {
    chain_.add_alice();  // epoch 2
    chain_.next();       // epoch 3
    keyring_ = std::make_unique<Keyring>(chain_.alice, dir_ + "/groups", dir_ + "/state");
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    ref_ = {server_.public_key(), chain_.group, {{"127.0.0.1", acceptor_.local_endpoint().port()}}, chain_.name};
    g_ = &keyring_->join("pals", ref_);
    options_.clock = [] { return std::int64_t{1800000500}; };
    options_.identity_path = dir_ + "/identity";
    agent_ = std::make_unique<Agent>(*keyring_, identity_, unix_listener(dir_ + "/s"), options_);
  }
  // The link starts as gryptd's run starts it.
  void start() {
    agent_->follower.load(*g_, agent_->live(g_));
    agent_->link_for(g_);
  }
  void TearDown() override {
    if (Link* l = agent_->link(g_)) l->stop();
    if (peer_) peer_->close();
    acceptor_.close();
    run_until([] { return false; }, std::chrono::milliseconds(50));
  }

  // Runs both loops (the link's and the scripted server's) until `done`,
  // for at most `limit`.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    agent_->io.restart();
    server_io_.restart();
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) {
      agent_->io.run_one_for(std::chrono::milliseconds(2));
      server_io_.poll();
    }
    return done();
  }
  // Runs `script` as the server, on the loop; `finished` once it returned
  // (`failure` holds what it threw).
  void serve(std::function<asio::awaitable<void>()> script) {
    asio::co_spawn(server_io_, std::move(script), [this](std::exception_ptr e) {
      finished_ = true;
      if (e) try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          failure_ = x.what();
        }
    });
  }
  // The next connection, its handshake done as `as`.
  asio::awaitable<void> accept(const Identity& as) {
    tls_ = std::make_unique<TlsContext>(TlsContext::Role::server, as);
    tcp::socket s = co_await acceptor_.async_accept(use_awaitable);
    peer_ = std::make_unique<TlsStream>(*tls_, std::move(s));
    in_ = FrameBuffer();
    co_await peer_->handshake();
  }
  asio::awaitable<void> send(const proto::FromServer& m) { co_await peer_->write_all(frame(proto::encode(m))); }
  asio::awaitable<proto::FromMember> receive() {
    for (;;) {
      if (auto body = in_.next()) co_return proto::decode_from_member(*body);
      std::uint8_t buf[4096];
      std::size_t n = co_await peer_->read_some(buf);
      if (n == 0) throw Error("the link closed the connection");
      in_.feed(std::span(buf, n));
    }
  }
  // What a server sends a member holding nothing of the group: every
  // state, alice's box with each, then synced.
  asio::awaitable<void> send_chain() {
    // (Named, not temporaries in a co_await: GCC 12 destroys those twice.)
    for (std::uint32_t e = 1; e <= chain_.states.size(); ++e) {
      const StateRecord& r = chain_.record(e);
      proto::FromServer state = proto::State{chain_.name, Epoch(e), r.state, r.ephemeral, r.box};
      co_await send(state);
    }
    proto::FromServer synced = proto::Synced{chain_.name, Epoch(3)};
    co_await send(synced);
  }

  asio::awaitable<proto::Hello> welcome_and_hello() {
    proto::FromServer welcome = proto::Welcome{server_.public_key()};
    co_await send(welcome);
    proto::FromMember m = co_await receive();
    if (!std::holds_alternative<proto::Hello>(m)) throw Error("the link's first frame is no hello");
    co_return std::get<proto::Hello>(m);
  }

  TestDir tmp_;
  std::string dir_ = tmp_.path();
  TestChain chain_;
  Identity server_ = Identity::generate();  // the server's transport key
  GroupReference ref_;
  std::unique_ptr<Keyring> keyring_;
  KnownGroup* g_ = nullptr;
  DaemonOptions options_;
  std::optional<Identity> identity_;
  std::unique_ptr<Agent> agent_;
  std::unique_ptr<TlsContext> tls_;
  std::unique_ptr<TlsStream> peer_;
  FrameBuffer in_;
  bool finished_ = false;
  std::string failure_;
};

// A member that holds nothing of its group: hello with its key and a
// signed request to join; the chain taken, checked and held; connected.
TEST_F(LinkTest, SaysHelloTakesTheChainAndIsConnected) {
  proto::Hello hello;
  serve([&]() -> asio::awaitable<void> {
    co_await accept(server_);
    hello = co_await welcome_and_hello();
    co_await send_chain();
  });
  start();
  ASSERT_TRUE(run_until([&] { return finished_ && agent_->live(g_).standing == Standing::connected; })) << failure_;
  EXPECT_EQ(failure_, "");
  EXPECT_EQ(hello.key, chain_.alice.public_key());
  ASSERT_EQ(hello.groups.size(), 1u);
  EXPECT_EQ(hello.groups[0].name, chain_.name);
  EXPECT_FALSE(hello.groups[0].epoch);
  EXPECT_FALSE(hello.groups[0].request.empty());
  EXPECT_EQ(g_->chain.head().epoch, Epoch(3));
}

// The reference names the server's key: a server whose certificate is over
// another is refused inside the handshake, and the group shows it.
TEST_F(LinkTest, AServerWhoseCertificateIsOverAnotherKeyIsTheWrongServer) {
  Identity other = Identity::generate();
  serve([&]() -> asio::awaitable<void> { co_await accept(other); });
  start();
  ASSERT_TRUE(run_until([&] { return finished_ && agent_->live(g_).standing == Standing::wrong_server; }));
  EXPECT_NE(failure_, "");  // the handshake failed on the server's side too
  EXPECT_NE(agent_->why(g_).find("not over the key its reference names"), std::string::npos) << agent_->why(g_);
}

// A server that closes the connection is connected to again (after the
// backoff, 0.5 to 1 s), and the hello then says what the member holds:
// the head's epoch and hash, no request.
TEST_F(LinkTest, ConnectsAgainAfterACloseAndSaysWhatItHolds) {
  proto::Hello again;
  bool second = false;
  serve([&]() -> asio::awaitable<void> {
    co_await accept(server_);
    (void)co_await welcome_and_hello();
    co_await send_chain();
    peer_->close();
    co_await accept(server_);
    second = true;
    again = co_await welcome_and_hello();
  });
  start();
  ASSERT_TRUE(run_until([&] { return finished_; })) << failure_;
  EXPECT_EQ(failure_, "");
  ASSERT_TRUE(second);
  ASSERT_EQ(again.groups.size(), 1u);
  ASSERT_TRUE(again.groups[0].epoch);
  EXPECT_EQ(*again.groups[0].epoch, Epoch(3));
  ASSERT_TRUE(again.groups[0].head);
  EXPECT_EQ(*again.groups[0].head, g_->chain.hash(Epoch(3)));
  EXPECT_TRUE(again.groups[0].request.empty());
}

}  // namespace
}  // namespace grypt
