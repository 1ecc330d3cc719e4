#include "gryptserver/server.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace grypt
