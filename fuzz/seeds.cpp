// Writes seed corpora for the fuzz targets: valid inputs made with the core
// and IPC APIs under the keys in fixtures.h (a chain signed by the fixed
// server key, every message of the daemon, server and admin protocols).
//
//   seeds OUT_DIR [VECTORS_DIR]
//
// writes OUT_DIR/<target>/<case>. Test vectors (VECTORS_DIR/*.vec) are added
// raw to armor_read and, when their data decodes, by format to the target
// that parses it.
#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/armor.h"
#include "core/encoding.h"
#include "core/error.h"
#include "core/group.h"
#include "core/group_cache.h"
#include "core/identity_file.h"
#include "core/io.h"
#include "core/message.h"
#include "core/phc.h"
#include "core/stream.h"
#include "core/vault.h"
#include "fixtures.h"
#include "ipc/admin.h"
#include "ipc/daemon.h"
#include "ipc/frame.h"
#include "ipc/protocol.h"

namespace {

using Bytes = std::vector<std::uint8_t>;
namespace fz = grypt::fuzz;

std::string g_out;
int g_count = 0;

void make_dir(const std::string& d) {
  if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) {
    std::perror(d.c_str());
    std::exit(1);
  }
}

void put(const std::string& target, const std::string& name, std::span<const std::uint8_t> data) {
  make_dir(g_out + "/" + target);
  std::string path = g_out + "/" + target + "/" + name;
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!f) {
    std::fprintf(stderr, "seeds: cannot write %s\n", path.c_str());
    std::exit(1);
  }
  ++g_count;
}

void put(const std::string& target, const std::string& name, std::string_view text) {
  put(target, name, grypt::as_bytes(text));
}

Bytes plaintext(std::size_t n) {
  Bytes p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>('a' + i % 26);
  return p;
}

Bytes seal_message(std::size_t n, bool is_signed, std::uint32_t epoch = 7) {
  grypt::GroupId group = fz::pattern<8>(0x70, 1);
  grypt::MessageHeader h = grypt::MessageHeader::fresh(group, grypt::Epoch(epoch), is_signed);
  grypt::SecretBytes key = grypt::derive_message_key(fz::epoch_key, h);
  grypt::MemoryOutput out;
  grypt::IdentitySigner signer(fz::identity());
  grypt::MessageSealer sealer(h, key.span(), out, is_signed ? &signer : nullptr);
  sealer.write(plaintext(n));
  sealer.finish();
  return out.data;
}

Bytes seal_stream(std::size_t n, std::size_t trailer) {
  grypt::MemoryOutput out;
  out.data.push_back(trailer ? 1 : 0);  // stream_open's selector byte
  grypt::StreamSealer sealer(fz::stream_key, out, trailer);
  sealer.write(plaintext(n));
  Bytes t(trailer, 0x54);
  sealer.finish(t);
  return out.data;
}

Bytes seal_vault_entry(std::size_t n, std::uint64_t version, bool tombstone,
                       std::string_view name = fz::entry_name) {
  grypt::LocalVaultKeys keys(fz::secret(fz::vault_key));
  grypt::EntryHeader h;
  h.tombstone = tombstone;
  h.version = version;
  h.time = 1700000000;
  grypt::random_bytes(h.nonce);
  Bytes plain = tombstone ? Bytes{} : plaintext(n);
  grypt::MemoryInput in(plain);
  grypt::MemoryOutput out;
  grypt::seal_entry(out, keys, h, name, in);
  return out.data;
}

// Public keys of made-up identities, deterministic.
grypt::PublicKey other_key(std::uint8_t seed) {
  return grypt::Identity::from_secret(fz::pattern<64>(seed, 13)).public_key();
}

void message_seeds() {
  const std::size_t sizes[] = {0, 1, 200, 65535, 65536, 65537};
  for (bool s : {false, true}) {
    for (std::size_t n : sizes) {
      Bytes m = seal_message(n, s);
      std::string name = std::string(s ? "signed-" : "anon-") + std::to_string(n);
      put("message_open", name, m);
      if (n <= 200) {
        for (grypt::ArmorForm f : {grypt::ArmorForm::line, grypt::ArmorForm::block, grypt::ArmorForm::x,
                                   grypt::ArmorForm::dense})
          put("armor_read", name + "-" + std::string(grypt::armor_form_name(f)), grypt::armor_text(m, f));
        // armor_roundtrip: form, write size, wrapping, cut; then the message.
        for (std::uint8_t form = 0; form < 4; ++form) {
          Bytes r = {form, 7, static_cast<std::uint8_t>(form >= 2 ? 0x85 : 0), 0};
          r.insert(r.end(), m.begin(), m.end());
          put("armor_roundtrip", name + "-" + std::to_string(form), r);
          if (form >= 2) {
            r[3] = 0x2b;  // cut a third of the way, then an ellipsis
            put("armor_roundtrip", name + "-" + std::to_string(form) + "-cut", r);
          }
        }
      }
    }
  }
  // Just a header: the payload is missing.
  Bytes header = seal_message(0, false);
  header.resize(grypt::header_bytes);
  put("message_open", "header-only", header);
}

void armor_seeds() {
  Bytes a = seal_message(5, false), b = seal_message(40, true);
  put("armor_read", "prose",
      "See grypt: the tool. Posted: grypt:" + grypt::base64_encode(a, grypt::Base64::url_unpadded) +
          ", and\r\n" + grypt::armor_block(b) + "trailing grypt:AAAA! grypt:-_x");
  std::string crlf;
  for (char c : grypt::armor_block(b)) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  put("armor_read", "block-crlf", crlf);
  put("armor_read", "block-no-end", std::string(grypt::armor_begin) + "\nEBAA\n");
  put("armor_read", "block-empty",
      std::string(grypt::armor_begin) + "\n" + std::string(grypt::armor_end) + "\n");
  put("armor_read", "two-lines", grypt::armor_line(a) + "\n" + grypt::armor_line(b) + "\n");
  std::string x = grypt::armor_text(b, grypt::ArmorForm::x), d = grypt::armor_text(a, grypt::ArmorForm::dense);
  put("armor_read", "x-dense-prose",
      "a grypt\xc3\x97 token: " + x + ", cut: " + x.substr(0, x.size() / 2) + "\xe2\x80\xa6 and " + d +
          "\n" + d.substr(0, 20) + "\n" + d.substr(20) + " grypt\xe2\x89\xa1.");
}

void stream_seeds() {
  for (std::size_t t : {std::size_t{0}, grypt::signed_trailer_bytes})
    for (std::size_t n : {0, 1, 100, 65536, 65537, 2 * 65536 + 3})
      put("stream_open", "t" + std::to_string(t) + "-" + std::to_string(n), seal_stream(n, t));
}

void identity_seeds() {
  const grypt::Identity& id = fz::identity();
  put("identity_file", "plain", grypt::encode_identity(id, nullptr));
  grypt::SecretBytes pass = grypt::SecretBytes::copy_of(grypt::as_bytes(fz::passphrase));
  put("identity_file", "argon2-1-64-1", grypt::encode_identity(id, &pass, {1, 64, 1}));
  put("identity_file", "argon2-2-64-8", grypt::encode_identity(id, &pass, {2, 64, 8}));
  grypt::SecretBytes wrong = grypt::SecretBytes::copy_of(grypt::as_bytes("wrong"));
  put("identity_file", "argon2-wrong-pass", grypt::encode_identity(id, &wrong, {1, 8, 1}));
}

void vault_seeds() {
  put("vault_entry", "entry-0", seal_vault_entry(0, 1, false));
  put("vault_entry", "entry-100", seal_vault_entry(100, 2, false));
  put("vault_entry", "entry-65536", seal_vault_entry(65536, 3, false));
  put("vault_entry", "entry-65537", seal_vault_entry(65537, 4, false));
  put("vault_entry", "tombstone", seal_vault_entry(0, 5, true));
  put("vault_entry", "other-name", seal_vault_entry(10, 6, false, "fuzz/other"));
  grypt::SecretBytes vk = fz::secret(fz::vault_key);
  put("vault_entry", "vault-key-1", grypt::encode_vault_key_file(vk, {fz::identity().public_key()}));
  put("vault_entry", "vault-key-3",
      grypt::encode_vault_key_file(vk, {other_key(1), fz::identity().public_key(), other_key(2)}));
  put("vault_entry", "vault-key-not-ours", grypt::encode_vault_key_file(vk, {other_key(3)}));
}

void key_seeds() {
  put("public_key", "fixed", fz::identity().public_key().to_string());
  put("public_key", "other", other_key(9).to_string());
  put("public_key", "prefix-only", "grypt-pk:");
}

void phc_seeds() {
  grypt::PhcHash h;
  h.params = {3, 65536, 4};
  h.salt = plaintext(16);
  h.hash = plaintext(32);
  put("phc", "plain", grypt::format_phc(h));
  h.keyid = "a2V5MQ";
  h.params = {1, 8, 1};
  h.salt = plaintext(8);
  h.hash = plaintext(64);
  put("phc", "keyid", grypt::format_phc(h));
  put("phc", "libsodium",
      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
      "q7KFQhY4rJ8Zc2Pm+6tJv5wQx0bHZ5qQ3rYxk1pQmFw");
  put("phc", "argon2i", "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaA");
}

// The seed chain's states, epochs 1 to 6, signed by the fixed server key,
// each with the epoch key boxed to the fixed identity, but epoch 3's (not
// entitled: an empty box).
struct ChainRecord {
  std::array<std::uint8_t, grypt::state_bytes> state;
  Bytes box;
};

const std::vector<ChainRecord>& chain_records() {
  static const std::vector<ChainRecord> records = [] {
    std::vector<ChainRecord> out;
    grypt::SecretBytes shared =
        grypt::box_shared_key(fz::server_identity(), fz::identity().public_key());
    std::optional<grypt::GroupState> prev;
    for (std::uint32_t e = 1; e <= 6; ++e) {
      grypt::GroupState st;
      st.group = fz::group_id();
      st.epoch = grypt::Epoch(e);
      st.time = 1700000000 + e * 86400;
      if (prev) st.previous = prev->hash();
      st.roster = fz::roster_hash();
      auto key = fz::chain_epoch_key(st.epoch);
      st.commitment = grypt::epoch_commitment(key, st.group, st.epoch);
      ChainRecord r{st.sign(fz::server_identity()), {}};
      if (e != 3) {
        auto box = grypt::box_epoch_key(shared, key);
        r.box.assign(box.begin(), box.end());
      }
      out.push_back(std::move(r));
      prev = st;
    }
    return out;
  }();
  return records;
}

// A chain file of the records [first, last] (epochs), made with GroupChain.
Bytes chain_file(std::uint32_t first, std::uint32_t last) {
  grypt::GroupChain c(fz::group_id(), fz::pinned());
  c.confirmed = 1700000000 + last * 86400 + 60;
  for (std::uint32_t e = first; e <= last; ++e) {
    const ChainRecord& r = chain_records()[e - 1];
    if (c.append(r.state, r.box, fz::identity()) != grypt::ChainCheck::Result::accepted)
      throw grypt::Error("seeds: the seed chain is not accepted");
  }
  return c.encode();
}

grypt::GroupReference reference(std::string group, std::string host = "grypt.example.org",
                                std::uint16_t port = 7443) {
  return {fz::pinned(), std::move(host), port, std::move(group)};
}

void group_cache_seeds() {
  put("group_cache", "chain-1-6", chain_file(1, 6));
  put("group_cache", "chain-1-4", chain_file(1, 4));
  put("group_cache", "chain-5-6", chain_file(5, 6));  // joined at epoch 5
  put("group_cache", "chain-3", chain_file(3, 3));    // no key for epoch 3
  put("group_cache", "chain-empty", chain_file(1, 0));
  put("group_cache", "state-2", chain_records()[1].state);
  put("group_cache", "roster", grypt::encode_roster(grypt::Epoch(fz::roster_epoch), fz::roster()));
  put("group_cache", "roster-empty", grypt::encode_roster(grypt::Epoch(fz::roster_epoch), {}));
  put("group_cache", "reference", reference(std::string(fz::group_name)).to_string());
  put("group_cache", "reference-ip", reference("g", "::1", 1).to_string());
  put("group_cache", "groups",
      "# comment\n\n" +
          grypt::format_groups_file({{std::string(fz::group_name), reference(std::string(fz::group_name))},
                                     {"other", reference("other", "10.0.0.1", 65535)}}) +
          "  spaced\t" + reference("spaced").to_string() + " \r\n");
}

void daemon_request_seeds() {
  namespace d = grypt::daemon;
  const char* const names[] = {"status",      "seal",         "sign",   "open", "members",
                               "vault-batch", "vault-create", "vault-reseal", "join", "stop"};
  const auto& requests = fz::daemon_requests();
  for (std::size_t i = 0; i < requests.size(); ++i)
    put("daemon_request", names[i], d::encode(requests[i]));
  put("daemon_request", "seal-unsigned", d::encode(d::Seal{"other", false}));
  d::Sign sign;
  std::copy_n(seal_message(0, true).begin(), grypt::header_bytes, sign.header.begin());
  sign.digest = fz::pattern<64>(3, 5);
  put("daemon_request", "sign-header", d::encode(sign));
  d::Open open;
  std::copy_n(seal_message(0, false).begin(), grypt::header_bytes, open.header.begin());
  put("daemon_request", "open-header", d::encode(open));
  d::Vault v;
  v.vault_key_file = grypt::encode_vault_key_file(fz::secret(fz::vault_key), {fz::identity().public_key()});
  v.reseal = {other_key(1), other_key(2)};
  v.locators = {"fuzz/entry", "a b/c"};
  v.name_keys = {fz::pattern<grypt::entry_header_bytes>(9, 1)};
  v.entry_keys = {{fz::pattern<grypt::entry_header_bytes>(7, 3), "fuzz/entry"}};
  put("daemon_request", "vault-all", d::encode(v));
  put("daemon_request", "join-reference",
      d::encode(d::Join{"joined", reference(std::string(fz::group_name)).to_string()}));
}

// The first byte picks the request (fixtures.h, daemon_requests).
void put_reply(const std::string& name, std::size_t request, const grypt::daemon::Reply& r) {
  Bytes b{static_cast<std::uint8_t>(request)};
  Bytes body = grypt::daemon::encode(r);
  b.insert(b.end(), body.begin(), body.end());
  put("daemon_reply", name, b);
}

void daemon_reply_seeds() {
  namespace d = grypt::daemon;
  auto key = [](std::uint8_t start) { return fz::secret(fz::pattern<32>(start, 1)); };
  std::string ref = reference(std::string(fz::group_name)).to_string();
  put_reply("status", 0,
            d::StatusReply{fz::identity().public_key().to_string(), 4242,
                           {{std::string(fz::group_name), ref, "connected", 3, 1700000000, 3},
                            {"other", reference("other").to_string(), "not-member", 0, 0, 0}}});
  put_reply("status-none", 0, d::StatusReply{fz::identity().public_key().to_string(), 1, {}});
  d::SealReply seal;
  std::copy_n(seal_message(0, true).begin(), grypt::header_bytes, seal.header.begin());
  seal.key = key(1);
  seal.epoch = 3;
  seal.fresh = true;
  seal.confirmed = 1700000000;
  put_reply("seal", 1, std::move(seal));
  put_reply("sign", 2,
            d::SignReply{fz::identity().public_key().key_id(), fz::identity().sign(plaintext(10))});
  put_reply("open", 3, d::OpenReply{key(2), std::string(fz::group_name), 3});
  d::MembersReply members;
  for (const grypt::RosterEntry& m : fz::roster())
    members.members.push_back({m.name, m.key, m.name == "fixed"});
  put_reply("members", 4, members);
  d::VaultReply batch;
  batch.locators = {"bG9jMQ", "bG9jMg"};
  batch.name_keys.push_back(key(3));
  batch.entry_keys.push_back(key(4));
  batch.entry_keys.push_back(key(5));
  put_reply("vault-batch", 5, std::move(batch));
  d::VaultReply create;
  create.vault_key_file = grypt::encode_vault_key_file(key(6), {fz::identity().public_key()});
  create.locators = {"bmV3"};
  d::VaultReply reseal;
  reseal.vault_key_file = create.vault_key_file;
  put_reply("vault-create", 6, std::move(create));
  put_reply("vault-reseal", 7, std::move(reseal));
  put_reply("join", 8, d::Done{});
  put_reply("stop", 9, d::Done{});
  put_reply("failure", 1, d::Failure{"not-member", "you are not a member of fuzz-group"});
  put_reply("failure-vault", 5, d::Failure{"auth", "the vault key does not open"});
}

Bytes framed(std::span<const std::uint8_t> body) { return grypt::frame(body); }

// The first byte picks the cutting (server_frames.cpp).
void put_stream(const std::string& name, std::uint8_t cutting, const std::vector<Bytes>& bodies) {
  Bytes s{cutting};
  for (const Bytes& b : bodies) {
    Bytes f = framed(b);
    s.insert(s.end(), f.begin(), f.end());
  }
  put("server_frames", name, s);
}

void server_frames_seeds() {
  namespace p = grypt::proto;
  namespace a = grypt::admin;
  std::vector<std::pair<std::string, Bytes>> bodies;
  auto add = [&](std::string name, Bytes b) { bodies.emplace_back(std::move(name), std::move(b)); };
  grypt::StateHash head = grypt::GroupState::decode(chain_records()[3].state).hash();
  add("hello", p::encode(p::FromMember{p::Hello{fz::identity().public_key(),
                                                {{std::string(fz::group_name), grypt::Epoch(4), head},
                                                 {"other", {}, {}}},
                                                "laptop"}}));
  add("hello-bare",
      p::encode(p::FromMember{p::Hello{fz::identity().public_key(), {{"g", {}, {}}}, ""}}));
  add("roster-request", p::encode(p::FromMember{p::RosterRequest{"g", grypt::Epoch(3)}}));
  add("ping", p::encode(p::FromMember{p::Ping{}}));
  add("pong", p::encode(p::FromServer{p::Pong{}}));
  add("welcome", p::encode(p::FromServer{p::Welcome{fz::server_identity().public_key()}}));
  const ChainRecord& r = chain_records()[4];
  add("state", p::encode(p::FromServer{p::State{std::string(fz::group_name), grypt::Epoch(5),
                                                 {r.state.begin(), r.state.end()}, r.box}}));
  add("state-no-key", p::encode(p::FromServer{p::State{std::string(fz::group_name), grypt::Epoch(5),
                                                        {r.state.begin(), r.state.end()}, {}}}));
  add("synced", p::encode(p::FromServer{p::Synced{"g", grypt::Epoch(6)}}));
  add("not-member", p::encode(p::FromServer{p::NotMember{"g"}}));
  add("removed", p::encode(p::FromServer{p::Removed{"g"}}));
  for (const p::Roster& part : p::split_roster("g", grypt::Epoch(3), fz::roster(), 2))
    add(part.more ? "roster-more" : "roster-last", p::encode(p::FromServer{part}));
  add("error", p::encode(p::FromServer{p::ErrorReply{"version", "unsupported protocol version 2"}}));
  std::string key = other_key(4).to_string();
  for (const a::Request& q : std::vector<a::Request>{
           {"groups", "", "", "", false, ""},
           {"init", "g", "", "", false, ""},
           {"add", "g", key, "dana", true, ""},
           {"add", "g", "2", "eve", false, ""},
           {"remove", "g", "", "", false, "dana"},
           {"rotate", "g", "", "", false, ""},
           {"members", "g", "", "", false, ""},
           {"pending", "g", "", "", false, ""},
           {"log", "g", "", "", false, ""},
           {"invite", "g", "", "", false, ""}})
    add("admin-" + q.type + (q.history ? "-history" : ""), a::encode(q));
  a::Reply reply;
  reply.epoch = 4;
  reply.reference = reference("g").to_string();
  add("admin-reply-epoch", a::encode(reply));
  a::Reply lists;
  lists.groups = {{"g", "Z3JvdXA", reference("g").to_string(), 4, 3, 1},
                  {"h", "aGg", reference("h").to_string(), 1, 1, 0}};
  lists.members = {{"fixed", fz::identity().public_key().to_string(), 1, true, true},
                   {"bob", other_key(5).to_string(), 3, false, false}};
  lists.pending = {{1, other_key(6).to_string(), "laptop", 1700000000, 1700000100, 2}};
  lists.log = {{1700000000, "admin", "add", "bob"}, {1700000100, "server", "rotate", "epoch 4"}};
  add("admin-reply-lists", a::encode(lists));
  add("admin-reply-error", a::encode(a::Reply{false, "no-group", "no group g", {}, {}, {}, {}, {}, {}}));
  std::uint8_t cutting = 0;
  for (const auto& [name, body] : bodies) put_stream(name, cutting++, {body});
  std::vector<Bytes> parts = a::encode_parts(lists, 300);
  put_stream("admin-reply-parts", 7, parts);
  std::vector<Bytes> all;
  for (const auto& nb : bodies) all.push_back(nb.second);
  put_stream("all-whole", 0, all);
  put_stream("all-cut", 200, all);
  // Refused lengths, after a good frame.
  Bytes bad{5};
  Bytes ping = framed(bodies[3].second);
  bad.insert(bad.end(), ping.begin(), ping.end());
  Bytes zero = bad;
  zero.insert(zero.end(), {0, 0, 0, 0, '{', '}'});
  put("server_frames", "length-zero", zero);
  Bytes large = bad;
  large.insert(large.end(), {0, 0x10, 0, 1, '{'});
  put("server_frames", "length-too-large", large);
  Bytes cut = bad;
  cut.insert(cut.end(), {0, 0, 0, 9, '{', '"'});
  put("server_frames", "cut-short", cut);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// test/vectors/*.vec: "key: value" lines, a blank line, then the data as
// base64 lines or as text ("data: base64" | "data: text").
void vector_seeds(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".vec") == 0) names.push_back(n);
  }
  closedir(d);
  static const std::map<std::string, std::string> by_format = {
      {"message", "message_open"}, {"vault-entry", "vault_entry"}, {"vault-key", "vault_entry"},
      {"identity", "identity_file"}, {"pubkey", "public_key"}};
  for (const std::string& n : names) {
    std::string text = read_text(dir + "/" + n);
    put("armor_read", "vec-" + n, text);
    std::size_t blank = text.find("\n\n");
    if (blank == std::string::npos) continue;
    std::map<std::string, std::string> fields;
    std::istringstream head(text.substr(0, blank));
    for (std::string line; std::getline(head, line);) {
      std::size_t colon = line.find(": ");
      if (colon != std::string::npos) fields.emplace(line.substr(0, colon), line.substr(colon + 2));
    }
    std::string body = text.substr(blank + 2);
    Bytes data;
    if (fields["data"] == "text") {
      data.assign(body.begin(), body.end());
    } else {
      std::string b64;
      for (char c : body)
        if (c != '\n' && c != '\r') b64 += c;
      if (!grypt::base64_try_decode(b64, grypt::Base64::standard, data)) continue;
    }
    auto target = by_format.find(fields["format"]);
    if (target == by_format.end()) continue;
    std::string t = target->second;
    // Message vectors in text form are armor.
    if (t == "message_open" && !grypt::looks_binary(data)) t = "armor_read";
    put(t, "vec-" + n, data);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: seeds OUT_DIR [VECTORS_DIR]\n");
    return 2;
  }
  try {
    fz::init();
    g_out = argv[1];
    make_dir(g_out);
    message_seeds();
    armor_seeds();
    stream_seeds();
    identity_seeds();
    vault_seeds();
    key_seeds();
    phc_seeds();
    group_cache_seeds();
    daemon_request_seeds();
    daemon_reply_seeds();
    server_frames_seeds();
    if (argc == 3) vector_seeds(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
