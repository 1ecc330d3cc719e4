// Writes seed corpora for the fuzz targets: valid inputs made with the core
// and proto APIs under the keys in fixtures.h (the fixed group's chain,
// states, forks and join requests of group protocol version 2, every
// message of the daemon, server and admin protocols).
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
#include <tuple>
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
#include "core/join_request.h"
#include "core/move_statement.h"
#include "core/reference.h"
#include "core/io.h"
#include "core/message.h"
#include "core/phc.h"
#include "core/stream.h"
#include "core/vault.h"
#include "fixtures.h"
#include "proto/admin.h"
#include "proto/daemon.h"
#include "proto/frame.h"
#include "proto/server.h"

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

// The seeds that stand for valid inputs are read back with the parsers the
// targets use: a seed that no longer parses (a format changed) stops the
// generator instead of silently starting the fuzzer from nothing.
void must(bool ok, const std::string& what) {
  if (!ok) throw grypt::Error("seeds: not a valid seed: " + what);
}

template <class F>
void must_parse(const std::string& what, F parse) {
  try {
    parse();
  } catch (const grypt::Error& e) {
    throw grypt::Error("seeds: not a valid seed: " + what + ": " + e.what());
  }
}

Bytes plaintext(std::size_t n) {
  Bytes p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>('a' + i % 26);
  return p;
}

// A message of the fixed state (fixtures.h, message_state) under the fixed
// epoch key.
Bytes seal_message(std::size_t n, bool is_signed, std::uint32_t epoch = 7) {
  grypt::GroupId group{};
  auto prefix = fz::pattern<8>(0x70, 1);
  std::copy(prefix.begin(), prefix.end(), group.begin());
  grypt::MessageHeader h = grypt::MessageHeader::fresh(group, grypt::Epoch(epoch), fz::message_state, is_signed);
  grypt::MessageKey key{grypt::derive_message_key(fz::epoch_key, h, fz::message_state), fz::message_state};
  grypt::MemoryOutput out;
  grypt::IdentitySigner signer(fz::identity());
  grypt::MessageSealer sealer(h, key, out, is_signed ? &signer : nullptr);
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
      must_parse("message_open/" + name, [&] {
        grypt::MemoryInput in(m);
        fz::FixedMessageKeys keys;
        grypt::MessageOpener opener(in, keys);
        std::size_t got = 0;
        while (!opener.done()) got += opener.next().size();
        must(got == n && opener.finish(fz::FixedMembers()).has_value() == s, "message_open/" + name);
      });
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

// The server of the seed references.
const grypt::Identity& server_identity() {
  static const grypt::Identity id = grypt::Identity::from_secret(fz::pattern<64>(0x35, 7));
  return id;
}

grypt::GroupReference reference(std::string group, std::string host = "grypt.example.org",
                                std::uint16_t port = 7443) {
  return {server_identity().public_key(), fz::group_id(), {{std::move(host), port}}, std::move(group)};
}

grypt::ServerReference server_reference() {
  return {server_identity().public_key(), {{"grypt.example.org", 7443}, {"::1", 1}}};
}

// The fixed chain of epochs 1..last, as a chain file.
Bytes chain_file(std::uint32_t last) { return fz::chain_upto(last).encode(); }

Bytes state_bytes_of(std::uint32_t epoch) { return fz::fixed_chain().records.at(epoch - 1).state; }

// A state record as group_state reads it: state || ephemeral || box.
Bytes state_record(const grypt::StateRecord& r) {
  Bytes b = r.state;
  b.insert(b.end(), r.ephemeral.begin(), r.ephemeral.end());
  b.insert(b.end(), r.box.begin(), r.box.end());
  return b;
}

// A state after the fixed chain's epoch `after` (1..7), signed by `signer`:
// its change applied to that epoch's roster, its key boxed to the fixed
// identity when it is a member.
grypt::StateRecord next_state(std::uint32_t after, grypt::Change change, const grypt::Identity* subject,
                              const std::string& name, grypt::Role role, const grypt::Identity& signer,
                              std::uint8_t key_seed) {
  const auto& states = fz::fixed_chain().states;
  grypt::Roster roster;
  (void)grypt::check_genesis(states[0], fz::group_id(), roster);
  for (std::uint32_t e = 2; e <= after; ++e)
    (void)grypt::check_next(states[e - 2], states[e - 1], std::string(fz::group_name), roster);
  grypt::GroupState s;
  s.group = fz::group_id();
  s.epoch = grypt::Epoch(after + 1);
  s.time = states[after - 1].time + 60;
  s.expires = s.time + 3600;
  s.previous = states[after - 1].hash();
  s.change = change;
  s.group_name = std::string(fz::group_name);
  if (subject) {
    s.subject = subject->public_key();
    s.subject_name = name;
    s.role = role;
    grypt::RosterEntry e{name, subject->public_key(), role};
    if (change == grypt::Change::add) roster.add(e);
    if (change == grypt::Change::remove) roster.remove(e.key);
    if (change == grypt::Change::promote || change == grypt::Change::demote) roster.set_role(e.key, role);
    if (change == grypt::Change::move) {
      roster.remove(roster.find(name)->key);
      roster.add(e);
    }
  }
  auto key = fz::pattern<32>(key_seed, 5);
  s.roster = roster.digest();
  s.commitment = grypt::epoch_commitment(key, s.group, s.epoch);
  auto bytes = s.sign(signer);
  grypt::EphemeralKey eph = grypt::EphemeralKey::generate();
  grypt::StateRecord r{{bytes.begin(), bytes.end()}, eph.public_key(), {}};
  if (roster.find(fz::identity().public_key())) {
    grypt::EpochBox b = eph.box(fz::identity().public_key(), s.hash(), key);
    r.box.assign(b.begin(), b.end());
  }
  return r;
}

void group_cache_seeds() {
  for (std::uint32_t last : {0u, 1u, 2u, 4u, 7u})
    must_parse("chain " + std::to_string(last), [&] {
      grypt::GroupChain c = grypt::GroupChain::decode(chain_file(last), fz::group_id(), std::string(fz::group_name),
                                                      fz::identity(), "seed");
      must(c.encode() == chain_file(last) && (last == 0 || c.head().epoch == grypt::Epoch(last)), "chain");
      must(last != 7 || (c.lacking().empty() && c.newest_key() == grypt::Epoch(7)), "chain 7 holds every key");
      must(last != 2 || (!c.newest_key() && c.lacking().size() == 1), "chain 2 holds no key");
    });
  put("group_cache", "chain-1-7", chain_file(7));  // with the grant's history records
  put("group_cache", "chain-1-4", chain_file(4));
  put("group_cache", "chain-1-2", chain_file(2));  // not a member yet: no key
  put("group_cache", "chain-1", chain_file(1));
  put("group_cache", "chain-empty", chain_file(0));
  put("group_cache", "state-3", state_bytes_of(3));
  put("group_cache", "state-4-rotate", state_bytes_of(4));
  put("group_cache", "reference", reference(std::string(fz::group_name)).to_string());
  put("group_cache", "reference-ip", reference("g", "::1", 1).to_string());
  grypt::GroupReference many = reference("many");
  for (std::uint16_t i = 2; i <= 8; ++i) many.endpoints.push_back({"h" + std::to_string(i) + ".example", i});
  put("group_cache", "reference-8-endpoints", many.to_string());
  put("group_cache", "groups",
      "# comment\n\n" +
          grypt::format_groups_file({{std::string(fz::group_name), reference(std::string(fz::group_name)), ""},
                                     {"other", reference("other", "10.0.0.1", 65535), "alice from the club"}}) +
          "  spaced\t" + reference("spaced").to_string() + " \r\n");
}

void group_state_seeds() {
  const auto& records = fz::fixed_chain().records;
  for (std::uint32_t e = 1; e <= records.size(); ++e)
    put("group_state", "record-" + std::to_string(e), state_record(records[e - 1]));
  put("group_state", "state-5-only", state_bytes_of(5));
  // The next epoch, one of each change, signed by the fixed identity (an
  // administrator after epoch 6).
  using grypt::Change;
  using grypt::Role;
  const grypt::Identity& me = fz::identity();
  put("group_state", "next-rotate", state_record(next_state(7, Change::rotate, nullptr, "", Role::member, me, 1)));
  put("group_state", "next-add-carol",
      state_record(next_state(7, Change::add, &fz::carol(), "carol.c-2_x", Role::member, me, 2)));
  put("group_state", "next-add-bob-admin",
      state_record(next_state(7, Change::add, &fz::bob(), "bob", Role::admin, fz::admin(), 3)));
  put("group_state", "next-demote-admin",
      state_record(next_state(7, Change::demote, &fz::admin(), "admin", Role::member, me, 4)));
  put("group_state", "next-remove-admin",
      state_record(next_state(7, Change::remove, &fz::admin(), "admin", Role::admin, me, 5)));
  put("group_state", "next-grant", state_record(next_state(7, Change::grant, &me, "fixed", Role::admin, me, 6)));
  put("group_state", "next-move-admin",
      state_record(next_state(7, Change::move, &fz::carol(), "admin", Role::admin, me, 9)));
  put("group_state", "move-statement",
      std::string_view(grypt::MoveStatement::make(fz::admin(), fz::carol(), fz::chain_time)));
  // Another state of a held epoch, by an admin of the epoch before: a fork.
  grypt::StateRecord other5 = next_state(4, Change::rotate, nullptr, "", Role::member, fz::admin(), 7);
  put("group_state", "fork-5", state_record(other5));
  // A state not signed by an administrator (bob, a member at epoch 4).
  put("group_state", "not-admin-5", state_record(next_state(4, Change::rotate, nullptr, "", Role::member, fz::bob(), 8)));
  grypt::Fork f{fz::fixed_chain().states[4], grypt::GroupState::decode(other5.state)};
  put("group_state", "fork-file", grypt::encode_fork(f));
  put("group_state", "fork-file-swapped", grypt::encode_fork({f.other, f.held}));
  std::int64_t t = fz::chain_time;
  put("group_state", "join-request",
      grypt::JoinRequest{fz::group_id(), t, me.public_key(), "alice from the club"}.sign(me));
  put("group_state", "join-request-no-note", grypt::JoinRequest{fz::group_id(), t, fz::carol().public_key(), ""}.sign(fz::carol()));
  put("group_state", "leave-request",
      grypt::JoinRequest{fz::group_id(), t, me.public_key(), "moving on", grypt::JoinRequest::Kind::leave}.sign(me));
  put("group_state", "join-request-long-note",
      grypt::JoinRequest{fz::group_id(), t, me.public_key(), std::string(grypt::max_note_bytes, 'n')}.sign(me));
  put("group_state", "server-reference", server_reference().to_string());

  // What the target makes of them: the next states are taken, the other
  // epoch 5 is a fork, bob's is refused, the fork file and the requests
  // decode.
  auto placed = [](const grypt::StateRecord& r) {
    grypt::GroupChain c = fz::chain_upto(7);
    return c.take(r, fz::identity());
  };
  auto next = next_state(7, Change::rotate, nullptr, "", Role::member, me, 1);
  must(placed(next).fault == grypt::StateFault::none && placed(next).how == grypt::Placed::How::appended, "next-rotate");
  for (const auto& [e, c, who, name, role, signer] :
       std::vector<std::tuple<int, Change, const grypt::Identity*, std::string, Role, const grypt::Identity*>>{
           {2, Change::add, &fz::carol(), "carol.c-2_x", Role::member, &me},
           {3, Change::add, &fz::bob(), "bob", Role::admin, &fz::admin()},
           {4, Change::demote, &fz::admin(), "admin", Role::member, &me},
           {5, Change::remove, &fz::admin(), "admin", Role::admin, &me},
           {6, Change::grant, &me, "fixed", Role::admin, &me}})
    must(placed(next_state(7, c, who, name, role, *signer, static_cast<std::uint8_t>(e))).fault == grypt::StateFault::none,
         std::string("next-") + grypt::change_name(c));
  must(placed(other5).fault == grypt::StateFault::forked, "fork-5");
  must(placed(next_state(4, Change::rotate, nullptr, "", Role::member, fz::bob(), 8)).fault ==
           grypt::StateFault::not_admin,
       "not-admin-5");
  must_parse("fork-file", [&] { (void)grypt::decode_fork(grypt::encode_fork(f), fz::chain_upto(7), "seed"); });
  must_parse("join-request", [&] {
    (void)grypt::JoinRequest::decode(grypt::JoinRequest{fz::group_id(), t, me.public_key(), "x"}.sign(me));
  });
}

void daemon_request_seeds() {
  namespace d = grypt::daemon;
  const char* const names[] = {"status",      "seal",          "sign",          "open",         "members",
                               "vault-batch", "vault-create",  "vault-reseal",  "join",         "stop",
                               "seal-digest", "create",        "add",           "add-two",      "change-remove",
                               "roster",      "pending",       "log",           "invite",       "leave",
                               "lock",        "unlock",        "move"};
  const auto& requests = fz::daemon_requests();
  static_assert(sizeof names / sizeof names[0] == 23);
  if (requests.size() != 23) throw grypt::Error("seeds: the daemon requests of fixtures.h changed");
  for (std::size_t i = 0; i < requests.size(); ++i) {
    Bytes b = d::encode(requests[i]);
    must_parse(std::string("daemon_request/") + names[i],
               [&] { must(d::decode_request(b).index() == requests[i].index(), names[i]); });
    put("daemon_request", names[i], b);
  }
  put("daemon_request", "seal-unsigned", d::encode(d::Seal{"other", false, std::nullopt}));
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
  std::string ref = reference(std::string(fz::group_name)).to_string();
  put("daemon_request", "join-reference", d::encode(d::Join{"joined", ref, ""}));
  put("daemon_request", "join-note", d::encode(d::Join{"joined", ref, "alice from the club"}));
  put("daemon_request", "add-many",
      d::encode(d::AddMany{"friends", {{"carol", fz::carol().public_key()}, {"dave", fz::identity().public_key()}}}));
  put("daemon_request", "create-server",
      d::encode(d::Create{std::string(fz::group_name), server_reference().to_string(), ""}));
  put("daemon_request", "add-pending-number", d::encode(d::Add{"g", "3", "dana", false, true}));
  put("daemon_request", "add-key-history", d::encode(d::Add{"g", other_key(4).to_string(), "eve", true, false}));
  for (grypt::Change c : {grypt::Change::rotate, grypt::Change::promote, grypt::Change::demote, grypt::Change::grant})
    put("daemon_request", std::string("change-") + grypt::change_name(c),
        d::encode(d::Change{c, "g", c == grypt::Change::rotate ? "" : other_key(5).to_string()}));
}

// The first byte picks the request (fixtures.h, daemon_requests).
void put_reply(const std::string& name, std::size_t request, const grypt::daemon::Reply& r) {
  if (fz::reply_index(fz::daemon_requests().at(request)) != r.index() &&
      !std::holds_alternative<grypt::daemon::Failure>(r))
    throw grypt::Error("seeds: reply " + name + " does not answer request " + std::to_string(request));
  Bytes b{static_cast<std::uint8_t>(request)};
  Bytes body = grypt::daemon::encode(r);
  must_parse("daemon_reply/" + name, [&] {
    must(grypt::daemon::decode_reply(body, fz::daemon_requests().at(request)).index() == r.index(), name);
  });
  b.insert(b.end(), body.begin(), body.end());
  put("daemon_reply", name, b);
}

void daemon_reply_seeds() {
  namespace d = grypt::daemon;
  auto key = [](std::uint8_t start) { return fz::secret(fz::pattern<32>(start, 1)); };
  std::string ref = reference(std::string(fz::group_name)).to_string();
  const grypt::StateHash head = fz::fixed_chain().states.back().hash();
  d::GroupStatus connected{std::string(fz::group_name), ref, grypt::Standing::connected, 7, 1800003600, 2, "", head,
                           1800608400, "admin"};
  d::GroupStatus forked{"other", reference("other").to_string(), grypt::Standing::forked, 5, 1700000000, 3,
                        "two different states for epoch 5", fz::pattern<32>(9, 9), 0, "member"};
  d::GroupStatus not_member{"third", reference("third").to_string(), grypt::Standing::not_member, 0, 0, 0, "", {}, 0, ""};
  put_reply("status", 0, d::StatusReply{fz::identity().public_key().to_string(), 4242, false, {connected, forked, not_member}});
  put_reply("status-none", 0, d::StatusReply{fz::identity().public_key().to_string(), 1, true, {}});
  auto seal_reply = [&](bool with_signature) {
    d::SealReply seal;
    std::copy_n(seal_message(0, true).begin(), grypt::header_bytes, seal.header.begin());
    seal.key = key(1);
    seal.state_hash = fz::message_state;
    seal.epoch = 7;
    seal.fresh = true;
    seal.confirmed = 1700000000;
    seal.state = grypt::Standing::connected;
    if (with_signature) seal.signature = d::SignReply{fz::identity().public_key().key_id(), fz::identity().sign(plaintext(64))};
    return seal;
  };
  put_reply("seal", 1, seal_reply(false));
  put_reply("seal-signed", 10, seal_reply(true));
  put_reply("sign", 2,
            d::SignReply{fz::identity().public_key().key_id(), fz::identity().sign(plaintext(10))});
  put_reply("open", 3, d::OpenReply{key(2), fz::message_state, std::string(fz::group_name), 3, std::nullopt});
  put_reply("open-superseded", 3, d::OpenReply{key(2), fz::message_state, std::string(fz::group_name), 3, 7});
  d::MembersReply members;
  members.members.push_back({"fixed", fz::identity().public_key(), true});
  members.members.push_back({"bob", fz::bob().public_key(), false});
  members.members.push_back({"carol.c-2_x", fz::carol().public_key(), std::nullopt});
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
  put_reply("create", 11, d::CreateReply{ref});
  put_reply("add", 12, d::EpochReply{8});
  put_reply("change", 14, d::EpochReply{9});
  d::RosterReply roster;
  roster.members = {{"admin", fz::admin().public_key(), "admin", 1}, {"fixed", fz::identity().public_key(), "admin", 3}};
  put_reply("roster", 15, roster);
  // The first of an answer's parts, "more" true (grypt-protocol.7, DAEMON PROTOCOL).
  {
    std::vector<Bytes> parts = grypt::daemon::encode_parts(roster, 200);
    must(parts.size() == 2, "daemon_reply/roster-part: two parts");
    Bytes b{14};
    b.insert(b.end(), parts[0].begin(), parts[0].end());
    put("daemon_reply", "roster-part", b);
  }
  d::PendingReply pending;
  pending.requests = {{1, false, std::nullopt, fz::carol().public_key(), "carol from work", 1800000000, 1800000000,
                       1800000300, 3},
                      {2, true, "bob", other_key(6), "", 1800000100, 1800000100, 1800000100, 1}};
  put_reply("pending", 16, pending);
  d::LogReply log;
  for (const grypt::GroupState& st : fz::fixed_chain().states) {
    d::LogOut o;
    o.epoch = st.epoch.value();
    o.time = st.time;
    o.change = grypt::change_name(st.change);
    o.subject = st.subject;
    o.subject_name = st.subject_name;
    o.role = st.role ? grypt::role_name(*st.role) : "";
    o.signer = st.signer;
    o.signer_name = st.signer == fz::admin().public_key() ? "admin" : "fixed";
    log.entries.push_back(std::move(o));
  }
  put_reply("log", 17, log);
  put_reply("invite", 18, d::InviteReply{ref});
  put_reply("add-two", 13, d::EpochReply{8});
  put_reply("leave", 19, d::LeftReply{true});
  put_reply("leave-untold", 19, d::LeftReply{false});
  put_reply("lock", 20, d::Done{});
  put_reply("unlock", 21, d::Done{});
  put_reply("move", 22, d::EpochReply{8});
  put_reply("failure-locked", 1, d::Failure{d::Code::locked, "gryptd is locked: unlock it with gryptd unlock"});
  put_reply("failure-passphrase", 21, d::Failure{d::Code::passphrase, "wrong passphrase"});
  put_reply("failure", 1, d::Failure{d::Code::not_member, "you are not a member of fuzz-group"});
  put_reply("failure-vault", 5, d::Failure{d::Code::vault, "the vault key does not open"});
  put_reply("failure-forked", 3, d::Failure{d::Code::forked, "sealed under another state of epoch 5"});
  put_reply("failure-refused", 12, d::Failure{d::Code::refused, "the server refused the commit: stale"});
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
  using grypt::Epoch;
  std::vector<std::pair<std::string, Bytes>> bodies;
  // Each frame decodes as what it is: from a member, from the server, or
  // the administration socket's.
  auto add = [&](std::string name, Bytes b) {
    bool ok = false;
    for (auto decode : {+[](const Bytes& x) { (void)p::decode_from_member(x); },
                        +[](const Bytes& x) { (void)p::decode_from_server(x); },
                        +[](const Bytes& x) { (void)a::decode_request(x); },
                        +[](const Bytes& x) { (void)a::decode_reply(x); }}) {
      try {
        decode(b);
        ok = true;
      } catch (const grypt::Error&) {
      }
    }
    must(ok, "server_frames/" + name);
    bodies.emplace_back(std::move(name), std::move(b));
  };
  const auto& chain = fz::fixed_chain();
  const std::string g(fz::group_name);
  grypt::StateHash head = chain.states[3].hash();
  Bytes request = grypt::JoinRequest{fz::group_id(), fz::chain_time, fz::carol().public_key(), "carol"}.sign(fz::carol());
  add("hello", p::encode(p::FromMember{p::Hello{
                   fz::identity().public_key(),
                   {{g, Epoch(4), head, {{Epoch(1), Epoch(2)}}, {}}, {"other", {}, {}, {}, {}}}}}));
  add("hello-join", p::encode(p::FromMember{p::Hello{fz::carol().public_key(), {{g, {}, {}, {}, request}}}}));
  add("hello-bare", p::encode(p::FromMember{p::Hello{fz::identity().public_key(), {{"g", {}, {}, {}, {}}}}}));
  add("ask", p::encode(p::FromMember{p::Ask{{{"g", Epoch(2), head, {{Epoch(1), Epoch(1)}}, {}}}}}));
  // A commit as an admin sends it: the genesis (a create), then an add in
  // two parts and a grant with history boxes.
  p::Commit create{"", chain.records[0].state, chain.records[0].ephemeral, {fz::pattern<48>(1, 1)}, {}, false, {}};
  add("create", p::encode(p::FromMember{create}));
  p::Commit add2{g, chain.records[1].state, chain.records[1].ephemeral, {fz::pattern<48>(2, 1), fz::pattern<48>(3, 1)}, {}, false, {}};
  p::Commit part1 = add2, part2 = add2;
  part1.boxes.resize(1);
  part1.more = true;
  part2.boxes.erase(part2.boxes.begin());
  add("commit-part-1", p::encode(p::FromMember{part1}));
  add("commit-part-2", p::encode(p::FromMember{part2}));
  p::Commit grant{g, chain.records[6].state, chain.records[6].ephemeral, {fz::pattern<48>(4, 1), fz::pattern<48>(5, 1)}, {}, false, {}};
  for (const fz::HistoryRecord& h : chain.history) grant.history.push_back({h.epoch, h.box});
  add("commit-grant", p::encode(p::FromMember{grant}));
  // A run: epochs 2 to 5 without boxes, then epoch 6 with them.
  p::Commit run{g, chain.records[5].state, chain.records[5].ephemeral, {fz::pattern<48>(6, 1), fz::pattern<48>(7, 1)}, {}, false, {}};
  for (std::size_t e = 1; e < 5; ++e) run.run.push_back(chain.records[e].state);
  add("commit-run", p::encode(p::FromMember{run}));
  add("pending-request", p::encode(p::FromMember{p::PendingRequest{g}}));
  grypt::JoinRequest leaving{fz::group_id(), fz::chain_time, fz::identity().public_key(), "", grypt::JoinRequest::Kind::leave};
  add("leave", p::encode(p::FromMember{p::Leave{g, leaving.sign(fz::identity())}}));
  add("left", p::encode(p::FromServer{p::Left{g}}));
  add("ping", p::encode(p::FromMember{p::Ping{}}));
  add("pong", p::encode(p::FromServer{p::Pong{}}));
  add("welcome", p::encode(p::FromServer{p::Welcome{server_identity().public_key()}}));
  const grypt::StateRecord& r = chain.records[4];
  add("state", p::encode(p::FromServer{p::State{g, Epoch(5), r.state, r.ephemeral, r.box}}));
  add("state-no-key", p::encode(p::FromServer{p::State{g, Epoch(1), chain.records[0].state, chain.records[0].ephemeral, {}}}));
  for (const fz::HistoryRecord& h : chain.history)
    add("history-" + h.epoch.to_string(), p::encode(p::FromServer{p::History{g, h.grant, h.epoch, h.box}}));
  add("synced", p::encode(p::FromServer{p::Synced{g, Epoch(7)}}));
  add("not-member", p::encode(p::FromServer{p::NotMember{"g"}}));
  add("removed", p::encode(p::FromServer{p::Removed{"g"}}));
  add("committed", p::encode(p::FromServer{p::Committed{g, Epoch(8)}}));
  add("refused", p::encode(p::FromServer{p::Refused{g, "stale", Epoch(8), "epoch 8 does not follow the group's head, epoch 9"}}));
  add("refused-create", p::encode(p::FromServer{p::Refused{g, "name-taken", Epoch(0), "a group of that name exists"}}));
  add("refused-leave", p::encode(p::FromServer{p::Refused{g, "not-member", Epoch(8), "a leave for a group this connection does not follow as a member"}}));
  add("pending", p::encode(p::FromServer{p::Pending{g, {{1, request, 1800000000, 1800000300, 3}, {2, request, 5, 5, 1}}}}));
  add("pending-none", p::encode(p::FromServer{p::Pending{g, {}}}));
  add("error", p::encode(p::FromServer{p::ErrorReply{"version", "unsupported protocol version 1"}}));
  std::string key = other_key(4).to_string();
  using T = a::Request::Type;
  for (const a::Request& q : std::vector<a::Request>{
           {T::groups, ""}, {T::admins, ""}, {T::admit, key}, {T::revoke, key}, {T::reference, ""}})
    add(std::string("admin-") + a::type_name(q.type), a::encode(q));
  a::Reply lists;
  lists.groups = {{g, grypt::base64_encode(fz::group_id(), grypt::Base64::url_unpadded),
                   reference(g).to_string(), 7, 2, 2, 1},
                  {"h", "aGg", "", 1, 1, 1, 0}};
  lists.admins = {fz::admin().public_key().to_string(), key};
  add("admin-reply-lists", a::encode(lists));
  a::Reply ref_reply;
  ref_reply.reference = server_reference().to_string();
  add("admin-reply-reference", a::encode(ref_reply));
  a::Reply error;
  error.ok = false;
  error.code = "no-port";
  error.message = "the store listens on any free port";
  add("admin-reply-error", a::encode(error));
  auto body_of = [&](const std::string& name) {
    for (const auto& [n, b] : bodies)
      if (n == name) return b;
    throw grypt::Error("seeds: no frame " + name);
  };
  std::uint8_t cutting = 0;
  for (const auto& [name, body] : bodies) put_stream(name, cutting++, {body});
  // server_message takes each body alone.
  for (const auto& [name, body] : bodies) put("server_message", name, body);
  std::vector<Bytes> parts = a::encode_parts(lists, 300);
  put_stream("admin-reply-parts", 7, parts);
  put_stream("commit-parts", 9, {body_of("commit-part-1"), body_of("commit-part-2")});
  std::vector<Bytes> all;
  for (const auto& nb : bodies) all.push_back(nb.second);
  put_stream("all-whole", 0, all);
  put_stream("all-cut", 200, all);
  // Refused lengths, after a good frame.
  Bytes bad{5};
  Bytes ping = framed(body_of("ping"));
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
    group_state_seeds();
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
