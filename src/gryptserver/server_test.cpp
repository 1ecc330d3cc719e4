#include "gryptserver/server.h"

#include <gtest/gtest.h>

#include "core/group_test_chain.h"
#include "gryptserver/server_impl.h"
#include "proto/frame.h"

namespace grypt {
namespace {

std::string listen_error(const std::string& text) {
  try {
    parse_listen(text);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Listen, AddressesAndPortsAreCheckedAsServeUsesThem) {
  EXPECT_EQ(parse_listen("127.0.0.1:4433").port, 4433);
  EXPECT_EQ(parse_listen("[::1]:0").host, "::1");
  EXPECT_EQ(parse_listen(":65535").host, "");
  EXPECT_EQ(listen_error("127.0.0.1:65536"), "the port in --listen '127.0.0.1:65536' is out of range (0 to 65535)");
  EXPECT_EQ(listen_error("127.0.0.1:99999999999999999999"),
            "--listen takes HOST:PORT, not '127.0.0.1:99999999999999999999'");
  EXPECT_EQ(listen_error("localhost:0"), "--listen: 'localhost' is not an IP address");
  EXPECT_EQ(listen_error("127.0.0.1:"), "--listen takes HOST:PORT, not '127.0.0.1:'");
  EXPECT_EQ(listen_error("127.0.0.1:+5"), "--listen takes HOST:PORT, not '127.0.0.1:+5'");
  EXPECT_EQ(listen_error("127.0.0.1"), "--listen takes HOST:PORT, not '127.0.0.1'");
  EXPECT_EQ(listen_error("\x1b[2J:1"), "--listen: '\\x1b[2J' is not an IP address");
}

// A push is encoded once for all sessions: every frame must be the one the
// encoder writes for that session alone.
TEST(Push, TheFramesEncodedOnceAreThoseOfEachSession) {
  TestChain chain;
  chain.add_alice();
  chain.next();
  CheckedCommit c;
  c.run.push_back(chain.states[1]);
  c.row.run.push_back({chain.alice_records[1].state, EphemeralPublic{}});
  c.state = chain.states[2];
  c.row.state = {chain.alice_records[2].state, chain.alice_records[2].ephemeral};
  const PushFrames f("friends", c);
  auto framed = [](const proto::FromServer& m) { return frame(proto::encode(m)); };
  ASSERT_EQ(f.run.size(), 1u);
  EXPECT_EQ(*f.run[0], framed(proto::State{"friends", Epoch(2), c.row.run[0].state, EphemeralPublic{}, {}}));
  proto::State last{"friends", Epoch(3), c.row.state.state, c.row.state.ephemeral, {}};
  EXPECT_EQ(*f.unboxed, framed(last));
  for (std::uint8_t b : {0x00, 0x5a, 0xff}) {
    EpochBox box;
    box.fill(b);
    last.box.assign(box.begin(), box.end());
    EXPECT_EQ(*f.boxed(box), framed(last));
  }
  EXPECT_EQ(*f.synced, framed(proto::Synced{"friends", Epoch(3)}));
}

}  // namespace
}  // namespace grypt
