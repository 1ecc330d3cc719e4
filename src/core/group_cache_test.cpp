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

TEST(ChainTake, EarlierStatesAreVerifiedBackwardAndMissingKeysFilledIn) {
  TestChain c;
  std::vector<std::array<std::uint8_t, epoch_box_bytes>> boxes;
  for (int i = 0; i < 5; ++i) boxes.push_back(c.next());
  GroupChain chain(c.group, c.server.public_key().fingerprint());
  // Held from epoch 3 on, 4 without its key.
  EXPECT_EQ(chain.take(c.states[2], boxes[2], c.alice).how, Placed::How::appended);
  EXPECT_EQ(chain.take(c.states[3], {}, c.alice).how, Placed::How::appended);
  EXPECT_EQ(chain.take(c.states[4], boxes[4], c.alice).how, Placed::How::appended);
  ASSERT_EQ(chain.lacking().size(), 1u);
  EXPECT_EQ(chain.lacking()[0], std::make_pair(Epoch(4), Epoch(4)));
  // Epoch 1 is not next to what is held; 2 is, and names 3's predecessor.
  EXPECT_EQ(chain.take(c.states[0], boxes[0], c.alice).result, ChainCheck::Result::not_next);
  Placed p = chain.take(c.states[1], boxes[1], c.alice);
  EXPECT_EQ(p.result, ChainCheck::Result::accepted);
  EXPECT_EQ(p.how, Placed::How::prepended);
  EXPECT_EQ(chain.take(c.states[0], boxes[0], c.alice).how, Placed::How::prepended);
  EXPECT_EQ(chain.oldest().epoch, Epoch(1));
  // The key of a state held without it.
  p = chain.take(c.states[3], boxes[3], c.alice);
  EXPECT_EQ(p.result, ChainCheck::Result::accepted);
  EXPECT_EQ(p.how, Placed::How::key_added);
  EXPECT_TRUE(chain.lacking().empty());
  for (std::uint32_t e = 1; e <= 5; ++e) {
    ASSERT_NE(chain.key(Epoch(e)), nullptr) << e;
    EXPECT_TRUE(ct_equal(chain.key(Epoch(e))->span(), c.keys[e - 1].span())) << e;
  }
  EXPECT_EQ(chain.take(c.states[3], boxes[3], c.alice).how, Placed::How::held);
  // The whole chain survives the file, oldest first.
  GroupChain back = GroupChain::decode(chain.encode(), c.group, c.server.public_key().fingerprint(), c.alice, "chain");
  EXPECT_EQ(back.oldest().epoch, Epoch(1));
  EXPECT_EQ(back.head().epoch, Epoch(5));
  EXPECT_NE(back.key(Epoch(4)), nullptr);
}

TEST(ChainTake, AStateThatDoesNotLinkOrABoxThatDoesNotMatchChangesNothing) {
  TestChain c;
  std::vector<std::array<std::uint8_t, epoch_box_bytes>> boxes;
  for (int i = 0; i < 4; ++i) boxes.push_back(c.next());
  GroupChain chain(c.group, c.server.public_key().fingerprint());
  chain.take(c.states[2], boxes[2], c.alice);
  // An epoch 2 that is not the one epoch 3 names.
  auto [other2, other_box2] = c.other(2);
  EXPECT_EQ(chain.take(other2, other_box2, c.alice).result, ChainCheck::Result::bad_previous);
  // A box of another epoch's key.
  EXPECT_EQ(chain.take(c.states[3], boxes[2], c.alice).result, ChainCheck::Result::key_mismatch);
  EXPECT_EQ(chain.take(c.states[1], boxes[3], c.alice).result, ChainCheck::Result::key_mismatch);
  EXPECT_EQ(chain.oldest().epoch, Epoch(3));
  EXPECT_EQ(chain.head().epoch, Epoch(3));
}

TEST(ChainTake, TwoStatesForOneEpochAreAForkAndItsProofChecks) {
  TestChain c;
  std::vector<std::array<std::uint8_t, epoch_box_bytes>> boxes;
  for (int i = 0; i < 3; ++i) boxes.push_back(c.next());
  GroupChain chain(c.group, c.server.public_key().fingerprint());
  for (int i = 0; i < 3; ++i) chain.take(c.states[i], boxes[i], c.alice);
  auto [other3, box3] = c.other(3);
  Placed p = chain.take(other3, box3, c.alice);
  ASSERT_EQ(p.result, ChainCheck::Result::forked);
  ASSERT_TRUE(p.conflict);
  EXPECT_EQ(p.conflict->encode(), GroupState::decode(c.states[2]).encode());
  EXPECT_EQ(chain.head().encode(), GroupState::decode(c.states[2]).encode());
  Fork f{*p.conflict, p.state};
  auto file = encode_fork(f);
  ASSERT_EQ(file.size(), 8u + 2 * state_bytes);
  Fingerprint pin = c.server.public_key().fingerprint();
  Fork back = decode_fork(file, c.group, pin, "forked-3");
  EXPECT_EQ(back.other.encode(), p.state.encode());
  // Not a proof: one state twice, another key, another group, any bit.
  Fork same{f.held, f.held};
  EXPECT_THROW(decode_fork(encode_fork(same), c.group, pin, "f"), OpenError);
  EXPECT_THROW(decode_fork(file, c.group, Identity::generate().public_key().fingerprint(), "f"), OpenError);
  EXPECT_THROW(decode_fork(file, GroupId{}, pin, "f"), OpenError);
  for (std::size_t i = 0; i < file.size(); ++i) {
    auto t = file;
    t[i] ^= 1;
    EXPECT_THROW(decode_fork(t, c.group, pin, "f"), OpenError) << i;
  }
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
  // A join note is the rest of the line.
  groups = parse_groups_file("friends " + a.to_string() + "  bob from the bike club \n", "groups");
  EXPECT_EQ(groups[0].note, "bob from the bike club");
  EXPECT_EQ(parse_groups_file(format_groups_file(groups), "groups")[0].note, "bob from the bike club");
  EXPECT_EQ(message("friends " + a.to_string() + " " + std::string(201, 'n')),
            "groups line 1: the note: a note is at most 200 bytes");
  EXPECT_EQ(message("friends " + a.to_string() + " a\xe2\x80\xae" "b"),
            "groups line 1: the note: it contains a bidirectional formatting character");
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
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

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
  EXPECT_EQ(members[0].current, std::optional<bool>(true));
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
