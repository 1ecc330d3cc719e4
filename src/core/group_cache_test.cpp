#include "core/group_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>

#include "core/error.h"
#include "core/file.h"
#include "core/group_test_chain.h"
#include "core/keyring.h"

namespace grypt {
namespace {

// A chain alice holds: n epochs, each with its key.
GroupChain held_chain(TestChain& c, std::size_t n) {
  GroupChain chain(c.group, c.server.public_key().fingerprint());
  for (std::size_t i = 0; i < n; ++i) {
    auto box = c.next();
    EXPECT_EQ(chain.append(c.states.back(), box, c.alice), ChainCheck::Result::accepted);
  }
  return chain;
}

TEST(ChainFile, RoundTripsWithEveryKeyAndTheConfirmationTime) {
  TestChain c;
  GroupChain chain = held_chain(c, 3);
  chain.confirmed = 1800000123;
  std::vector<std::uint8_t> file = chain.encode();
  GroupChain back = GroupChain::decode(file, c.group, c.server.public_key().fingerprint(), c.alice, "chain");
  EXPECT_EQ(back.confirmed, 1800000123);
  ASSERT_EQ(back.head().epoch, Epoch(3));
  EXPECT_EQ(back.newest_key(), Epoch(3));
  for (std::uint32_t e = 1; e <= 3; ++e) {
    ASSERT_NE(back.key(Epoch(e)), nullptr);
    EXPECT_TRUE(ct_equal(back.key(Epoch(e))->span(), c.keys[e - 1].span()));
  }
  EXPECT_EQ(back.key(Epoch(4)), nullptr);
  EXPECT_EQ(back.encode(), file);
}

TEST(ChainFile, EveryCutAndEveryFlippedByteIsRefused) {
  TestChain c;
  GroupChain chain = held_chain(c, 2);
  std::vector<std::uint8_t> file = chain.encode();
  Fingerprint pin = c.server.public_key().fingerprint();
  // Cuts at a record boundary are shorter valid chains; every other cut is
  // an error.
  std::size_t record = state_bytes + 1 + epoch_box_bytes;
  for (std::size_t n = 0; n < file.size(); ++n) {
    std::span<const std::uint8_t> cut(file.data(), n);
    if (n >= 16 && (n - 16) % record == 0) {
      EXPECT_NO_THROW(GroupChain::decode(cut, c.group, pin, c.alice, "chain")) << n;
      continue;
    }
    try {
      GroupChain::decode(cut, c.group, pin, c.alice, "chain");
      ADD_FAILURE() << "a cut at " << n << " was accepted";
    } catch (const OpenError& e) {
      EXPECT_TRUE(e.fault() == Fault::truncated || e.fault() == Fault::header || e.fault() == Fault::auth) << n;
    }
  }
  // Bytes 8..15 are the confirmation time, which no signature covers: the
  // server confirms it again at the next connection. Everything else counts.
  for (std::size_t i = 0; i < file.size(); ++i) {
    if (i >= 8 && i < 16) continue;
    auto t = file;
    t[i] ^= 0x40;
    EXPECT_THROW(GroupChain::decode(t, c.group, pin, c.alice, "chain"), OpenError) << i;
  }
}

TEST(ChainFile, AnotherIdentityAnotherGroupOrAnotherPinIsRefused) {
  TestChain c;
  std::vector<std::uint8_t> file = held_chain(c, 2).encode();
  Fingerprint pin = c.server.public_key().fingerprint();
  Identity mallory = Identity::generate();
  EXPECT_THROW(GroupChain::decode(file, c.group, pin, mallory, "chain"), OpenError);
  EXPECT_THROW(GroupChain::decode(file, GroupId{}, pin, c.alice, "chain"), OpenError);
  EXPECT_THROW(GroupChain::decode(file, c.group, mallory.public_key().fingerprint(), c.alice, "chain"),
               OpenError);
}

TEST(ChainFile, AReplayedOlderStateOrASkippedEpochIsNotAppended) {
  TestChain c;
  GroupChain chain = held_chain(c, 2);
  auto box3 = c.next();
  EXPECT_EQ(chain.append(c.states[0], c.next(), c.alice), ChainCheck::Result::not_next);
  EXPECT_EQ(chain.append(c.states[3], box3, c.alice), ChainCheck::Result::not_next);
  EXPECT_EQ(chain.head().epoch, Epoch(2));
  EXPECT_EQ(chain.append(c.states[2], box3, c.alice), ChainCheck::Result::accepted);
}

TEST(RosterFile, RoundTripsAndIsBoundToItsStateDigest) {
  init_crypto();
  std::vector<RosterEntry> r = {{"alice", Identity::generate().public_key()},
                                {"bob", Identity::generate().public_key()}};
  StateHash digest = roster_digest(r);
  auto file = encode_roster(Epoch(4), r);
  auto back = decode_roster(file, Epoch(4), digest, "roster-4");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(roster_digest(back), digest);
  EXPECT_THROW(decode_roster(file, Epoch(5), digest, "roster-4"), OpenError);
  StateHash other = digest;
  other[0] ^= 1;
  EXPECT_THROW(decode_roster(file, Epoch(4), other, "roster-4"), OpenError);
  for (std::size_t n = 0; n < file.size(); ++n)
    EXPECT_THROW(decode_roster(std::span(file.data(), n), Epoch(4), digest, "roster-4"), OpenError) << n;
}

TEST(GroupsFile, ParsesNamesReferencesAndComments) {
  init_crypto();
  GroupReference a;
  a.server = Identity::generate().public_key().fingerprint();
  a.host = "one.example";
  a.port = 4433;
  a.group = "friends";
  GroupReference b = a;
  b.group = "work";
  std::string text = "# mine\n\n  friends " + a.to_string() + "  \r\nwork\t" + b.to_string();
  auto groups = parse_groups_file(text, "groups");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].name, "work");
  EXPECT_EQ(groups[1].reference.group, "work");
  EXPECT_EQ(parse_groups_file(format_groups_file(groups), "groups").size(), 2u);
  auto message = [](const std::string& t) {
    try {
      parse_groups_file(t, "groups");
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("friends\n"), "groups line 1: expected \"NAME REFERENCE\"");
  EXPECT_EQ(message("\n\nbad/name " + a.to_string()).rfind("groups line 3: invalid group name", 0), 0u);
  EXPECT_EQ(message("x grypt-ref:AAAA").rfind("groups line 1: ", 0), 0u);
  EXPECT_EQ(message("x " + a.to_string() + "\nx " + b.to_string()), "groups line 2: x appears twice");
}

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    init_crypto();
    char tmpl[] = "/tmp/grypt-keyring-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ref_.server = c_.server.public_key().fingerprint();
    ref_.host = "127.0.0.1";
    ref_.port = 4433;
    ref_.group = "friends";
    c_.group = ref_.group_id();
  }
  void TearDown() override { EXPECT_EQ(std::system(("rm -rf " + dir_).c_str()), 0); }

  std::string dir_;
  TestChain c_;
  GroupReference ref_;
};

TEST_F(KeyringTest, JoinsKeepsItsCacheAndAnswersForEveryEpochItHolds) {
  std::vector<RosterEntry> roster = {{"alice", c_.alice.public_key()}};
  {
    Keyring k(c_.alice, dir_ + "/groups", dir_ + "/state");
    KnownGroup& g = k.join("friends", ref_);
    EXPECT_THROW(k.seal("friends", true), OpenError);  // no key yet
    for (int i = 0; i < 3; ++i) {
      auto box = c_.next();
      ASSERT_EQ(g.chain.append(c_.states.back(), box, c_.alice), ChainCheck::Result::accepted);
    }
    k.save_chain(g);
    EXPECT_TRUE(k.add_roster(g, Epoch(2), roster));
    std::vector<RosterEntry> wrong = {{"mallory", Identity::generate().public_key()}};
    EXPECT_FALSE(k.add_roster(g, Epoch(3), wrong));
  }
  // A new keyring reads the groups file and the cache: what gryptd holds
  // after a restart, and grypt-open -i without it.
  Keyring k(c_.alice, dir_ + "/groups", dir_ + "/state");
  KnownGroup* g = k.find("friends");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(k.find(ref_.group_id()), g);
  EXPECT_EQ(g->chain.head().epoch, Epoch(3));
  auto [header, key] = k.seal("friends", true);
  EXPECT_EQ(header.epoch, Epoch(3));
  EXPECT_TRUE(ct_equal(k.message_key(header).span(), key.span()));
  // Every epoch has the same roster digest here, so one roster serves all.
  ASSERT_NE(k.roster(*g, Epoch(3)), nullptr);
  auto members = k.lookup(header, c_.alice.public_key().key_id());
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].name, "alice");
  EXPECT_TRUE(members[0].current);
  // Why a key is missing.
  MessageHeader later = header;
  later.epoch = Epoch(7);
  try {
    k.message_key(later);
    ADD_FAILURE();
  } catch (const OpenError& e) {
    EXPECT_STREQ(e.what(), "you lack epoch 7 of friends: it is newer than the newest you hold (3): "
                           "you were removed, or have not heard of it yet");
  }
  MessageHeader stranger = header;
  stranger.group[0] ^= 1;
  EXPECT_THROW(k.message_key(stranger), OpenError);
  // The same name for another group, or another name for this one.
  GroupReference other = ref_;
  other.group = "work";
  EXPECT_THROW(k.join("friends", other), UsageError);
  EXPECT_THROW(k.join("pals", ref_), UsageError);
  EXPECT_NO_THROW(k.join("friends", ref_));
}

TEST_F(KeyringTest, TwoIdentitiesOfOneUserKeepSeparateCaches) {
  {
    Keyring k(c_.alice, dir_ + "/groups", dir_ + "/state");
    KnownGroup& g = k.join("friends", ref_);
    auto box = c_.next();
    ASSERT_EQ(g.chain.append(c_.states.back(), box, c_.alice), ChainCheck::Result::accepted);
    k.save_chain(g);
  }
  // bob, another identity of the same user, same groups file and state
  // directory: he starts with nothing of his own, not with alice's chain
  // (which he could not open).
  Identity bob = Identity::generate();
  Keyring k(bob, dir_ + "/groups", dir_ + "/state");
  KnownGroup* g = k.find("friends");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(g->chain.empty());
  Keyring again(c_.alice, dir_ + "/groups", dir_ + "/state");
  EXPECT_EQ(again.find("friends")->chain.head().epoch, Epoch(1));
}

TEST_F(KeyringTest, ADamagedChainFileIsRefusedByName) {
  {
    Keyring k(c_.alice, dir_ + "/groups", dir_ + "/state");
    KnownGroup& g = k.join("friends", ref_);
    auto box = c_.next();
    ASSERT_EQ(g.chain.append(c_.states.back(), box, c_.alice), ChainCheck::Result::accepted);
    k.save_chain(g);
    auto file = read_file(g.dir + "/chain", 1 << 20, {});
    file[100] ^= 1;
    write_file_atomic(g.dir + "/chain", file, 0600);
  }
  try {
    Keyring k(c_.alice, dir_ + "/groups", dir_ + "/state");
    ADD_FAILURE();
  } catch (const OpenError& e) {
    EXPECT_NE(std::string(e.what()).find("/chain is damaged: epoch 1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace grypt
