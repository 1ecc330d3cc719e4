#include "proto/server.h"

#include <gtest/gtest.h>

#include "proto/admin.h"
#include "proto/daemon.h"

namespace grypt {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::string code_of(std::string_view body) {
  try {
    proto::decode_from_member(bytes(body));
  } catch (const ProtocolError& e) {
    return e.code() + ": " + e.what();
  }
  return "accepted";
}

TEST(Protocol, MessagesRoundTrip) {
  init_crypto();
  Identity id = Identity::generate();
  proto::Hello h{id.public_key(),
                 {{"friends", Epoch(9), StateHash{1, 2, 3}, Epoch(2), {{Epoch(3), Epoch(4)}, {Epoch(7), Epoch(7)}}, ""},
                  {"other", {}, {}, {}, {}, "hello there"}}};
  auto back = std::get<proto::Hello>(proto::decode_from_member(proto::encode(proto::FromMember{h})));
  EXPECT_EQ(back.key, h.key);
  ASSERT_EQ(back.groups.size(), 2u);
  EXPECT_EQ(back.groups[0].epoch, Epoch(9));
  EXPECT_EQ(*back.groups[0].head, (StateHash{1, 2, 3}));
  EXPECT_EQ(back.groups[0].first, Epoch(2));
  EXPECT_EQ(back.groups[0].lacking, h.groups[0].lacking);
  EXPECT_FALSE(back.groups[1].epoch);
  EXPECT_EQ(back.groups[1].note, "hello there");
  proto::Ask a{{{"pals", {}, {}, {}, {}, ""}}};
  auto ab = std::get<proto::Ask>(proto::decode_from_member(proto::encode(proto::FromMember{a})));
  ASSERT_EQ(ab.groups.size(), 1u);
  EXPECT_EQ(ab.groups[0].name, "pals");
  proto::State s{"friends", Epoch(4), std::vector<std::uint8_t>(state_bytes, 7),
                 std::vector<std::uint8_t>(epoch_box_bytes, 9)};
  auto sb = std::get<proto::State>(proto::decode_from_server(proto::encode(proto::FromServer{s})));
  EXPECT_EQ(sb.state, s.state);
  EXPECT_EQ(sb.key, s.key);
  s.key.clear();
  sb = std::get<proto::State>(proto::decode_from_server(proto::encode(proto::FromServer{s})));
  EXPECT_TRUE(sb.key.empty());
  std::vector<RosterEntry> members;
  for (int i = 0; i < 9; ++i) members.push_back({"m" + std::to_string(i), Identity::generate().public_key()});
  auto parts = proto::split_roster("friends", Epoch(2), members, 4);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(parts[0].more && parts[1].more && !parts[2].more);
  auto r = std::get<proto::Roster>(proto::decode_from_server(proto::encode(proto::FromServer{parts[2]})));
  EXPECT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].key, members[8].key);
}

TEST(Protocol, MalformedFramesAreProtocolErrorsWithStableCodes) {
  init_crypto();
  std::string key = Identity::generate().public_key().to_string();
  auto hello = [&](const std::string& rest) {
    return "{\"type\":\"hello\",\"version\":1,\"key\":\"" + key + "\"" + rest + "}";
  };
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"friends\"}]")), "accepted");
  EXPECT_EQ(code_of("not json").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("[1,2]").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{}").rfind("protocol: missing \"type\"", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":7}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"\\u001b[2J\"}"),
            "protocol: unexpected frame type \"\\x1b[2J\"");
  EXPECT_EQ(code_of("{\"type\":\"welcome\",\"version\":1,\"server\":\"" + key + "\"}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"hello\",\"version\":2,\"key\":\"" + key + "\",\"groups\":[]}").rfind("version", 0), 0u);
  EXPECT_EQ(code_of(hello("")).rfind("protocol: missing \"groups\"", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[]")).rfind("protocol", 0), 0u);
  std::string many = ",\"groups\":[";
  for (int i = 0; i < 65; ++i) many += std::string(i ? "," : "") + "{\"name\":\"g" + std::to_string(i) + "\"}";
  EXPECT_EQ(code_of(hello(many + "]")).rfind("too-many-groups", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"a b\"}]")).rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\"},{\"name\":\"x\"}]")).rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"epoch\":3}]")).rfind("protocol", 0), 0u);
  std::string h3 = "\"epoch\":3,\"head\":\"" + std::string(43, 'A') + "\"";
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\"," + h3 + "}]")), "accepted");
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"epoch\":0,\"head\":\"" + std::string(43, 'A') + "\"}]"))
                .rfind("protocol: \"epoch\" is 0", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\"," + h3 + ",\"first\":4}]")).rfind("protocol: \"first\" is after", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"first\":1}]")).rfind("protocol: \"first\" goes with", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\"," + h3 + ",\"first\":1,\"lacking\":[[1,2]]}]")), "accepted");
  for (std::string bad : {"[[2,1]]", "[[1,2],[3,3]]", "[[0,1]]", "[[2,4]]", "[[1]]", "[1,2]", "[[2,2],[1,1]]"})
    EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\"," + h3 + ",\"first\":1,\"lacking\":" + bad + "}]"))
                  .rfind("protocol", 0), 0u) << bad;
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"note\":\"a\\nb\"}]")).rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"note\":\"a\\u202eb\"}]")).rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"note\":\"" + std::string(200, 'n') + "\"}]")), "accepted");
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"note\":\"" + std::string(201, 'n') + "\"}]")).rfind("protocol", 0), 0u);
  std::string many64 = ",\"groups\":[";
  for (int i = 0; i < 64; ++i) many64 += std::string(i ? "," : "") + "{\"name\":\"g" + std::to_string(i) + "\"}";
  EXPECT_EQ(code_of(hello(many64 + "]")), "accepted");
  EXPECT_EQ(code_of("{\"type\":\"ask\",\"groups\":[{\"name\":\"x\"}]}"), "accepted");
  EXPECT_EQ(code_of("{\"type\":\"ask\",\"groups\":[]}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"hello\",\"version\":1,\"key\":\"grypt-pk:xyz\",\"groups\":[{\"name\":\"x\"}]}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"roster\",\"group\":\"x\",\"epoch\":-1}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"roster\",\"group\":\"x\",\"epoch\":4294967296}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"ping\",\"extra\":[1,2,3]}"), "accepted");  // unknown members are ignored
  EXPECT_THROW(proto::decode_from_server(bytes("{\"type\":\"state\",\"group\":\"x\",\"epoch\":1,\"state\":\"AAAA\"}")),
               ProtocolError);
  EXPECT_THROW(proto::decode_from_server(bytes("{\"type\":\"hello\"}")), ProtocolError);
}

TEST(AdminProtocol, RequestsAndRepliesRoundTrip) {
  admin::Request q{"add", "friends", "grypt-pk:abc", "alice", true, ""};
  admin::Request back = admin::decode_request(admin::encode(q));
  EXPECT_EQ(back.type, "add");
  EXPECT_EQ(back.name, "alice");
  EXPECT_TRUE(back.history);
  EXPECT_THROW(admin::decode_request(bytes("{\"type\":\"drop-tables\"}")), ProtocolError);
  EXPECT_THROW(admin::decode_request(bytes("{\"type\":\"add\",\"group\":\"friends\"}")), ProtocolError);
  admin::Reply r;
  r.members.push_back({"alice", "grypt-pk:x", 3, false, true});
  r.pending.push_back({7, "grypt-pk:y", "a note", 1, 2, 3});
  admin::Reply rb = admin::decode_reply(admin::encode(r));
  ASSERT_EQ(rb.members.size(), 1u);
  EXPECT_TRUE(rb.members[0].online);
  EXPECT_EQ(rb.pending[0].number, 7);
  EXPECT_EQ(admin::reply_json(r).substr(0, 12), "{\"ok\":true,\"");
}

TEST(AdminProtocol, ALongListComesInPartsThatEachFitAFrame) {
  admin::Reply r;
  r.epoch = 9;
  for (int i = 0; i < 20000; ++i)
    r.members.push_back({"member-" + std::to_string(i), "grypt-pk:" + std::string(100, 'k'),
                         static_cast<std::uint32_t>(i), i % 2 == 0, i % 3 == 0});
  for (int i = 0; i < 3000; ++i) r.log.push_back({i, "uid 0 pid 1", "add", std::string(200, 'd')});
  auto parts = admin::encode_parts(r);
  ASSERT_GT(parts.size(), 4u);
  admin::Reply back;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_LE(parts[i].size(), 512u * 1024);
    EXPECT_LE(parts[i].size(), max_frame);
    EXPECT_EQ(admin::decode_reply_part(parts[i], back), i + 1 < parts.size()) << i;
  }
  ASSERT_EQ(back.members.size(), r.members.size());
  ASSERT_EQ(back.log.size(), r.log.size());
  EXPECT_EQ(back.epoch, 9u);
  EXPECT_EQ(back.members[12345].name, "member-12345");
  EXPECT_EQ(back.members[12345].since, 12345u);
  EXPECT_EQ(back.log[2999].time, 2999);
  // A short reply is one part, without "more"; a part is not a whole reply.
  admin::Reply small;
  small.epoch = 1;
  ASSERT_EQ(admin::encode_parts(small).size(), 1u);
  EXPECT_EQ(admin::decode_reply(admin::encode_parts(small)[0]).epoch, 1u);
  EXPECT_THROW(admin::decode_reply(parts[0]), ProtocolError);
}

TEST(DaemonProtocol, AVaultRequestWithAnEmptyVaultKeyRoundTrips) {
  // fuzz/regressions/daemon_request/vault-key-empty: an empty vault.key was
  // left out of the request, which gryptd then refused as malformed.
  daemon::Vault v;
  auto back = std::get<daemon::Vault>(daemon::decode_request(daemon::encode(daemon::Request{v})));
  EXPECT_TRUE(back.vault_key_file.empty());
  EXPECT_FALSE(back.create);
}

TEST(DaemonProtocol, DeeplyNestedValuesAreRefusedWithoutRecursion) {
  // fuzz/regressions/daemon_request/*-deep: copying such a value recursed
  // once per level and overflowed the stack.
  for (std::string field : {"reseal", "name_keys"}) {
    std::string pre = "{\"type\":\"vault\",\"create\":true,\"" + field + "\":[";
    std::size_t n = (max_frame - pre.size() - 2) / 2;
    std::string body = pre + std::string(n, '[') + std::string(n, ']') + "]}";
    EXPECT_THROW(daemon::decode_request(bytes(body)), ProtocolError) << field;
  }
  // Any frame: 32 levels are parsed, 33 refused before parsing; brackets
  // inside strings do not count.
  std::string ok = "{\"type\":\"x\",\"a\":" + std::string(31, '[') + std::string(31, ']') + ",\"s\":\"[[[[\\\"[[\"}";
  EXPECT_THROW(proto::decode_from_member(bytes(ok)), ProtocolError);  // unknown type, but parsed
  try {
    proto::decode_from_member(bytes(ok));
  } catch (const ProtocolError& e) {
    EXPECT_EQ(std::string(e.what()).find("nested"), std::string::npos) << e.what();
  }
  std::string deep = "{\"type\":\"x\",\"a\":" + std::string(32, '[') + std::string(32, ']') + "}";
  try {
    proto::decode_from_member(bytes(deep));
    ADD_FAILURE();
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "a frame nested too deeply");
  }
}

TEST(DaemonProtocol, ASealWithADigestAsksForItsSignatureInTheSameAnswer) {
  daemon::Seal q{"friends", true, std::array<std::uint8_t, 64>{}};
  (*q.digest)[0] = 7;
  auto back = std::get<daemon::Seal>(daemon::decode_request(daemon::encode(daemon::Request{q})));
  ASSERT_TRUE(back.digest);
  EXPECT_EQ(*back.digest, *q.digest);
  EXPECT_FALSE(std::get<daemon::Seal>(daemon::decode_request(
                   bytes("{\"type\":\"seal\",\"group\":\"friends\"}")))
                   .digest);
  // A digest is signed: with an anonymous seal it is a mistake, not ignored.
  EXPECT_THROW(daemon::decode_request(bytes("{\"type\":\"seal\",\"group\":\"friends\",\"signed\":false,"
                                            "\"digest\":\"" + std::string(86, 'A') + "\"}")),
               ProtocolError);

  daemon::SealReply r;
  r.key = SecretBytes(32);
  r.signature = daemon::SignReply{};
  r.signature->signature[63] = 9;
  auto body = daemon::encode(daemon::Reply{std::move(r)});
  auto got = std::get<daemon::SealReply>(daemon::decode_reply(body, daemon::Request{q}));
  ASSERT_TRUE(got.signature);
  EXPECT_EQ(got.signature->signature[63], 9);
  // Asked with a digest, an answer without the signature is malformed.
  daemon::SealReply bare;
  bare.key = SecretBytes(32);
  EXPECT_THROW(daemon::decode_reply(daemon::encode(daemon::Reply{std::move(bare)}), daemon::Request{q}),
               ProtocolError);
}

}  // namespace
}  // namespace grypt
