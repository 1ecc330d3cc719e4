#include "proto/frame.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/bytes.h"

namespace grypt {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Frames, EveryCutOfAStreamYieldsOnlyWholeFrames) {
  std::vector<std::uint8_t> stream;
  std::vector<std::string> bodies = {"{\"type\":\"ping\"}", "x", std::string(70000, 'y')};
  for (const std::string& b : bodies) {
    auto f = frame(bytes(b));
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (std::size_t cut = 0; cut <= stream.size(); cut += (cut < 200 ? 1 : 997)) {
    FrameBuffer fb;
    std::vector<std::string> got;
    fb.feed(std::span(stream).first(cut));
    while (auto body = fb.next()) got.emplace_back(body->begin(), body->end());
    // Only the frames that fit entirely before the cut.
    std::size_t whole = 0, at = 0;
    for (const std::string& b : bodies) {
      if (at + 4 + b.size() > cut) break;
      at += 4 + b.size();
      ++whole;
    }
    ASSERT_EQ(got.size(), whole) << "cut " << cut;
    fb.feed(std::span(stream).subspan(cut));
    while (auto body = fb.next()) got.emplace_back(body->begin(), body->end());
    ASSERT_EQ(got, bodies) << "cut " << cut;
  }
}

TEST(Frames, ByteByByte) {
  auto f = frame(bytes("{\"a\":1}"));
  FrameBuffer fb;
  for (std::size_t i = 0; i + 1 < f.size(); ++i) {
    fb.feed(std::span(f).subspan(i, 1));
    EXPECT_FALSE(fb.next());
  }
  fb.feed(std::span(f).last(1));
  EXPECT_TRUE(fb.next());
  EXPECT_EQ(fb.pending(), 0u);
}

TEST(Frames, OversizedAndEmptyLengthsAreRefusedBeforeTheBody) {
  for (std::uint32_t n : {std::uint32_t(max_frame + 1), 0xffffffffu}) {
    std::uint8_t head[4];
    put_be32(head, n);
    FrameBuffer fb;
    try {
      fb.feed(head);
      FAIL() << n;
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.code(), "too-large");
    }
  }
  std::uint8_t zero[4] = {0, 0, 0, 0};
  FrameBuffer fb;
  try {
    fb.feed(zero);
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), "protocol");
  }
  // The largest allowed frame is taken.
  std::uint8_t head[4];
  put_be32(head, static_cast<std::uint32_t>(max_frame));
  FrameBuffer ok;
  EXPECT_NO_THROW(ok.feed(head));
  EXPECT_THROW(frame(std::vector<std::uint8_t>(max_frame + 1, 'x')), std::logic_error);
}

TEST(Frames, BlockingReadsOverASocketPair) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  write_frame(sv[0], bytes("{\"type\":\"ping\"}"));
  auto got = read_frame(sv[1], 1000);
  ASSERT_TRUE(got);
  EXPECT_EQ(std::string(got->begin(), got->end()), "{\"type\":\"ping\"}");
  // A frame cut in half, then the end of the stream.
  auto f = frame(bytes("{\"type\":\"pong\"}"));
  ASSERT_EQ(write(sv[0], f.data(), 7), 7);
  close(sv[0]);
  EXPECT_THROW(read_frame(sv[1], 1000), ProtocolError);
  close(sv[1]);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  close(sv[0]);
  EXPECT_FALSE(read_frame(sv[1], 1000));  // a clean end before a frame
  close(sv[1]);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  EXPECT_THROW(read_frame(sv[1], 50), SystemError);  // nothing comes: timeout
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
}  // namespace grypt
