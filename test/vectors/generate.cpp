// Writes the test vectors into a directory (make vectors). libsodium's
// randomness is replaced by a seeded stream, so every key, nonce and salt,
// and therefore every file, comes out the same on every run.
#include <sodium.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>

#include "core/armor.h"
#include "core/group_test_chain.h"
#include "proto/server.h"
#include "core/blake.h"
#include "core/armor_alphabet.h"
#include "core/bytes.h"
#include "core/crypto.h"
#include "core/encoding.h"
#include "core/epoch_box.h"
#include "core/group.h"
#include "core/identity_file.h"
#include "core/join_request.h"
#include "core/message.h"
#include "core/reference.h"
#include "core/roster.h"
#include "core/vault.h"
#include "vector.h"

namespace grypt::vectors {
namespace {

// --- deterministic randomness -------------------------------------------

std::uint64_t g_calls = 0;

void det_buf(void* buf, size_t size) {
  unsigned char seed[randombytes_SEEDBYTES];
  std::string input = "grypt test vectors v1 " + std::to_string(g_calls++);
  crypto_generichash(seed, sizeof seed, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), nullptr, 0);
  randombytes_buf_deterministic(buf, size, seed);
}
uint32_t det_random() {
  uint32_t r;
  det_buf(&r, sizeof r);
  return r;
}
uint32_t det_uniform(const uint32_t upper) { return upper ? det_random() % upper : 0; }
const char* det_name() { return "grypt-test-vectors"; }
randombytes_implementation det_impl = {det_name, det_random, nullptr, det_uniform, det_buf,
                                       nullptr};

// Cases added later draw from streams of their own, so that adding them
// leaves every earlier file byte for byte as it was.
class SeparateStream {
 public:
  explicit SeparateStream(std::uint64_t base) : saved_(g_calls) { g_calls = base; }
  ~SeparateStream() { g_calls = saved_; }

 private:
  std::uint64_t saved_;
};

// --- helpers ---------------------------------------------------------------

std::string out_dir;
int written = 0;

std::string b64url(std::span<const std::uint8_t> b) { return base64_encode(b, Base64::url_unpadded); }

std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(i * 131 + 7);
  return p;
}

struct Case {
  std::string name, expect, format, error, comment;
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::uint8_t> data;
  bool text = false;
};

void emit(const Case& c) {
  Vector v;
  v.name = c.name;
  v.fields["expect"] = {c.expect};
  v.fields["format"] = {c.format};
  if (!c.error.empty()) v.fields["error"] = {c.error};
  if (!c.comment.empty()) v.fields["comment"] = {c.comment};
  for (const auto& [k, val] : c.fields) v.fields[k].push_back(val);
  v.fields["data"] = {c.text ? "text" : "base64"};
  v.data = c.data;
  // Each case must come out as it claims, or the generator is wrong.
  std::string why = verdict(v, check_vector(v));
  if (!why.empty()) throw std::runtime_error(c.name + ": " + why);
  std::ofstream(out_dir + "/" + c.name + ".vec", std::ios::binary) << format_vector(v);
  ++written;
}

std::vector<std::uint8_t> text_bytes(const std::string& s) { return {s.begin(), s.end()}; }

// --- messages --------------------------------------------------------------

struct Group {
  GroupId id;
  Epoch epoch{3};
  StateHash state{};  // the hash of the epoch's state, which messages bind
  SecretBytes key{32};
  std::vector<std::pair<std::string, std::string>> fields(const std::vector<PublicKey>& members,
                                                          Epoch e = Epoch()) const {
    std::vector<std::pair<std::string, std::string>> f = {
        {"group", b64url(short_id(id))}, {"epoch", (e != Epoch() ? e : epoch).to_string()},
        {"state", b64url(state)}, {"epoch-key", b64url(key.span())}};
    for (const PublicKey& m : members) f.emplace_back("member", m.to_string());
    return f;
  }
};

// A signer that claims one key id and signs with another identity.
class LyingSigner : public Signer {
 public:
  LyingSigner(const Identity& claims, const Identity& signs) : claims_(claims), signs_(signs) {}
  SignedDigest sign(const MessageHeader& h, const StateHash& state,
                    std::span<const std::uint8_t, 64> d) const override {
    KeyId id = claims_.public_key().key_id();
    return {id, signs_.sign(signed_bytes(h, state, id, d))};
  }

 private:
  const Identity& claims_;
  const Identity& signs_;
};

std::vector<std::uint8_t> seal(const Group& g, std::span<const std::uint8_t> plain,
                               const Signer* signer, Epoch epoch = Epoch()) {
  MessageHeader h = MessageHeader::fresh(g.id, epoch != Epoch() ? epoch : g.epoch, g.state, signer != nullptr);
  MessageKey key{derive_message_key(g.key.span(), h, g.state), g.state};
  MemoryOutput out;
  MessageSealer s(h, key, out, signer);
  s.write(plain);
  s.finish();
  return out.data;
}

void messages(const Identity& alice, const Identity& bob, const Identity& mallory) {
  Group g;
  random_bytes(g.id);
  random_bytes(g.state);
  random_bytes(g.key.span());
  IdentitySigner signer(alice);
  std::vector<PublicKey> members = {alice.public_key(), bob.public_key()};
  auto fields = g.fields(members);
  std::string sender = " sender=" + alice.public_key().to_string();

  auto ok = [&](const std::string& name, const std::vector<std::uint8_t>& plain, bool sign,
                const std::string& comment) {
    Case c{name, "ok", "message", "", comment, fields, seal(g, plain, sign ? &signer : nullptr)};
    c.fields.emplace_back("result", summary(plain, sign ? sender : " sender=none"));
    emit(c);
  };
  ok("message_anonymous_empty", {}, false, "0 bytes: one empty final chunk (45 bytes in all)");
  ok("message_anonymous_1_byte", pattern(1), false, "one byte");
  ok("message_signed_empty", {}, true, "0 bytes signed: the trailer alone (117 bytes in all)");
  std::string post(200, 'x');
  for (std::size_t i = 0; i < post.size(); ++i) post[i] = "a post to the group "[i % 20];
  ok("message_signed_post_200", text_bytes(post), true, "a 200-byte post, signed: 317 bytes");
  ok("message_anonymous_65535", pattern(65535), false, "one byte short of a chunk");
  ok("message_anonymous_65536", pattern(65536), false, "exactly one chunk: a full final chunk");
  ok("message_anonymous_65537", pattern(65537), false, "a full chunk and a 1-byte final chunk");
  ok("message_signed_65536", pattern(65536), true, "a full final chunk plus the trailer");
  ok("message_signed_65537", pattern(65537), true, "the trailer inside a 1-byte final chunk");
  ok("message_anonymous_131072", pattern(131072), false, "two full chunks");

  auto plain = text_bytes("meet at the usual place, 8pm");
  auto m = seal(g, plain, &signer);
  auto with_result = [&](Case c, const std::vector<std::uint8_t>& p) {
    c.fields.emplace_back("result", summary(p, sender));
    return c;
  };
  emit(with_result({"message_armor_line", "ok", "message", "", "one-line armor inside other text",
                    fields, text_bytes("posted by someone: " + armor_line(m) + " -- reply below\n"),
                    true},
                   plain));
  emit(with_result({"message_armor_block", "ok", "message", "", "the PEM-style block", fields,
                    text_bytes("Subject: hi\n\n" + armor_block(m)), true},
                   plain));
  // A base64 string never has a length of 4k + 1.
  std::string token = armor_line(m).substr(armor_prefix.size());
  token.resize(token.size() - (token.size() + 3) % 4);
  emit({"message_armor_bad_base64", "armor", "message", "not valid base64url",
        "a token whose length no base64 string has", fields,
        text_bytes(std::string(armor_prefix) + token + "\n"), true});
  std::string block = armor_block(seal(g, pattern(100), &signer));
  std::string bad_block = block;
  // The second line, not the first: a reader that streams (grypt-open) has
  // read the header from the first line before it meets the short one, and
  // a header with a byte gone names another group.
  bad_block.erase(armor_begin.size() + 1 + 65 + 10, 1);  // second line 63 characters
  emit({"message_armor_block_short_line", "armor", "message", "lines must be 64 characters",
        "a block whose second line is 63 characters", fields, text_bytes(bad_block), true});
  emit({"message_armor_block_no_end", "armor", "message", "no END line", "the END line is missing",
        fields, text_bytes(block.substr(0, block.size() - armor_end.size() - 1)), true});

  auto tweak = [&](std::vector<std::uint8_t> v, std::size_t at, std::uint8_t x) {
    v[at] ^= x;
    return v;
  };
  // The first byte names the version: 0x13 ^ 0x06 = 0x15, version 3.
  emit({"message_header_version_3", "header", "message", "version 3", "version bits 010: version 3",
        fields, text_bytes(armor_line(tweak(m, 0, 0x06)) + "\n"), true});
  // A real version 1 post (group protocol version 1), which this grypt no
  // longer reads.
  emit({"message_version_1", "header", "message", "version 1",
        "a post sealed by grypt before group protocol version 2", fields,
        text_bytes("posted by someone: grypt:EakVOnz1oE22AAAAAwWMWFMMg_O14z-spn8tc0rbgPAMaFI1wAw9DiWslPUzhGC-"
                   "v55dP2LzZzIVvSB0A05m_c9UvmTciQGw9f_QVUSCFDnWtAhAs7VgkggSEoVFI9YM624zDWyy7zgmNzObMERtxE_aeX88By"
                   "No6DCDMZxuGD2pmOQYypefMSw-AwUcq09eRg -- reply below\n"),
        true});
  emit({"message_truncated_header", "truncated", "message", "header is incomplete",
        "cut inside the header", fields, std::vector<std::uint8_t>(m.begin(), m.begin() + 20)});
  emit({"message_truncated_no_payload", "truncated", "message", "payload is missing",
        "the header alone", fields, std::vector<std::uint8_t>(m.begin(), m.begin() + header_bytes)});
  auto three = seal(g, pattern(2 * 65536 + 100), nullptr);
  emit({"message_truncated_chunk_boundary", "truncated", "message", "without its final chunk",
        "a 3-chunk message cut after chunk 2", fields,
        std::vector<std::uint8_t>(three.begin(), three.begin() + header_bytes + 2 * sealed_chunk_bytes)});
  emit({"message_truncated_inside_chunk", "auth", "message", "authentication failed",
        "cut inside the final chunk: indistinguishable from a modification", fields,
        std::vector<std::uint8_t>(m.begin(), m.end() - 5)});
  {
  SeparateStream review(1'000'000);
  auto two_signed = seal(g, pattern(65537), &signer);
  const std::size_t first_end = header_bytes + sealed_chunk_bytes;
  emit({"message_signed_cut_in_trailer", "truncated", "message", "end of the data is missing",
        "a signed message whose final chunk is cut inside the trailer region: shorter than 17 + T "
        "after a first chunk",
        fields, std::vector<std::uint8_t>(two_signed.begin(), two_signed.begin() + first_end + 16 + 64)});
  emit({"message_final_chunk_16_plus_t", "truncated", "message", "end of the data is missing",
        "after a first chunk, a final chunk of exactly 16 + T bytes (an empty one) is truncated, "
        "decided by its length",
        fields,
        std::vector<std::uint8_t>(two_signed.begin(), two_signed.begin() + first_end + 16 + 72)});
  auto short_signed = seal(g, pattern(5), &signer);
  emit({"message_signed_short_cut_in_trailer", "truncated", "message", "end of the data is missing",
        "a 5-byte signed message cut inside its trailer: the final chunk is under 16 + T", fields,
        std::vector<std::uint8_t>(short_signed.begin(), short_signed.begin() + header_bytes + 80)});
  {
    // A key holder's non-canonical stream: a full chunk sealed as non-final,
    // then an empty final chunk. No writer makes it; its length is that of a
    // cut payload.
    MessageHeader h = MessageHeader::fresh(g.id, g.epoch, g.state, false);
    SecretBytes key = derive_message_key(g.key.span(), h, g.state);
    AesGcm gcm(key.span());
    auto hb = h.encode();
    std::vector<std::uint8_t> v(hb.begin(), hb.end());
    auto p = pattern(65536);
    std::vector<std::uint8_t> c0(sealed_chunk_bytes), c1(gcm_tag_bytes);
    std::array<std::uint8_t, gcm_nonce_bytes> n{};
    gcm.seal(n, p, c0.data(), c0.data() + chunk_bytes);
    n[10] = 1;
    n[11] = 1;
    gcm.seal(n, {}, nullptr, c1.data());
    v.insert(v.end(), c0.begin(), c0.end());
    v.insert(v.end(), c1.begin(), c1.end());
    emit({"message_empty_final_chunk", "truncated", "message", "end of the data is missing",
          "a full non-final chunk then an empty final chunk, both valid under the key", fields, v});
  }
  {
    // Binary of version 1: told from text by its first byte 0x11, refused
    // for its version.
    auto b = m;
    b[0] = 0x11;
    emit({"message_binary_version_1", "header", "message", "version 1",
          "binary, first byte 0x11: taken for binary, refused as version 1", fields, b});
  }
  }
  auto full = seal(g, pattern(65536), nullptr);
  auto appended = full;
  appended.insert(appended.end(), 100, 0xaa);
  emit({"message_trailing_data", "trailing data", "message", "trailing data",
        "100 bytes after a complete 64 KiB message", fields, appended});
  auto small_append = m;
  small_append.push_back(0);
  emit({"message_trailing_byte", "auth", "message", "authentication failed",
        "one byte appended moves the final tag", fields, small_append});
  emit({"message_tampered_payload", "auth", "message", "authentication failed at chunk 1",
        "one ciphertext bit flipped", fields, tweak(m, header_bytes + 3, 0x01)});
  emit({"message_tampered_nonce", "auth", "message", "authentication failed",
        "a nonce bit flipped: another message key", fields, tweak(m, 20, 0x80)});
  emit({"message_tampered_tag", "auth", "message", "authentication failed", "a tag bit flipped",
        fields, tweak(m, m.size() - 1, 0x01)});
  auto swapped = three;
  std::swap_ranges(swapped.begin() + header_bytes, swapped.begin() + header_bytes + sealed_chunk_bytes,
                   swapped.begin() + header_bytes + sealed_chunk_bytes);
  emit({"message_reordered_chunks", "auth", "message", "authentication failed at chunk 1",
        "chunks 1 and 2 swapped", fields, swapped});
  emit({"message_wrong_group", "wrong key", "message", "not a member of group",
        "a group id bit flipped: a group we have no key for", fields, tweak(m, 1, 0x01)});
  emit({"message_wrong_epoch", "wrong key", "message", "no key for epoch 4",
        "an epoch the reader has no key for", fields, seal(g, plain, &signer, g.epoch.next())});
  Group forked;
  forked.id = g.id;
  random_bytes(forked.state);
  forked.key = SecretBytes::copy_of(g.key.span());
  emit({"message_forked_state", "forked", "message", "history was forked",
        "sealed under another state of the epoch than the reader holds (its header's state prefix differs)",
        fields, seal(forked, plain, &signer)});
  Group other;
  other.id = g.id;
  other.state = g.state;
  random_bytes(other.key.span());
  emit({"message_wrong_epoch_key", "auth", "message", "authentication failed at chunk 1",
        "the reader holds another key for the same group and epoch", other.fields(members),
        m});
  IdentitySigner mallory_signs(mallory);
  emit({"message_unknown_sender", "auth", "message", "is not a member of the group",
        "signed by someone outside the group", fields, seal(g, plain, &mallory_signs)});
  LyingSigner forged(alice, mallory);
  emit({"message_forged_sender", "auth", "message", "signature does not verify",
        "claims alice's key id, signed by another key", fields, seal(g, plain, &forged)});
}

// --- armor for sites that count characters --------------------------------
// Cases of the x and dense forms (grypt.5, ARMOR), in files armor_*.vec of
// their own. Of the message they need only its bytes, sealed as any
// message is; the damage is done to the text.

// The byte offset of the character that starts at or after byte `at`.
std::size_t char_start(const std::string& s, std::size_t at) {
  while (at < s.size() && (static_cast<unsigned char>(s[at]) & 0xc0) == 0x80) ++at;
  return at;
}

// A line break after every `every` characters of the token, the marker's
// included, as a site that wraps long lines.
std::string wrap(const std::string& token, std::size_t every, const std::string& nl) {
  std::string out;
  std::size_t chars = 0;
  for (char c : token) {
    bool starts = (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    if (starts && chars > 0 && chars % every == 0) out += nl;
    chars += starts;
    out += c;
  }
  return out;
}

void armor_forms(const Identity& alice, const Identity& bob) {
  SeparateStream review(8'000'000);
  Group g;
  random_bytes(g.id);
  random_bytes(g.key.span());
  IdentitySigner signer(alice);
  auto fields = g.fields({alice.public_key(), bob.public_key()});
  std::string post(100, 'p');
  for (std::size_t i = 0; i < post.size(); ++i) post[i] = "a post to the group "[i % 20];
  auto plain = text_bytes(post);
  auto m = seal(g, plain, &signer);
  auto ok = [&](const std::string& name, const std::string& comment, const std::string& text) {
    Case c{name, "ok", "message", "", comment, fields, text_bytes(text), true};
    c.fields.emplace_back("result", summary(plain, " sender=" + alice.public_key().to_string()));
    emit(c);
  };
  auto bad = [&](const std::string& name, const std::string& expect, const std::string& error,
                 const std::string& comment, const std::string& text) {
    emit({name, expect, "message", error, comment, fields, text_bytes(text), true});
  };
  for (ArmorForm f : {ArmorForm::x, ArmorForm::dense}) {
    const std::string n = std::string(armor_form_name(f));
    const DenseAlphabet& a = f == ArmorForm::x ? x_alphabet() : dense_alphabet();
    const std::string t = armor_text(m, f);
    const std::size_t marker = f == ArmorForm::x ? armor_x_marker.size() : armor_dense_marker.size();
    ok("armor_" + n + "_ok", "a 100-byte signed post in " + n + " armor, among prose that names the marker",
       "see grypt\xc3\x97 and grypt\xe2\x89\xa1 posts: " + t + " -- reply below\n");
    ok("armor_" + n + "_wrapped", "lines of 50 characters ended by LF, as a site wraps them", wrap(t, 50, "\n") + "\n");
    ok("armor_" + n + "_wrapped_crlf", "lines of 3 characters ended by CR LF: the marker broken too",
       wrap(t, 3, "\r\n") + "\r\n");
    // Cut short by a site, anywhere: cut, never tampered.
    std::size_t mid = char_start(t, t.size() / 2);
    bad("armor_" + n + "_cut_ellipsis", "truncated", n + " armor: cut short at byte " + std::to_string(mid),
        "cut in the middle, with an ellipsis and a link after it", t.substr(0, mid) + "\xe2\x80\xa6 Show more\n");
    std::size_t last = t.size() - std::string(a.utf8(a.main_size())).size();
    bad("armor_" + n + "_cut_before_final", "truncated", n + " armor: cut short at byte " + std::to_string(last),
        "all but the final character", t.substr(0, last) + "\n");
    bad("armor_" + n + "_cut_in_character", "truncated", n + " armor: cut short at byte " + std::to_string(mid),
        "cut inside a character's bytes, at the end of the text", t.substr(0, mid + 1));
    // A character outside the alphabet, in place of one.
    std::size_t at = char_start(t, marker + 30);
    std::size_t len = char_start(t, at + 1) - at;
    bad("armor_" + n + "_foreign_character", "armor", "U+0021 at byte " + std::to_string(at) + " is not in its alphabet",
        "a character replaced by '!'", t.substr(0, at) + "!" + t.substr(at + len) + "\n");
    bad("armor_" + n + "_not_utf8", "armor", "byte " + std::to_string(at) + " is not UTF-8 (0xff)",
        "a character replaced by the byte 0xff", t.substr(0, at) + "\xff" + t.substr(at + len) + "\n");
    // The end as no writer writes it.
    std::string noncanonical = t.substr(0, last) + std::string(a.utf8(a.main_size() + 1)) + "\n";
    bad("armor_" + n + "_noncanonical_final", "armor", "not canonical: bits past its last byte",
        "a final character of one bit where the writer wrote one of none", noncanonical);
  }
  // A decomposed (NFD) copy: each Hangul syllable as its jamo, as NFD writes it.
  std::string d = armor_text(m, ArmorForm::dense), nfd;
  for (std::size_t i = 0; i < d.size();) {
    unsigned char b = static_cast<unsigned char>(d[i]);
    std::size_t len = b < 0x80 ? 1 : b < 0xe0 ? 2 : 3;
    char32_t c = len == 3 ? (b & 0x0fu) << 12 | (d[i + 1] & 0x3fu) << 6 | (d[i + 2] & 0x3fu) : 0;
    if (c >= 0xac00 && c <= 0xd7a3) {
      char32_t s = c - 0xac00, jamo[3] = {0x1100 + s / 588, 0x1161 + s % 588 / 28, 0x11a7 + s % 28};
      for (int j = 0; j < (s % 28 ? 3 : 2); ++j) {
        nfd += static_cast<char>(0xe0 | jamo[j] >> 12);
        nfd += static_cast<char>(0x80 | (jamo[j] >> 6 & 0x3f));
        nfd += static_cast<char>(0x80 | (jamo[j] & 0x3f));
      }
    } else {
      nfd += d.substr(i, len);
    }
    i += len;
  }
  bad("armor_dense_decomposed", "armor", "decomposed by Unicode normalization (NFD or NFKD)",
      "its Hangul syllables decomposed into their jamo, as NFD does", nfd + "\n");
  // An x token whose last main character carries padding bits that are not zero.
  std::vector<std::uint8_t> two = {0xff, 0x01};  // 16 bits: 11, then 5 more and 6 of padding
  std::string x2 = armor_text(two, ArmorForm::x);
  const DenseAlphabet& xa = x_alphabet();
  std::string padded = std::string(armor_x_marker) + std::string(xa.utf8(0x7f8)) + std::string(xa.utf8(0x041)) +
                       std::string(xa.utf8(xa.main_size()));
  if (x2 == padded) throw std::logic_error("armor_x_noncanonical_padding: the padding is zero");
  bad("armor_x_noncanonical_padding", "armor", "not canonical: bits past its last byte",
      "two bytes whose last character's padding is 000001, not zero", padded + "\n");
}

// --- vault -------------------------------------------------------------------

void vault(const Identity& alice, const Identity& bob, const Identity& mallory) {
  SecretBytes vk(32);
  random_bytes(vk.span());
  LocalVaultKeys keys(SecretBytes::copy_of(vk.span()));
  const std::string name = "db/prod/password";
  std::vector<std::pair<std::string, std::string>> fields = {
      {"vault-key", b64url(vk.span())}, {"name", name}, {"version", "1"}};

  auto entry = [&](std::span<const std::uint8_t> plain, bool tombstone = false,
                   std::uint64_t version = 1) {
    EntryHeader h;
    h.tombstone = tombstone;
    h.version = version;
    h.time = 1795000000;
    random_bytes(h.nonce);
    MemoryOutput out;
    MemoryInput in(plain);
    seal_entry(out, keys, h, name, in);
    return out.data;
  };
  auto ok = [&](const std::string& n, const std::vector<std::uint8_t>& plain, const std::string& comment,
                bool tombstone = false) {
    Case c{n, "ok", "vault-entry", "", comment, fields, entry(plain, tombstone)};
    c.fields.emplace_back("result", summary(plain, tombstone ? " tombstone" : ""));
    emit(c);
  };
  ok("vault_entry_empty", {}, "an empty secret");
  ok("vault_entry_small", text_bytes("hunter2\n"), "a small secret");
  ok("vault_entry_65536", pattern(65536), "exactly one chunk");
  ok("vault_entry_65537", pattern(65537), "one chunk and one byte");
  ok("vault_entry_tombstone", {}, "a soft delete", true);

  auto e = entry(text_bytes("hunter2\n"));
  auto tweak = [](std::vector<std::uint8_t> v, std::size_t at, std::uint8_t x) {
    v[at] ^= x;
    return v;
  };
  auto cut = [](const std::vector<std::uint8_t>& v, std::size_t n) {
    return std::vector<std::uint8_t>(v.begin(), v.begin() + static_cast<long>(n));
  };
  const std::size_t head = entry_header_bytes + name_block_bytes;
  emit({"vault_entry_bad_magic", "header", "vault-entry", "not a grypt vault entry", "magic changed",
        fields, tweak(e, 0, 0x01)});
  emit({"vault_entry_reserved_flag", "header", "vault-entry", "reserved bits",
        "a reserved flag bit set", fields, tweak(e, 8, 0x02)});
  Case mismatch{"vault_entry_version_mismatch", "header", "vault-entry", "does not match its file name",
                "version 1 stored under the file name of version 2",
                {{"vault-key", b64url(vk.span())}, {"name", name}, {"version", "2"}}, e};
  emit(mismatch);
  emit({"vault_entry_truncated_header", "truncated", "vault-entry", "header is incomplete",
        "cut inside the header", fields, cut(e, 30)});
  emit({"vault_entry_truncated_name_block", "truncated", "vault-entry", "name block is incomplete",
        "cut inside the name block", fields, cut(e, entry_header_bytes + 100)});
  emit({"vault_entry_truncated_no_payload", "truncated", "vault-entry", "payload is missing",
        "header and name block alone", fields, cut(e, head)});
  auto two = entry(pattern(65536 + 10));
  emit({"vault_entry_truncated_chunk_boundary", "truncated", "vault-entry", "without its final chunk",
        "a 2-chunk entry cut after chunk 1", fields, cut(two, head + sealed_chunk_bytes)});
  emit({"vault_entry_tampered_time", "auth", "vault-entry", "header or name was modified",
        "the time changed: the name block no longer opens", fields, tweak(e, 27, 0x01)});
  emit({"vault_entry_tampered_name_block", "auth", "vault-entry", "header or name was modified",
        "a name block bit flipped", fields, tweak(e, entry_header_bytes + 5, 0x01)});
  emit({"vault_entry_tampered_payload", "auth", "vault-entry", "authentication failed at chunk 1",
        "a payload bit flipped", fields, tweak(e, head + 2, 0x01)});
  Case renamed{"vault_entry_wrong_name", "wrong name", "vault-entry", "moved or renamed",
               "the file of db/prod/password read as db/prod/other",
               {{"vault-key", b64url(vk.span())}, {"name", "db/prod/other"}, {"version", "1"}}, e};
  emit(renamed);
  auto full = entry(pattern(65536));
  full.insert(full.end(), 50, 0x55);
  emit({"vault_entry_trailing_data", "trailing data", "vault-entry", "trailing data",
        "50 bytes after a complete entry", fields, full});
  {
  SeparateStream review(2'000'000);
  // Name blocks a key holder could write but no writer does.
  auto with_block = [&](std::span<const std::uint8_t, 256> block) {
    EntryHeader h;
    h.version = 1;
    h.time = 1795000000;
    random_bytes(h.nonce);
    auto hb = h.encode();
    std::vector<std::uint8_t> v(hb.begin(), hb.end());
    SecretBytes nk = keys.name_key(hb);
    std::array<std::uint8_t, name_block_bytes> sealed;
    const std::array<std::uint8_t, gcm_nonce_bytes> zero{};
    AesGcm(nk.span()).seal(zero, block, sealed.data(), sealed.data() + 256);
    v.insert(v.end(), sealed.begin(), sealed.end());
    v.insert(v.end(), e.begin() + head, e.end());
    return v;
  };
  std::array<std::uint8_t, 256> block{};
  emit({"vault_entry_name_length_zero", "header", "vault-entry", "bad name block",
        "a name block of length 0", fields, with_block(block)});
  block[0] = static_cast<std::uint8_t>(name.size());
  std::memcpy(&block[1], name.data(), name.size());
  block[200] = 1;
  emit({"vault_entry_name_padding", "header", "vault-entry", "bad name block",
        "non-zero padding after the name", fields, with_block(block)});
  block[200] = 0;
  block[3] = 0x1b;  // ESC inside the name
  emit({"vault_entry_name_control", "header", "vault-entry", "invalid name",
        "a control character in the stored name", fields, with_block(block)});
  emit({"vault_entry_tombstone_with_data", "header", "vault-entry", "tombstone that carries data",
        "a tombstone whose payload is not empty", fields, entry(text_bytes("left over"), true)});
  // The first chunk verifies and is not an empty final chunk: "header",
  // whatever a later chunk holds (grypt.5, Entry file, checks 8 to 10).
  auto long_tombstone = entry(pattern(65537), true);
  long_tombstone[long_tombstone.size() - 5] ^= 0x01;
  emit({"vault_entry_tombstone_long_later_chunk_bad", "header", "vault-entry",
        "tombstone that carries data",
        "a tombstone of two chunks whose second chunk is modified: header, not auth", fields,
        long_tombstone});
  for (int at = 9; at < 16; ++at)
    emit({"vault_entry_reserved_byte_" + std::to_string(at), "header", "vault-entry",
          "reserved bits", "reserved header byte " + std::to_string(at) + " set", fields,
          tweak(e, static_cast<std::size_t>(at), 0x01)});
  auto big = e;
  std::memset(big.data() + 16, 0xff, 8);
  emit({"vault_entry_version_out_of_range", "header", "vault-entry", "version 18446744073709551615",
        "version number 2^64 - 1", fields, big});
  }
  SecretBytes other(32);
  random_bytes(other.span());
  emit({"vault_entry_other_vault", "auth", "vault-entry", "header or name was modified",
        "an entry of another vault",
        {{"vault-key", b64url(other.span())}, {"name", name}, {"version", "1"}}, e});

  // vault.key
  auto kf = encode_vault_key_file(vk, {alice.public_key(), bob.public_key()});
  std::vector<std::pair<std::string, std::string>> as_alice = {{"identity-secret", b64url(alice.secret().span())}};
  Case kok{"vault_key_ok", "ok", "vault-key", "", "sealed to alice and bob, opened by alice", as_alice, kf};
  kok.fields.emplace_back("result", "vault-key=" + b64url(vk.span()));
  emit(kok);
  Case kbob{"vault_key_second_recipient", "ok", "vault-key", "", "opened by bob",
            {{"identity-secret", b64url(bob.secret().span())}}, kf};
  kbob.fields.emplace_back("result", "vault-key=" + b64url(vk.span()));
  emit(kbob);
  emit({"vault_key_not_recipient", "wrong key", "vault-key", "is not a recipient",
        "opened by someone not on the list", {{"identity-secret", b64url(mallory.secret().span())}}, kf});
  emit({"vault_key_tampered_box", "wrong key", "vault-key", "does not open with this identity",
        "alice's sealed box modified", as_alice, tweak(kf, 10 + 64 + 40, 0x01)});
  emit({"vault_key_tampered_mac", "auth", "vault-key", "MAC does not verify", "the MAC modified",
        as_alice, tweak(kf, kf.size() - 1, 0x01)});
  auto swapped = kf;
  std::memcpy(swapped.data() + 10 + 144, mallory.public_key().bytes().data(), 64);
  emit({"vault_key_recipient_swapped", "auth", "vault-key", "MAC does not verify",
        "bob's public key replaced by another", as_alice, swapped});
  emit({"vault_key_bad_magic", "header", "vault-key", "not a grypt vault key file", "magic changed",
        as_alice, tweak(kf, 0, 0x01)});
  emit({"vault_key_truncated", "header", "vault-key", "size does not match", "the MAC cut off",
        as_alice, cut(kf, kf.size() - 32)});
  SeparateStream review(3'000'000);
  auto longer = kf;
  longer.push_back(0);
  emit({"vault_key_one_byte_long", "header", "vault-key", "size does not match",
        "one byte more than its record count says", as_alice, longer});
  auto bad_point = kf;
  std::memset(bad_point.data() + 10 + 144, 0xff, 31);
  bad_point[10 + 144 + 31] = 0x7f;
  emit({"vault_key_invalid_recipient", "auth", "vault-key", "MAC does not verify",
        "bob's Ed25519 key replaced by a non-point: another's record is covered by the MAC",
        as_alice, bad_point});
  auto twice = encode_vault_key_file(vk, {alice.public_key(), bob.public_key()});
  std::memcpy(twice.data() + 10 + 144, alice.public_key().bytes().data(), 64);
  emit({"vault_key_duplicate_recipient", "header", "vault-key", "listed twice",
        "alice's record twice", as_alice, twice});
}

// --- identities and public keys ----------------------------------------------

void identities(const Identity& alice) {
  const Argon2Params small{1, 64, 1};
  SecretBytes pass = SecretBytes::copy_of(as_bytes("correct horse"));
  auto f = encode_identity(alice, &pass, small);
  std::vector<std::pair<std::string, std::string>> fields = {{"passphrase", "correct horse"}};
  std::string result = "public=" + alice.public_key().to_string();
  auto tweak = [](std::vector<std::uint8_t> v, std::size_t at, std::uint8_t x) {
    v[at] ^= x;
    return v;
  };
  Case ok{"identity_ok", "ok", "identity", "", "passphrase-protected (Argon2id t=1 m=64 p=1)", fields, f};
  ok.fields.emplace_back("result", result);
  emit(ok);
  auto plain = encode_identity(alice, nullptr);
  Case okp{"identity_unencrypted", "ok", "identity", "", "no passphrase", fields, plain};
  okp.fields.emplace_back("result", result);
  emit(okp);
  emit({"identity_wrong_passphrase", "wrong key", "identity", "wrong passphrase", "another passphrase",
        {{"passphrase", "correct horse battery"}}, f});
  emit({"identity_tampered_secret", "wrong key", "identity", "wrong passphrase",
        "a secret bit flipped: the tag fails as for a wrong passphrase", fields, tweak(f, 120, 0x01)});
  emit({"identity_tampered_public", "wrong key", "identity", "wrong passphrase",
        "an X25519 public key bit flipped: it is authenticated data", fields, tweak(f, 90, 0x01)});
  emit({"identity_truncated", "truncated", "identity", "truncated", "the tag cut off", fields,
        std::vector<std::uint8_t>(f.begin(), f.end() - 16)});
  auto longer = f;
  longer.push_back(0);
  emit({"identity_trailing_byte", "header", "identity", "194 bytes, expected 193", "one byte appended",
        fields, longer});
  emit({"identity_bad_magic", "header", "identity", "is not a grypt identity", "magic changed", fields,
        tweak(f, 0, 0x01)});
  emit({"identity_bad_version", "header", "identity", "unknown version (2)", "format version 2",
        fields, tweak(f, 7, 0x03)});
  emit({"identity_bad_params", "header", "identity", "t=0", "t = 0", fields,
        tweak(f, 12, 0x01)});
  auto with_params = [&](std::uint32_t t, std::uint32_t m, std::uint32_t p) {
    auto v = f;
    put_be32(&v[9], t);
    put_be32(&v[13], m);
    put_be32(&v[17], p);
    return v;
  };
  emit({"identity_t_over_limit", "header", "identity", "t=17 is above the limit of 16 passes",
        "t = 17, one over the limit", fields, with_params(17, 64, 1)});
  emit({"identity_m_over_limit", "header", "identity", "above the limit of 4 GiB",
        "m = 4 GiB + 1 KiB", fields, with_params(1, 4194305, 1)});
  emit({"identity_p_over_limit", "header", "identity", "p=65 is above the limit of 64 lanes",
        "p = 65", fields, with_params(1, 1024, 65)});
  emit({"identity_work_over_limit", "header", "identity", "work limit",
        "t = 3 with m = 4 GiB: over t x m = 8 GiB", fields, with_params(3, 4194304, 1)});
  {
  SeparateStream review(4'000'000);
  auto t16 = encode_identity(alice, &pass, {16, 64, 1});
  Case ok16{"identity_t_at_limit", "ok", "identity", "", "t = 16, the most allowed", fields, t16};
  ok16.fields.emplace_back("result", result);
  emit(ok16);
  auto bad_pub = f;
  std::memset(bad_pub.data() + 49, 0xff, 31);
  bad_pub[49 + 31] = 0x7f;
  emit({"identity_invalid_public_key", "header", "identity", "not a valid point",
        "the stored Ed25519 key is not a point: damaged, refused before the passphrase", fields,
        bad_pub});
  }
  emit({"identity_unencrypted_mismatch", "header", "identity", "do not match its public keys",
        "unencrypted, a secret bit flipped", fields, tweak(plain, 115, 0x01)});

  std::string key = alice.public_key().to_string();
  Case pk{"pubkey_ok", "ok", "pubkey", "", "a key string", {}, text_bytes(key), true};
  pk.fields.emplace_back("result", "public=" + key);
  emit(pk);
  emit({"pubkey_bad_prefix", "armor", "pubkey", "must start with grypt-pk:", "another prefix", {},
        text_bytes("grypt-pub:" + key.substr(9)), true});
  std::string flipped = key;
  flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
  emit({"pubkey_bad_checksum", "armor", "pubkey", "checksum mismatch", "one character changed", {},
        text_bytes(flipped), true});
  emit({"pubkey_truncated", "armor", "pubkey", "66 bytes, not 68", "three characters cut off", {},
        text_bytes(key.substr(0, key.size() - 3)), true});
  std::string high = key;
  high[50] = static_cast<char>(0xdb);  // libsodium 1.0.18 alone reads it as '_' or '/'
  emit({"pubkey_high_byte", "armor", "pubkey", "not canonical base64url",
        "a byte above 0x7f inside the base64url (found by fuzz/public_key)", {},
        text_bytes(high), true});
  std::string noncanon = key;
  noncanon.back() = 'B';  // 91 characters: the last one carries 2 zero bits
  if (noncanon == key) noncanon.back() = 'C';
  emit({"pubkey_non_canonical", "armor", "pubkey", "not canonical", "non-zero bits after the end",
        {}, text_bytes(noncanon), true});
  // A checksum-correct string whose Ed25519 half is not a curve point.
  std::array<std::uint8_t, 68> raw{};
  std::memset(raw.data(), 0xff, 32);
  raw[31] = 0x7f;
  std::memset(raw.data() + 32, 0x09, 32);
  std::array<std::uint8_t, 32> fp;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, fp.size());
  std::string label = "grypt fingerprint v1";
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(label.data()), label.size());
  crypto_generichash_update(&st, raw.data(), 64);
  crypto_generichash_final(&st, fp.data(), fp.size());
  std::memcpy(raw.data() + 64, fp.data(), 4);
  emit({"pubkey_invalid_point", "armor", "pubkey", "not a valid point",
        "the checksum is right but the Ed25519 key is not a point", {},
        text_bytes(std::string(key_string_prefix) + b64url(raw)), true});
}

// --- group states (group protocol version 2) -------------------------------

using StateBytes = std::array<std::uint8_t, state_bytes>;

// Signs a state's bytes as they are, for states no writer makes.
void sign_raw(StateBytes& b, const Identity& signer) {
  std::memcpy(&b[352], signer.public_key().bytes().data(), 64);
  std::vector<std::uint8_t> m;
  append(m, std::string_view("grypt state signature v2"));
  m.insert(m.end(), b.begin(), b.begin() + 416);
  Signature s = signer.sign(m);
  std::memcpy(&b[416], s.data(), 64);
}

// A group's chain as administrators' daemons make it: each commit has a
// fresh epoch key, its commitment and an ephemeral key for its boxes.
struct Chain {
  struct Draft {
    GroupState state;
    SecretBytes key;
    Roster roster;  // the roster the change makes
  };

  std::string name;
  GroupId group{};
  std::vector<GroupState> states;
  std::vector<StateBytes> bytes;
  std::vector<Roster> rosters;  // of each epoch
  std::vector<SecretBytes> keys;
  std::vector<EphemeralKey> ephemerals;

  Chain(const Identity& creator, const std::string& creator_name, const std::string& group_name)
      : name(group_name) {
    commit(draft(0, Change::create, RosterEntry{creator_name, creator.public_key(), Role::admin}), creator);
    group = group_id_of(states[0]);
  }

  // The state after epoch `after` (0: the genesis) as an administrator
  // makes it, not signed: the change made to that epoch's roster, a fresh
  // key and its commitment.
  Draft draft(std::size_t after, Change c, std::optional<RosterEntry> subject = std::nullopt) const {
    Draft d{GroupState{}, SecretBytes(32), after == 0 ? Roster{} : rosters.at(after - 1)};
    random_bytes(d.key.span());
    GroupState& s = d.state;
    const Epoch e(static_cast<std::uint32_t>(after + 1));
    s.group = after == 0 ? GroupId{} : group;
    s.epoch = e;
    s.time = 1800000000 + 3600 * static_cast<std::int64_t>(e.value());
    s.expires = s.time + 90 * 86400;
    if (after > 0) s.previous = states.at(after - 1).hash();
    s.change = c;
    s.group_name = name;
    if (subject) {
      s.subject = subject->key;
      s.subject_name = subject->name;
      s.role = subject->role;
      if (c == Change::create || c == Change::add) d.roster.add(*subject);
      if (c == Change::remove) d.roster.remove(subject->key);
      if (c == Change::promote || c == Change::demote) d.roster.set_role(subject->key, subject->role);
      if (c == Change::move) {
        d.roster.remove(d.roster.find(subject->name)->key);
        d.roster.add(*subject);
      }
    }
    s.roster = d.roster.digest();
    s.commitment = epoch_commitment(d.key.span(), s.group, e);
    return d;
  }
  const StateBytes& commit(Draft d, const Identity& signer) {
    bytes.push_back(d.state.sign(signer));
    states.push_back(d.state);
    rosters.push_back(std::move(d.roster));
    keys.push_back(std::move(d.key));
    ephemerals.push_back(EphemeralKey::generate());
    return bytes.back();
  }
  void next(const Identity& signer, Change c, std::optional<RosterEntry> subject = std::nullopt) {
    commit(draft(states.size(), c, subject), signer);
  }

  EpochBox box(std::size_t e, const PublicKey& member) const {
    return ephemerals.at(e - 1).box(member, states.at(e - 1).hash(), keys.at(e - 1).span());
  }
  EpochBox history_box(std::size_t grant, std::size_t e, const PublicKey& member) const {
    return ephemerals.at(grant - 1).box(member, states.at(grant - 1).hash(), keys.at(e - 1).span(),
                                        Epoch(static_cast<std::uint32_t>(e)));
  }
  const EphemeralPublic& ephemeral(std::size_t e) const { return ephemerals.at(e - 1).public_key(); }
};

// What a member is sent, as a state vector says it, and what it then holds.
struct States {
  const Chain& chain;
  const Identity* member;
  std::optional<GroupId> group;     // the reference's, when not the chain's
  std::optional<std::string> name;  // the same
  std::vector<std::uint8_t> data;
  std::vector<std::pair<std::string, std::string>> lines;
  std::size_t count = 0;
  std::uint32_t head = 0;
  std::vector<std::string> placed;
  std::map<std::uint32_t, std::string> keys;  // the member's, by epoch

  States(const Chain& c, const Identity* m) : chain(c), member(m) {}
  States& raw(std::span<const std::uint8_t> b) {
    data.insert(data.end(), b.begin(), b.end());
    ++count;
    return *this;
  }
  States& boxed(std::span<const std::uint8_t> b, const EphemeralPublic& eph, std::span<const std::uint8_t> box) {
    raw(b);
    lines.emplace_back("box", std::to_string(count) + " " + hex(eph) + " " + hex(box));
    return *this;
  }
  // Epoch e of the chain, with the member's box if it is in e's roster.
  States& epoch(std::size_t e, bool with_box = true) {
    const auto ev = static_cast<std::uint32_t>(e);
    bool box = with_box && member && chain.rosters.at(e - 1).find(member->public_key());
    if (box) boxed(chain.bytes.at(e - 1), chain.ephemeral(e), chain.box(e, member->public_key()));
    else raw(chain.bytes.at(e - 1));
    if (ev > head) {
      head = ev;
      placed.push_back("appended");
    } else {
      placed.push_back(box && !keys.count(ev) ? "key-added" : "held");
    }
    if (box && !keys.count(ev)) keys[ev] = hex(chain.keys.at(e - 1).span());
    return *this;
  }
  States& epochs(std::size_t from, std::size_t to) {
    for (std::size_t e = from; e <= to; ++e) epoch(e);
    return *this;
  }
  States& history_line(std::size_t grant, std::size_t e, std::span<const std::uint8_t> box) {
    lines.emplace_back("history", std::to_string(grant) + " " + std::to_string(e) + " " + hex(box));
    return *this;
  }
  States& history(std::size_t grant, std::size_t e) {
    history_line(grant, e, chain.history_box(grant, e, member->public_key()));
    const auto ev = static_cast<std::uint32_t>(e);
    if (!keys.count(ev)) keys[ev] = hex(chain.keys.at(e - 1).span());
    return *this;
  }
};

void emit_states(const std::string& name, const std::string& expect, const std::string& error,
                 const std::string& comment, const States& s) {
  Case c{name, expect, "state", error, comment, {}, s.data};
  c.fields.emplace_back("group", hex(s.group ? *s.group : s.chain.group));
  c.fields.emplace_back("name", s.name ? *s.name : s.chain.name);
  if (s.member) c.fields.emplace_back("identity-secret", b64url(s.member->secret().span()));
  c.fields.insert(c.fields.end(), s.lines.begin(), s.lines.end());
  if (expect == "ok") {
    std::string placed;
    for (const std::string& p : s.placed) placed += (placed.empty() ? "" : " ") + p;
    c.fields.emplace_back("placed", placed);
    c.fields.emplace_back("head", std::to_string(s.head) + " " + hex(s.chain.states.at(s.head - 1).hash()));
    const Roster& r = s.chain.rosters.at(s.head - 1);
    c.fields.emplace_back("roster", hex(r.digest()));
    for (const RosterEntry& e : r.entries())
      c.fields.emplace_back("roster-entry", std::string(role_name(e.role)) + " " + e.name + " " + e.key.to_string());
    for (const auto& [e, k] : s.keys) c.fields.emplace_back("held-key", std::to_string(e) + " " + k);
  }
  emit(c);
}

// The error a failing state case names: its position and the fault's text.
std::string state_error(std::size_t n, StateFault f, const std::string& why = "") {
  return "state " + std::to_string(n) + " of " + std::to_string(n) + ": " + state_fault_text(f) +
         (why.empty() ? "" : ": " + why);
}

GroupId states(const Identity& alice, const Identity& bob, const Identity& mallory) {
  const Identity carol = Identity::generate();
  const Identity bob2 = Identity::generate();  // bob's new key (epoch 9)
  // friends: every kind of change, by three administrators in turn.
  Chain f(alice, "alice", "friends");
  f.next(alice, Change::add, RosterEntry{"bob", bob.public_key(), Role::member});        // 2
  f.next(alice, Change::add, RosterEntry{"carol", carol.public_key(), Role::admin});     // 3
  f.next(carol, Change::rotate);                                                         // 4
  f.next(carol, Change::promote, RosterEntry{"bob", bob.public_key(), Role::admin});     // 5
  f.next(carol, Change::remove, RosterEntry{"carol", carol.public_key(), Role::admin});  // 6
  f.next(bob, Change::demote, RosterEntry{"bob", bob.public_key(), Role::member});       // 7
  f.next(alice, Change::grant, RosterEntry{"bob", bob.public_key(), Role::member});      // 8
  f.next(alice, Change::move, RosterEntry{"bob", bob2.public_key(), Role::member});      // 9
  // pals: another group of the same administrator.
  Chain p(alice, "alice", "pals");
  p.next(alice, Change::add, RosterEntry{"bob", bob.public_key(), Role::member});
  p.next(alice, Change::rotate);

  const std::string story =
      "friends: 1 alice creates it, 2 alice adds bob, 3 alice adds carol as admin, 4 carol rotates, "
      "5 carol promotes bob, 6 carol removes herself, 7 bob demotes himself, 8 alice grants bob, "
      "9 alice moves bob to a new key";

  // --- accepted
  emit_states("state_genesis", "ok", "", "the genesis alone, opened by its creator with her box",
              States(f, &alice).epoch(1));
  emit_states("state_genesis_no_member", "ok", "",
              "the genesis checked without a member, as the server checks it: no box",
              States(f, nullptr).epoch(1));
  emit_states("state_every_change", "ok", "", story + "; bob's view, without the key of epoch 1",
              States(f, &bob).epochs(1, 8));
  {
    States s(f, &bob);
    s.epochs(1, 8);
    for (std::size_t e = 1; e <= 7; ++e) s.history(8, e);
    emit_states("state_history_granted", "ok", "",
                "with the grant of epoch 8 alice gives bob every key she holds, 1 to 7: epoch 1's is new "
                "to him, the others he holds already (kept as they are)",
                s);
  }
  {
    States s(f, &bob2);
    s.epochs(1, 9);
    for (std::size_t e = 1; e <= 8; ++e) s.history(9, e);
    emit_states("state_move", "ok", "",
                "the new key of bob's move at epoch 9: the states from 1, its box of epoch 9 and, from the move, "
                "the keys of epochs 1 to 8 that bob could open (the grant of epoch 8 gave him them all)",
                s);
  }
  emit_states("state_removed_member", "ok", "",
              "carol's view of friends: her keys are those of epochs 3 to 5; she checks the states after "
              "her removal without a box",
              States(f, &carol).epochs(1, 8));
  emit_states("state_every_change_no_member", "ok", "", story + "; checked without a member",
              States(f, nullptr).epochs(1, 8));
  emit_states("state_replay_held", "ok", "",
              "epoch 2 again after epoch 3, the same 480 bytes: held, nothing new (a replay is no fault)",
              States(f, &bob).epochs(1, 3).epoch(2));
  emit_states("state_key_added", "ok", "",
              "epoch 2 first without bob's box, then again with it: its key is added to the state held",
              States(f, &bob).epoch(1).epoch(2, false).epoch(3).epoch(2));

  // Failing cases: the last state is refused for one reason only.
  auto fail = [&](const std::string& name, StateFault fault, const std::string& error, const std::string& comment,
                  const States& s) { emit_states(name, state_fault_name(fault), error, comment, s); };
  // Epochs 1 to `upto` of friends as bob receives them, then `b`.
  auto after = [&](std::size_t upto, std::span<const std::uint8_t> b) {
    States s(f, &bob);
    s.epochs(1, upto).raw(b);
    return s;
  };
  auto signed_by = [](Chain::Draft d, const Identity& signer) { return d.state.sign(signer); };

  // --- malformed: signed as they are, so that decoding alone refuses them
  {
    auto bad = [&](const std::string& name, const std::string& why, const std::string& comment,
                   StateBytes b, const std::function<void(StateBytes&)>& change, bool resign = true) {
      change(b);
      if (resign) sign_raw(b, alice);
      fail(name, StateFault::malformed, state_error(3, StateFault::malformed, why), comment, after(2, b));
    };
    const StateBytes rotate = signed_by(f.draft(2, Change::rotate), alice);
    const StateBytes add =
        signed_by(f.draft(2, Change::add, RosterEntry{"mallory", mallory.public_key(), Role::member}), alice);
    fail("state_malformed_short", StateFault::malformed,
         state_error(3, StateFault::malformed, "a group state is 480 bytes, not 479"),
         "the third state is 479 bytes", after(2, std::span(f.bytes[2]).first(479)));
    const std::uint8_t one = 0;
    fail("state_malformed_trailing_byte", StateFault::malformed,
         state_error(3, StateFault::malformed, "a group state is 480 bytes, not 1"),
         "one byte after two states: a third state of 1 byte", after(2, std::span(&one, 1)));
    bad("state_malformed_magic", "not a grypt group state", "the magic's first byte changed", rotate,
        [](StateBytes& b) { b[0] = 'X'; });
    bad("state_malformed_version_1", "a group state of version 1", "byte 7 is 0x01: version 1", rotate,
        [](StateBytes& b) { b[7] = 0x01; });
    bad("state_malformed_epoch_0", "a group state of epoch 0", "epoch 0", rotate,
        [](StateBytes& b) { put_be32(&b[40], 0); });
    bad("state_malformed_expires_at_time", "a group state whose times are out of range", "expires equals the time", rotate,
        [](StateBytes& b) { std::memcpy(&b[52], &b[44], 8); });
    bad("state_malformed_time_2_63", "a group state whose times are out of range", "a time of 2^63 (and no expiry)", rotate,
        [](StateBytes& b) {
          put_be64(&b[44], std::uint64_t(1) << 63);
          put_be64(&b[52], 0);
        });
    bad("state_malformed_change_0", "a group state with an unknown change 0", "change 0", rotate, [](StateBytes& b) { b[156] = 0; });
    bad("state_malformed_change_9", "a group state with an unknown change 9", "change 9", rotate, [](StateBytes& b) { b[156] = 9; });
    bad("state_malformed_rotation_role", "a rotation that names a subject", "a rotation whose role byte is 1",
        rotate, [](StateBytes& b) { b[157] = 1; });
    bad("state_malformed_rotation_key", "a rotation that names a subject",
        "a rotation with a subject key (mallory's)", rotate,
        [&](StateBytes& b) { std::memcpy(&b[158], mallory.public_key().bytes().data(), 64); });
    bad("state_malformed_rotation_name_padding", "the subject's name is not zero padded",
        "a rotation whose empty subject name has a non-zero padding byte: not canonical", rotate,
        [](StateBytes& b) { b[223 + 5] = 1; });
    bad("state_malformed_role_0", "a group state with an unknown role 0", "an addition with role 0", add,
        [](StateBytes& b) { b[157] = 0; });
    bad("state_malformed_role_3", "a group state with an unknown role 3", "an addition with role 3", add,
        [](StateBytes& b) { b[157] = 3; });
    bad("state_malformed_subject_key", "invalid public key: the X25519 key is zero", "an addition whose subject's X25519 key is zero",
        add, [](StateBytes& b) { std::memset(&b[158 + 32], 0, 32); });
    bad("state_malformed_subject_name_empty", "the subject's name: a name cannot be empty",
        "an addition with an empty subject name", add, [](StateBytes& b) { std::memset(&b[222], 0, 65); });
    bad("state_malformed_subject_name_65", "the subject's name is longer than 64 bytes",
        "an addition whose subject name length is 65", add, [](StateBytes& b) {
          b[222] = 65;
          std::memset(&b[223], 'm', 64);
        });
    bad("state_malformed_subject_name_padding", "the subject's name is not zero padded",
        "an addition with a non-zero byte after the subject name: not canonical", add,
        [](StateBytes& b) { b[223 + 40] = 'x'; });
    bad("state_malformed_subject_name_char", "the subject's name: a name is made of letters",
        "an addition whose subject name has a space", add, [](StateBytes& b) { b[223 + 3] = ' '; });
    bad("state_malformed_group_name_padding", "the group name is not zero padded",
        "a non-zero byte after the group name: not canonical", rotate, [](StateBytes& b) { b[288 + 60] = 1; });
    bad("state_malformed_group_name_empty", "the group name: a name cannot be empty",
        "a group name of length 0", rotate, [](StateBytes& b) { std::memset(&b[287], 0, 65); });
    bad("state_malformed_group_name_start", "the group name: a name starts with a letter or a digit",
        "the group name .riends", rotate, [](StateBytes& b) { b[288] = '.'; });
    bad("state_malformed_signer_key", "invalid public key: the Ed25519 key is not a valid point",
        "the signer's Ed25519 key is not a point", rotate,
        [](StateBytes& b) {
          std::memset(&b[352], 0xff, 31);
          b[352 + 31] = 0x7f;
        },
        false);
    {
      States s(f, &bob);
      s.epochs(1, 2);
      auto box = f.box(3, bob.public_key());
      s.boxed(f.bytes[2], f.ephemeral(3), std::span(box).first(47));
      fail("state_malformed_box", StateFault::malformed, state_error(3, StateFault::malformed, "a box of 47 bytes"),
           "epoch 3 with a box of 47 bytes", s);
    }
    StateBytes g = f.bytes[0];
    g[6] = 'X';
    States s(f, &alice);
    s.raw(g);
    fail("state_malformed_genesis", StateFault::malformed,
         state_error(1, StateFault::malformed, "not a grypt group state"), "the genesis with its magic changed", s);
  }

  // --- bad signature
  {
    StateBytes g = f.bytes[0];
    g[420] ^= 0x01;
    States s(f, &alice);
    s.raw(g);
    fail("state_bad_signature_genesis", StateFault::bad_signature, state_error(1, StateFault::bad_signature),
         "the genesis with a signature bit flipped", s);
    StateBytes b = f.bytes[2];
    b[470] ^= 0x80;
    fail("state_bad_signature", StateFault::bad_signature, state_error(3, StateFault::bad_signature),
         "epoch 3 with a signature bit flipped", after(2, b));
    b = f.bytes[2];
    b[51] ^= 0x01;
    fail("state_bad_signature_time", StateFault::bad_signature, state_error(3, StateFault::bad_signature),
         "epoch 3 with its time changed after signing", after(2, b));
    b = f.bytes[3];
    std::memcpy(&b[352], alice.public_key().bytes().data(), 64);
    fail("state_bad_signature_signer", StateFault::bad_signature, state_error(4, StateFault::bad_signature),
         "carol's epoch 4 naming alice, another administrator, as its signer", after(3, b));
  }

  // --- not genesis: each its own group's first state (the reference names
  // its hash), wrong in one way
  {
    auto genesis = [&](const std::string& name, const std::string& comment,
                       const std::function<void(GroupState&)>& change, const Identity& signer) {
      Chain::Draft d = f.draft(0, Change::create, RosterEntry{"alice", alice.public_key(), Role::admin});
      change(d.state);
      GroupState& st = d.state;
      Roster r;
      if (st.subject) r.add({st.subject_name, *st.subject, st.role.value_or(Role::admin)});
      st.roster = r.digest();
      auto b = st.sign(signer);
      States s(f, nullptr);
      s.group = group_id_of(st);
      s.raw(b);
      fail(name, StateFault::not_genesis, state_error(1, StateFault::not_genesis), comment, s);
    };
    genesis("state_not_genesis_signer", "a creation whose subject is bob, signed by alice",
            [&](GroupState& st) {
              st.subject = bob.public_key();
              st.subject_name = "bob";
            },
            alice);
    genesis("state_not_genesis_member", "a creation whose subject's role is member",
            [](GroupState& st) { st.role = Role::member; }, alice);
    genesis("state_not_genesis_add", "epoch 1 whose change is add", [](GroupState& st) { st.change = Change::add; },
            alice);
    genesis("state_not_genesis_group_id", "a creation naming a group id", [&](GroupState& st) { st.group = f.group; },
            alice);
    genesis("state_not_genesis_previous", "a creation naming a previous state",
            [&](GroupState& st) { st.previous = f.states[0].hash(); }, alice);
  }

  // --- other group
  {
    States s(f, &bob);
    s.raw(p.bytes[0]);
    fail("state_other_group_genesis", StateFault::other_group, state_error(1, StateFault::other_group),
         "the genesis of pals where the reference names friends", s);
    fail("state_other_group", StateFault::other_group, state_error(3, StateFault::other_group),
         "epoch 3 of pals after epochs 1 and 2 of friends (same administrator)", after(2, p.bytes[2]));
    Chain::Draft d = f.draft(2, Change::rotate);
    d.state.group = GroupId{};
    fail("state_other_group_zero_id", StateFault::other_group, state_error(3, StateFault::other_group),
         "epoch 3 with a zero group id (as in a genesis)", after(2, signed_by(std::move(d), alice)));
  }

  // --- not next
  {
    States gap(f, &bob);
    gap.epochs(1, 2).epoch(4);
    fail("state_not_next_gap", StateFault::not_next, state_error(3, StateFault::not_next),
         "epochs 1, 2 and 4: a gap", gap);
    States first(f, &bob);
    first.epoch(2);
    fail("state_not_next_no_genesis", StateFault::not_next, state_error(1, StateFault::not_next),
         "epoch 2 first: a member holding nothing takes only epoch 1", first);
    fail("state_not_next_genesis_again", StateFault::not_next, state_error(4, StateFault::not_next),
         "epochs 1 to 3 of friends, then another first state (of pals): a rollback to another history, "
         "not a fork, which only a state after the genesis proves",
         after(3, p.bytes[0]));
  }

  // --- bad previous
  {
    Chain::Draft d = f.draft(2, Change::rotate);
    d.state.previous = f.states[0].hash();
    StateBytes b = signed_by(std::move(d), alice);
    fail("state_bad_previous", StateFault::bad_previous, state_error(3, StateFault::bad_previous),
         "epoch 3 whose previous hash is that of epoch 1", after(2, b));
    fail("state_bad_previous_held_epoch", StateFault::bad_previous, state_error(4, StateFault::bad_previous),
         "after epochs 1 to 3, another epoch 3 signed by alice whose previous hash is that of epoch 1: not "
         "on the chain held, so a bad state, not a fork",
         after(3, b));
  }

  // --- not admin
  {
    fail("state_not_admin_member", StateFault::not_admin, state_error(3, StateFault::not_admin),
         "a rotation signed by bob, a member", after(2, signed_by(f.draft(2, Change::rotate), bob)));
    fail("state_not_admin_outsider", StateFault::not_admin, state_error(3, StateFault::not_admin),
         "a rotation signed by mallory, not a member", after(2, signed_by(f.draft(2, Change::rotate), mallory)));
    fail("state_not_admin_removed", StateFault::not_admin, state_error(7, StateFault::not_admin),
         "a rotation signed by carol after she removed herself at epoch 6",
         after(6, signed_by(f.draft(6, Change::rotate), carol)));
    fail("state_not_admin_demoted", StateFault::not_admin, state_error(8, StateFault::not_admin),
         "a rotation signed by bob after he demoted himself at epoch 7",
         after(7, signed_by(f.draft(7, Change::rotate), bob)));
    fail("state_not_admin_held_epoch", StateFault::not_admin, state_error(4, StateFault::not_admin),
         "after epochs 1 to 3, another epoch 3 signed by bob, a member of epoch 2: not a fork",
         after(3, signed_by(f.draft(2, Change::rotate), bob)));
  }

  // --- bad change: the change named with the previous roster's digest
  {
    auto change = [&](const std::string& name, const std::string& why, const std::string& comment, Change c,
                      RosterEntry subject) {
      Chain::Draft d = f.draft(2, Change::rotate);
      d.state.change = c;
      d.state.subject = subject.key;
      d.state.subject_name = subject.name;
      d.state.role = subject.role;
      fail(name, StateFault::bad_change, state_error(3, StateFault::bad_change, why), comment,
           after(2, signed_by(std::move(d), alice)));
    };
    change("state_bad_change_add_member", "the key is a member already, as bob", "bob added again", Change::add,
           {"bob", bob.public_key(), Role::member});
    change("state_bad_change_add_name_taken", "the name bob is taken", "mallory added under the name bob",
           Change::add, {"bob", mallory.public_key(), Role::member});
    std::array<std::uint8_t, 64> borrowed;
    std::memcpy(borrowed.data(), bob.public_key().ed25519().data(), 32);
    std::memcpy(borrowed.data() + 32, mallory.public_key().x25519().data(), 32);
    change("state_bad_change_add_signing_half", "the key's signing half is the key of bob",
           "a key made of bob's Ed25519 key and mallory's X25519 key added as bobby", Change::add,
           {"bobby", PublicKey::from_bytes(borrowed), Role::member});
    change("state_bad_change_remove_outsider", "the subject is not a member", "mallory removed", Change::remove,
           {"mallory", mallory.public_key(), Role::member});
    change("state_bad_change_remove_other_name", "the subject is bob, not robert", "bob removed as robert",
           Change::remove, {"robert", bob.public_key(), Role::member});
    change("state_bad_change_remove_other_role", "the subject's role is not admin", "bob removed as an admin",
           Change::remove, {"bob", bob.public_key(), Role::admin});
    change("state_bad_change_promote_admin", "the subject is admin, not member", "alice, an admin, promoted",
           Change::promote, {"alice", alice.public_key(), Role::admin});
    change("state_bad_change_promote_to_member", "", "bob promoted with the role member after it",
           Change::promote, {"bob", bob.public_key(), Role::member});
    change("state_bad_change_demote_member", "the subject is member, not admin", "bob, a member, demoted",
           Change::demote, {"bob", bob.public_key(), Role::member});
    change("state_bad_change_grant_outsider", "the subject is not a member", "a grant to mallory", Change::grant,
           {"mallory", mallory.public_key(), Role::member});
    change("state_bad_change_grant_other_role", "the subject's role is not admin", "a grant to bob as an admin",
           Change::grant, {"bob", bob.public_key(), Role::admin});
    change("state_bad_change_move_unknown_name", "no member is named robert", "robert moved to mallory's key",
           Change::move, {"robert", mallory.public_key(), Role::member});
    change("state_bad_change_move_other_role", "the subject's role is not admin", "bob moved as an admin",
           Change::move, {"bob", mallory.public_key(), Role::admin});
    change("state_bad_change_move_to_member", "the key is a member already, as alice", "bob moved to alice's key",
           Change::move, {"bob", alice.public_key(), Role::member});
    change("state_bad_change_move_same_half", "the new key's signing half is the key of bob",
           "bob moved to a key made of his own Ed25519 key and mallory's X25519 key", Change::move,
           {"bob", PublicKey::from_bytes(borrowed), Role::member});
    change("state_bad_change_second_create", "a second creation", "epoch 3 whose change is create", Change::create,
           {"alice", alice.public_key(), Role::admin});
  }

  // --- last admin
  fail("state_last_admin_removed", StateFault::last_admin, state_error(3, StateFault::last_admin),
       "alice, the only administrator, removes herself",
       after(2, signed_by(f.draft(2, Change::remove, RosterEntry{"alice", alice.public_key(), Role::admin}), alice)));
  fail("state_last_admin_demoted", StateFault::last_admin, state_error(3, StateFault::last_admin),
       "alice, the only administrator, demotes herself",
       after(2, signed_by(f.draft(2, Change::demote, RosterEntry{"alice", alice.public_key(), Role::member}), alice)));

  // --- roster mismatch
  {
    Chain::Draft d = f.draft(0, Change::create, RosterEntry{"alice", alice.public_key(), Role::admin});
    d.state.roster = Roster{}.digest();
    auto b = d.state.sign(alice);
    States s(f, nullptr);
    s.group = group_id_of(d.state);
    s.raw(b);
    fail("state_roster_mismatch_genesis", StateFault::roster_mismatch, state_error(1, StateFault::roster_mismatch),
         "a genesis whose roster digest is that of an empty roster", s);
    const RosterEntry carol_member{"carol", carol.public_key(), Role::member};
    d = f.draft(2, Change::add, carol_member);
    d.state.roster = f.rosters[1].digest();
    fail("state_roster_mismatch", StateFault::roster_mismatch, state_error(3, StateFault::roster_mismatch),
         "carol's addition with the digest of the roster before it", after(2, signed_by(std::move(d), alice)));
    d = f.draft(2, Change::add, carol_member);
    Roster r = f.rosters[1];
    r.add({"carol", carol.public_key(), Role::admin});
    d.state.roster = r.digest();
    fail("state_roster_mismatch_role", StateFault::roster_mismatch, state_error(3, StateFault::roster_mismatch),
         "carol added as a member with the digest of a roster where she is an admin",
         after(2, signed_by(std::move(d), alice)));
    d = f.draft(2, Change::rotate);
    r = f.rosters[1];
    r.remove(bob.public_key());
    r.add({"bobby", bob.public_key(), Role::member});
    d.state.roster = r.digest();
    fail("state_roster_mismatch_rotation", StateFault::roster_mismatch, state_error(3, StateFault::roster_mismatch),
         "a rotation whose roster digest names bob bobby", after(2, signed_by(std::move(d), alice)));
  }

  // --- renamed
  {
    States s(f, &alice);
    s.name = "pals";
    s.epoch(1);
    fail("state_renamed_genesis", StateFault::renamed, state_error(1, StateFault::renamed),
         "the genesis of friends where the reference names its group pals", s);
    Chain::Draft d = f.draft(2, Change::rotate);
    d.state.group_name = "friends2";
    fail("state_renamed", StateFault::renamed, state_error(3, StateFault::renamed), "a rotation renaming friends friends2",
         after(2, signed_by(std::move(d), alice)));
  }

  // --- forked: another state of an epoch held, signed by an administrator
  // of the epoch before on the same chain
  fail("state_forked", StateFault::forked, state_error(4, StateFault::forked),
       "after epochs 1 to 3, another epoch 3 (a rotation) signed by alice on epoch 2",
       after(3, signed_by(f.draft(2, Change::rotate), alice)));
  fail("state_forked_other_admin", StateFault::forked, state_error(6, StateFault::forked),
       "after epochs 1 to 5, another epoch 5 (a rotation) signed by alice where carol signed the one held",
       after(5, signed_by(f.draft(4, Change::rotate), alice)));

  // --- key mismatch
  {
    States moved(f, &bob);
    moved.epochs(1, 2);
    auto box2 = f.box(2, bob.public_key());
    moved.boxed(f.bytes[2], f.ephemeral(2), box2);
    fail("state_key_mismatch_other_state", StateFault::key_mismatch, state_error(3, StateFault::key_mismatch),
         "epoch 3 with bob's box (and ephemeral key) of epoch 2", moved);
    States other(f, &bob);
    other.epochs(1, 2);
    auto carols = f.box(3, carol.public_key());
    other.boxed(f.bytes[2], f.ephemeral(3), carols);
    fail("state_key_mismatch_other_member", StateFault::key_mismatch, state_error(3, StateFault::key_mismatch),
         "epoch 3 with carol's box, opened by bob", other);
    States genesis(f, &bob);
    genesis.boxed(f.bytes[0], f.ephemeral(1), f.box(1, alice.public_key()));
    fail("state_key_mismatch_genesis", StateFault::key_mismatch, state_error(1, StateFault::key_mismatch),
         "the genesis with alice's box, opened by bob", genesis);
    {
      Chain::Draft d = f.draft(2, Change::rotate);
      SecretBytes another(32);
      random_bytes(another.span());
      StateBytes b = signed_by(std::move(d), alice);
      EphemeralKey e = EphemeralKey::generate();
      StateHash h = GroupState::decode(b).hash();
      States s(f, &bob);
      s.epochs(1, 2).boxed(b, e.public_key(), e.box(bob.public_key(), h, another.span()));
      fail("state_key_mismatch_commitment", StateFault::key_mismatch, state_error(3, StateFault::key_mismatch),
           "a rotation whose box opens to another key than the one it commits to", s);
    }
    {
      Chain::Draft d = f.draft(2, Change::rotate);
      d.state.commitment = epoch_commitment(d.key.span(), GroupId{}, Epoch(3));
      StateBytes b = d.state.sign(alice);
      EphemeralKey e = EphemeralKey::generate();
      StateHash h = GroupState::decode(b).hash();
      States s(f, &bob);
      s.epochs(1, 2).boxed(b, e.public_key(), e.box(bob.public_key(), h, d.key.span()));
      fail("state_key_mismatch_zero_id_commitment", StateFault::key_mismatch,
           state_error(3, StateFault::key_mismatch),
           "a rotation committing to its key with a zero group id, as only the genesis does", s);
    }
    States history(f, &bob);
    history.epochs(1, 7);
    auto h81 = f.history_box(8, 1, bob.public_key());
    history.boxed(f.bytes[7], f.ephemeral(8), h81);
    fail("state_key_mismatch_history_box", StateFault::key_mismatch, state_error(8, StateFault::key_mismatch),
         "epoch 8 with the history box of epoch 1 it gave bob in place of his box of epoch 8", history);
    States held(f, &bob);
    held.epoch(1).epoch(2, false).epoch(3);
    held.boxed(f.bytes[1], f.ephemeral(3), f.box(3, bob.public_key()));
    fail("state_key_mismatch_held", StateFault::key_mismatch, state_error(4, StateFault::key_mismatch),
         "epoch 2, held without its key, sent again with bob's box of epoch 3", held);
  }

  // --- history boxes that do not open or do not match
  {
    auto hist = [&](const std::string& name, const std::string& error, const std::string& comment,
                    std::size_t grant, std::size_t e, std::span<const std::uint8_t> box, std::size_t upto = 8) {
      States s(f, &bob);
      s.epochs(1, upto).history_line(grant, e, box);
      fail(name, StateFault::key_mismatch, error, comment, s);
    };
    auto text = [](std::size_t e, std::size_t grant) {
      return "history 1 of 1: the history box of epoch " + std::to_string(e) + " given at epoch " +
             std::to_string(grant) + " does not open or its key does not match";
    };
    auto h81 = f.history_box(8, 1, bob.public_key());
    hist("state_history_other_epoch", text(2, 8), "the history box of epoch 1 named as epoch 2's", 8, 2, h81);
    hist("state_history_other_grant", text(1, 7), "the history box given at epoch 8 named as given at 7", 7, 1, h81);
    hist("state_history_not_before", text(8, 8), "a history box of epoch 8 given at epoch 8", 8, 8,
         f.history_box(8, 8, bob.public_key()));
    hist("state_history_epoch_box", text(1, 8), "bob's box of epoch 8 named as a history box of epoch 1", 8, 1,
         f.box(8, bob.public_key()));
    auto wrong = f.ephemerals[7].box(bob.public_key(), f.states[7].hash(), f.keys[1].span(), Epoch(1));
    hist("state_history_wrong_key", text(1, 8),
         "a history box of epoch 1 that opens to the key of epoch 2: it does not match epoch 1's commitment", 8, 1,
         wrong);
    hist("state_history_grant_not_held", text(1, 8), "the history box of epoch 1 given at epoch 8, before epoch 8",
         8, 1, h81, 7);
    States s(f, &bob);
    s.epochs(1, 8).history_line(8, 1, std::span(h81).first(47));
    fail("state_history_malformed", StateFault::malformed, "history 1 of 1: a box of 47 bytes",
         "a history box of 47 bytes", s);
  }
  return f.group;
}

// --- references ----------------------------------------------------------------

// A reference's bytes as they are, with the checksum of `label`: for the
// ones no writer makes.
std::string reference_text(std::string_view prefix, std::string_view label, std::vector<std::uint8_t> b) {
  auto sum = Blake(label).add(b).done();
  b.insert(b.end(), sum.begin(), sum.begin() + 4);
  return std::string(prefix) + b64url(b);
}

struct RawReference {
  std::uint8_t version = 2;
  std::array<std::uint8_t, 64> server{};
  std::optional<GroupId> group;  // none: a server reference
  std::vector<Endpoint> endpoints;
  std::string name;
  std::vector<std::uint8_t> extra;  // after the last field, before the checksum

  std::vector<std::uint8_t> body() const {
    std::vector<std::uint8_t> b{version};
    b.insert(b.end(), server.begin(), server.end());
    if (group) b.insert(b.end(), group->begin(), group->end());
    b.push_back(static_cast<std::uint8_t>(endpoints.size()));
    for (const Endpoint& e : endpoints) {
      b.push_back(static_cast<std::uint8_t>(e.port >> 8));
      b.push_back(static_cast<std::uint8_t>(e.port));
      b.push_back(static_cast<std::uint8_t>(e.host.size()));
      append(b, e.host);
    }
    if (group) {
      b.push_back(static_cast<std::uint8_t>(name.size()));
      append(b, name);
    }
    b.insert(b.end(), extra.begin(), extra.end());
    return b;
  }
  std::string text() const {
    return group ? reference_text("grypt-ref:", "grypt reference v2", body())
                 : reference_text("grypt-srv:", "grypt server reference v2", body());
  }
};

void references(const GroupId& group) {
  const Identity server = Identity::generate();
  const PublicKey key = server.public_key();
  const std::vector<Endpoint> one = {{"grypt.example.org", 4433}};

  auto ok = [&](const std::string& name, const std::string& comment, const std::string& text) {
    Case c{name, "ok", "reference", "", comment, {}, text_bytes(text), true};
    bool is_group = text.rfind("grypt-ref:", 0) == 0;
    std::vector<Endpoint> eps;
    c.fields.emplace_back("kind", is_group ? "group" : "server");
    if (is_group) {
      GroupReference g = GroupReference::parse(text);
      c.fields.emplace_back("server-key", g.server.to_string());
      c.fields.emplace_back("group-id", hex(g.group));
      c.fields.emplace_back("group-name", g.name);
      eps = g.endpoints;
    } else {
      ServerReference s = ServerReference::parse(text);
      c.fields.emplace_back("server-key", s.server.to_string());
      eps = s.endpoints;
    }
    for (const Endpoint& e : eps) c.fields.emplace_back("endpoint", e.host + " " + std::to_string(e.port));
    emit(c);
  };
  auto bad = [&](const std::string& name, const std::string& error, const std::string& comment,
                 const std::string& text) {
    emit({name, "armor", "reference", error, comment, {}, text_bytes(text), true});
  };

  // Written by the writers, then read back for the expected fields; the
  // generator's own bytes must give the same text.
  GroupReference g{key, group, one, "friends"};
  RawReference raw;
  std::memcpy(raw.server.data(), key.bytes().data(), 64);
  raw.group = group;
  raw.endpoints = one;
  raw.name = "friends";
  if (raw.text() != g.to_string()) throw std::runtime_error("reference: the raw bytes differ from the writer's");
  ok("reference_group", "the reference to friends (the group of the state vectors), one endpoint", g.to_string());
  ok("reference_server", "a server reference, one endpoint", ServerReference{key, one}.to_string());
  const std::vector<Endpoint> eight = {{"grypt.example.org", 4433}, {"192.0.2.7", 443},
                                       {"2001:db8::7", 4433},       {"grypt-2.example.net", 1},
                                       {"x", 65535},                {"10.0.0.1", 8443},
                                       {"::1", 4433},               {"relay.example", 4434}};
  ok("reference_group_8_endpoints", "eight endpoints: names, IPv4 and IPv6 addresses, ports 1 and 65535",
     GroupReference{key, group, eight, "friends"}.to_string());
  ok("reference_server_8_endpoints", "a server reference with eight endpoints",
     ServerReference{key, eight}.to_string());
  std::string host253;
  while (host253.size() < 253) host253 += host253.size() % 10 == 9 ? '.' : static_cast<char>('a' + host253.size() % 26);
  ok("reference_host_253", "a host of 253 characters, the most",
     GroupReference{key, group, {{host253, 4433}}, "friends"}.to_string());
  std::string name64 = "f";
  while (name64.size() < 64) name64 += "riends-."[name64.size() % 8];
  ok("reference_name_64", "a group name of 64 characters, the most",
     GroupReference{key, group, one, name64}.to_string());

  std::string text = g.to_string();
  std::string flipped = text;
  flipped[40] = flipped[40] == 'A' ? 'B' : 'A';
  bad("reference_bad_checksum", "checksum mismatch", "one character changed", flipped);
  auto with = [&](const std::function<void(RawReference&)>& change) {
    RawReference r = raw;
    change(r);
    return r.text();
  };
  bad("reference_version_3", "version 3 (this grypt reads version 2)", "version byte 3, with a right checksum",
      with([](RawReference& r) { r.version = 3; }));
  bad("reference_version_1", "version 1 (this grypt reads version 2)", "version byte 1, with a right checksum",
      with([](RawReference& r) { r.version = 1; }));
  bad("reference_host_254", "the host: a host is 1 to 253 characters", "a host of 254 characters",
      with([&](RawReference& r) { r.endpoints[0].host = host253 + "a"; }));
  bad("reference_host_empty", "the host: a host is 1 to 253 characters", "a host of 0 characters",
      with([](RawReference& r) { r.endpoints[0].host = ""; }));
  bad("reference_host_character", "the host: a host is a DNS name or an IP address",
      "a host with an underscore", with([](RawReference& r) { r.endpoints[0].host = "grypt_1.example.org"; }));
  bad("reference_9_endpoints", "it names 9 endpoints, not 1 to 8", "nine endpoints",
      with([&](RawReference& r) {
        r.endpoints = eight;
        r.endpoints.push_back({"grypt.example.org", 4435});
      }));
  bad("reference_0_endpoints", "it names 0 endpoints, not 1 to 8", "no endpoint",
      with([](RawReference& r) { r.endpoints.clear(); }));
  bad("reference_port_0", "port 0", "port 0", with([](RawReference& r) { r.endpoints[0].port = 0; }));
  bad("reference_zero_group_id", "a group id of zeros", "the group id is 32 zero bytes (as in a genesis)",
      with([](RawReference& r) { r.group = GroupId{}; }));
  bad("reference_bad_name", "the group name: a name starts with a letter or a digit", "the group name -friends",
      with([](RawReference& r) { r.name = "-friends"; }));
  bad("reference_name_empty", "the group name: a name cannot be empty", "a group name of length 0",
      with([](RawReference& r) { r.name = ""; }));
  bad("reference_name_65", "the group name: a name is at most 64 characters", "a group name of 65 characters",
      with([&](RawReference& r) { r.name = name64 + "s"; }));
  bad("reference_trailing_bytes", "its lengths do not add up", "one byte after the group name, before the checksum",
      with([](RawReference& r) { r.extra = {0}; }));
  bad("reference_server_trailing_bytes", "its lengths do not add up",
      "a server reference with two bytes after its endpoints", with([](RawReference& r) {
        r.group.reset();
        r.extra = {0, 0};
      }));
  bad("reference_name_length_over", "its lengths do not add up", "a group name length of 8 with 7 bytes of name",
      [&] {
        std::vector<std::uint8_t> b = raw.body();
        b[b.size() - 8] = 8;
        return reference_text("grypt-ref:", "grypt reference v2", b);
      }());
  bad("reference_group_as_server", "invalid server reference: checksum mismatch",
      "a group reference's bytes under grypt-srv: the checksums' labels differ", "grypt-srv:" + text.substr(10));
  bad("reference_server_as_group", "invalid group reference: checksum mismatch",
      "a server reference's bytes under grypt-ref:",
      "grypt-ref:" + ServerReference{key, one}.to_string().substr(10));
  bad("reference_bad_prefix", "must start with grypt-ref:", "the prefix grypt-rf:", "grypt-rf:" + text.substr(10));
  std::string noncanon = text;
  noncanon.back() = noncanon.back() == 'B' ? 'C' : 'B';
  std::vector<std::uint8_t> decoded;
  if (base64_try_decode(noncanon.substr(10), Base64::url_unpadded, decoded))
    throw std::runtime_error("reference: the non-canonical text decodes");
  bad("reference_not_canonical", "not canonical base64url", "non-zero bits after the end of the base64url",
      noncanon);
  bad("reference_too_short", "too short", "four bytes: a checksum alone",
      "grypt-ref:" + b64url(std::vector<std::uint8_t>{2, 0, 0, 0}));
  bad("reference_invalid_server_key", "the server key: invalid public key: the Ed25519 key is not a valid point",
      "the server's Ed25519 key is not a point", with([](RawReference& r) {
        std::memset(r.server.data(), 0xff, 31);
        r.server[31] = 0x7f;
      }));
}

// --- join requests -------------------------------------------------------------

// A join request as its bytes are written (JOIN REQUESTS); with other
// magic and label, a leave request (LEAVE REQUESTS).
std::vector<std::uint8_t> join_request(const GroupId& group, std::uint64_t time, std::span<const std::uint8_t> key,
                                       std::string_view note, const Identity& signer,
                                       std::string_view magic = std::string_view("GRYPTJR\x02", 8),
                                       std::string_view label = "grypt join request v2") {
  std::vector<std::uint8_t> b;
  append(b, magic);
  append(b, group);
  std::uint8_t t[8];
  put_be64(t, time);
  append(b, t);
  append(b, key);
  b.push_back(static_cast<std::uint8_t>(note.size()));
  append(b, note);
  std::vector<std::uint8_t> m;
  append(m, label);
  append(m, b);
  append(b, signer.sign(m));
  return b;
}

// --- commits: what a server answers an administrator (COMMITS) ---------------

EpochBox filled_box(std::uint8_t b) {
  EpochBox x{};
  x.fill(b);
  return x;
}

// The commit of chain epoch e with n boxes (filled 1, 2, ...) and history
// boxes of the given epochs.
proto::Commit commit_frame(const TestChain& c, std::size_t e, std::size_t n,
                           const std::vector<std::uint32_t>& history = {}) {
  const StateRecord& r = c.record(e);
  proto::Commit out{e == 1 ? "" : c.name, r.state, r.ephemeral, {}, {}, false, {}};
  for (std::size_t i = 0; i < n; ++i) out.boxes.push_back(filled_box(static_cast<std::uint8_t>(i + 1)));
  for (std::uint32_t h : history) out.history.push_back({Epoch(h), filled_box(0xee)});
  return out;
}

struct CommitCase {
  const TestChain& chain;
  std::size_t held;  // the chain's epochs 1 to held, held by the server
  std::vector<const Identity*> creators;
  proto::Commit commit;
};

void emit_commit(const std::string& name, const std::string& expect, const std::string& error,
                 const std::string& comment, const CommitCase& k) {
  auto body = proto::encode(proto::FromMember{k.commit});
  Case c{name, expect, "commit", error, comment, {}, body, true};
  for (std::size_t e = 1; e <= k.held; ++e) c.fields.emplace_back("held", hex(k.chain.bytes.at(e - 1)));
  for (const Identity* id : k.creators) c.fields.emplace_back("creator", id->public_key().to_string());
  if (expect == "ok") {
    // What the server stores, from the chain's own model: the new head,
    // and a box for each member of its roster in key order.
    for (const auto& r : k.commit.run) {
      GroupState rs = GroupState::decode(r);
      c.fields.emplace_back("run", rs.epoch.to_string() + " " + hex(rs.hash()));
    }
    GroupState s = GroupState::decode(k.commit.state);
    c.fields.emplace_back("head", s.epoch.to_string() + " " + hex(s.hash()));
    for (const RosterEntry& e : k.chain.roster.entries()) c.fields.emplace_back("box-for", e.key.to_string());
    for (const proto::HistoryBox& h : k.commit.history)
      c.fields.emplace_back("history-for", s.subject->to_string() + " " + h.epoch.to_string());
  }
  emit(c);
}

void commits() {
  // friends: created by its admin; alice added at epoch 2 (with her
  // boxes of the past epochs in the history cases).
  TestChain f;
  Identity mallory = Identity::generate();
  emit_commit("commit_create", "ok", "", "the genesis of friends, by a key the server lets create groups",
              {f, 0, {&f.admin}, commit_frame(f, 1, 1)});
  emit_commit("commit_create_not_creator", "not-admin", "this server does not let that key create groups",
              "the genesis of friends, by a key the server does not let create groups",
              {f, 0, {&mallory}, commit_frame(f, 1, 1)});
  emit_commit("commit_create_two_boxes", "bad-boxes", "a genesis has one box, its creator's",
              "a genesis with two boxes", {f, 0, {&f.admin}, commit_frame(f, 1, 2)});
  emit_commit("commit_create_history", "bad-boxes", "a genesis has one box, its creator's",
              "a genesis with a history box", {f, 0, {&f.admin}, commit_frame(f, 1, 1, {1})});
  {
    TestChain other;  // another friends, of another admin: the name is taken
    emit_commit("commit_create_name_taken", "name-taken", "a group of that name exists",
                "the genesis of a second group named friends", {f, 1, {&other.admin}, commit_frame(other, 1, 1)});
  }
  f.add_alice();  // epoch 2
  {
    proto::Commit c = commit_frame(f, 2, 2);
    c.group = "";
    emit_commit("commit_create_not_genesis", "bad-state", state_fault_text(StateFault::not_genesis),
                "epoch 2 sent as a create", {f, 0, {&f.admin}, c});
  }
  emit_commit("commit_add", "ok", "", "alice added at epoch 2: a box for each member, in key order",
              {f, 1, {}, commit_frame(f, 2, 2)});
  emit_commit("commit_stale_taken", "stale", "epoch 2 does not follow the group's head, epoch 2",
              "epoch 2 again where the head is 2: another administrator's commit won", {f, 2, {}, commit_frame(f, 2, 2)});
  emit_commit("commit_boxes_short", "bad-boxes", "1 boxes for 2 members", "one box for two members",
              {f, 1, {}, commit_frame(f, 2, 1)});
  emit_commit("commit_boxes_long", "bad-boxes", "3 boxes for 2 members", "three boxes for two members",
              {f, 1, {}, commit_frame(f, 2, 3)});
  {
    proto::Commit c = commit_frame(f, 2, 2);
    c.state[6] = 'X';
    emit_commit("commit_bad_state_magic", "bad-state", "not a grypt group state", "a state whose magic is changed",
                {f, 1, {}, c});
    c = commit_frame(f, 2, 2);
    c.group = "pals";
    emit_commit("commit_unknown_group", "not-admin", "a group this connection does not follow",
                "a commit for a group the server does not have", {f, 1, {}, c});
  }
  f.next();  // epoch 3, a rotate
  emit_commit("commit_stale_gap", "stale", "epoch 3 does not follow the group's head, epoch 1",
              "epoch 3 where the head is 1", {f, 1, {}, commit_frame(f, 3, 2)});
  emit_commit("commit_history_with_rotate", "bad-boxes", "history boxes with a rotate",
              "a rotate with a history box", {f, 2, {}, commit_frame(f, 3, 2, {1})});
  {
    TestChain g;  // alice added at epoch 3, after a rotate: her past boxes with it
    g.next();
    g.add_alice();
    emit_commit("commit_add_with_history", "ok", "",
                "alice added at epoch 3 with her boxes of epochs 1 and 2", {g, 2, {}, commit_frame(g, 3, 2, {1, 2})});
    emit_commit("commit_history_epoch_zero", "protocol", "\"epoch\" is 0",
                "a history box of epoch 0: the frame itself is malformed", {g, 2, {}, commit_frame(g, 3, 2, {0})});
    emit_commit("commit_history_not_before", "bad-boxes", "a history box of epoch 3",
                "a history box of the new epoch itself", {g, 2, {}, commit_frame(g, 3, 2, {3})});
    emit_commit("commit_history_twice", "bad-boxes", "two history boxes of epoch 1", "epoch 1's history box twice",
                {g, 2, {}, commit_frame(g, 3, 2, {1, 1})});
  }
  {
    TestChain g;  // alice, a member, signs a rotate
    g.add_alice();
    g.next(Change::rotate, std::nullopt, &g.alice);
    emit_commit("commit_not_admin", "not-admin", state_fault_text(StateFault::not_admin),
                "epoch 3 signed by alice, a member", {g, 2, {}, commit_frame(g, 3, 2)});
  }
  {
    TestChain g;  // the only administrator removes itself
    g.add_alice();
    g.next(Change::remove, RosterEntry{"admin", g.admin.public_key(), Role::admin});
    emit_commit("commit_last_admin", "bad-state", state_fault_text(StateFault::last_admin),
                "the last administrator removed", {g, 2, {}, commit_frame(g, 3, 1)});
  }
  {
    TestChain other;  // epoch 2 of another group named friends
    other.add_alice();
    emit_commit("commit_other_group", "bad-state", state_fault_text(StateFault::other_group),
                "epoch 2 of another group of the same name", {f, 1, {}, commit_frame(other, 2, 2)});
  }
  {
    // A run: alice and bob added (epochs 2 and 3) and a rotate (4) in one
    // commit, boxes for the last roster only.
    TestChain g;
    Identity bob = Identity::generate();
    g.add_alice();
    g.next(Change::add, RosterEntry{"bob", bob.public_key(), Role::member});
    g.next();
    auto run = [&](std::size_t from, std::size_t to, std::size_t boxes) {
      proto::Commit c = commit_frame(g, to, boxes);
      for (std::size_t e = from; e < to; ++e) c.run.emplace_back(g.bytes.at(e - 1).begin(), g.bytes.at(e - 1).end());
      return c;
    };
    emit_commit("commit_run", "ok", "",
                "a run: epochs 2 and 3 add alice and bob, epoch 4 rotates; boxes for the three members of epoch 4 only",
                {g, 1, {}, run(2, 4, 3)});
    emit_commit("commit_run_boxes_of_first", "bad-boxes", "2 boxes for 3 members",
                "a run whose boxes are for the roster of its first state", {g, 1, {}, run(2, 4, 2)});
    emit_commit("commit_run_stale", "stale", "epoch 3 does not follow the group's head, epoch 1",
                "a run that starts an epoch after the head", {g, 1, {}, run(3, 4, 3)});
    {
      proto::Commit gap = run(2, 4, 3);
      gap.run.pop_back();
      emit_commit("commit_run_gap", "bad-state", state_fault_text(StateFault::not_next),
                  "a run of epoch 2 whose last state is epoch 4: epoch 3 left out", {g, 1, {}, gap});
    }
    {
      proto::Commit c = run(2, 4, 3);
      proto::Commit create = commit_frame(g, 1, 1);
      create.run = c.run;
      emit_commit("commit_create_with_run", "protocol", "a create with a run", "a genesis with a run",
                  {g, 0, {&g.admin}, create});
    }
    TestChain h;  // epoch 3, inside the run, signed by alice, a member
    h.add_alice();
    h.next(Change::rotate, std::nullopt, &h.alice);
    h.next();
    proto::Commit c = commit_frame(h, 4, 2);
    for (std::size_t e = 2; e < 4; ++e) c.run.emplace_back(h.bytes.at(e - 1).begin(), h.bytes.at(e - 1).end());
    emit_commit("commit_run_not_admin", "not-admin", "epoch 3 of the run: " + std::string(state_fault_text(StateFault::not_admin)),
                "a run whose epoch 3 is signed by alice, a member", {h, 1, {}, c});
  }
}

void join_requests(const Identity& bob, const Identity& mallory, const GroupId& group) {
  const std::int64_t time = 1800086400;
  auto ok = [&](const std::string& name, const std::string& comment, const std::string& note) {
    JoinRequest r{group, time, bob.public_key(), note};
    auto b = r.sign(bob);
    if (b != join_request(group, time, bob.public_key().bytes(), note, bob))
      throw std::runtime_error("join request: the raw bytes differ from the writer's");
    Case c{name, "ok", "join-request", "", comment, {}, b};
    c.fields.emplace_back("group-id", hex(group));
    c.fields.emplace_back("time", std::to_string(time));
    c.fields.emplace_back("key", bob.public_key().to_string());
    if (!note.empty()) c.fields.emplace_back("note", note);
    emit(c);
  };
  ok("join_request_note", "bob asks to join friends, with a note", "bob from the bike club");
  ok("join_request_no_note", "without a note: 177 bytes", "");
  std::string long_note;
  while (long_note.size() < 200) long_note += "bob from the bike club, "[long_note.size() % 24];
  long_note.back() = '.';
  ok("join_request_note_200", "a note of 200 bytes, the most: 377 bytes", long_note);
  ok("join_request_note_utf8", "a note in UTF-8", "Gr\xc3\xbc\xc3\x9f" "e von Bob \xe2\x80\x94 caf\xc3\xa9");

  auto bad = [&](const std::string& name, const std::string& expect, const std::string& error,
                 const std::string& comment, const std::vector<std::uint8_t>& b) {
    emit({name, expect, "join-request", error, comment, {}, b});
  };
  auto req = join_request(group, time, bob.public_key().bytes(), "bob from the bike club", bob);
  auto tweak = [](std::vector<std::uint8_t> v, std::size_t at, std::uint8_t x) {
    v[at] ^= x;
    return v;
  };
  bad("join_request_bad_signature", "auth", "signature does not verify", "a signature bit flipped",
      tweak(req, req.size() - 10, 0x04));
  bad("join_request_other_key", "auth", "signature does not verify",
      "names mallory's key, signed by bob", join_request(group, time, mallory.public_key().bytes(),
                                                         "bob from the bike club", bob));
  bad("join_request_other_group", "auth", "signature does not verify",
      "the group id changed after signing: moved to another group", tweak(req, 8, 0x01));
  bad("join_request_other_time", "auth", "signature does not verify", "the time changed after signing",
      tweak(req, 47, 0x01));
  bad("join_request_truncated", "header", "note length does not add up", "the last byte cut off",
      std::vector<std::uint8_t>(req.begin(), req.end() - 1));
  bad("join_request_trailing_byte", "header", "note length does not add up", "one byte appended",
      [&] {
        auto v = req;
        v.push_back(0);
        return v;
      }());
  auto bare = join_request(group, time, bob.public_key().bytes(), "", bob);
  bad("join_request_short", "header", "a join request of 176 bytes", "a request without a note, cut by one byte",
      std::vector<std::uint8_t>(bare.begin(), bare.end() - 1));
  bad("join_request_note_201", "header", "a join request of 378 bytes", "a note of 201 bytes",
      join_request(group, time, bob.public_key().bytes(), long_note + "!", bob));
  bad("join_request_note_control", "header", "it contains a control character",
      "a note with a BEL character, signed", join_request(group, time, bob.public_key().bytes(), "bob\x07", bob));
  bad("join_request_note_newline", "header", "it contains a control character", "a note with a newline, signed",
      join_request(group, time, bob.public_key().bytes(), "bob\nfrom the club", bob));
  bad("join_request_note_bidi", "header", "bidirectional formatting character",
      "a note with U+202E (right-to-left override), signed",
      join_request(group, time, bob.public_key().bytes(), "bob \xe2\x80\xae" "bulc", bob));
  bad("join_request_note_not_utf8", "header", "not valid UTF-8", "a note with a byte 0xff, signed",
      join_request(group, time, bob.public_key().bytes(), "bob \xff", bob));
  bad("join_request_note_blank", "header", "cannot start or end with a blank", "a note ending in a space, signed",
      join_request(group, time, bob.public_key().bytes(), "bob ", bob));
  bad("join_request_bad_magic", "header", "not a grypt join request", "the magic's version byte is 0x01",
      tweak(req, 7, 0x03));
  // Leave requests: the same layout under GRYPTLR and their own label.
  const std::string_view leave_magic("GRYPTLR\x02", 8), leave_label = "grypt leave request v2";
  {
    JoinRequest r{group, time, bob.public_key(), "moving on", JoinRequest::Kind::leave};
    auto b = r.sign(bob);
    if (b != join_request(group, time, bob.public_key().bytes(), "moving on", bob, leave_magic, leave_label))
      throw std::runtime_error("leave request: the raw bytes differ from the writer's");
    Case c{"leave_request", "ok", "join-request", "", "bob asks to leave friends (LEAVE REQUESTS), with a note", {}, b};
    c.fields.emplace_back("group-id", hex(group));
    c.fields.emplace_back("time", std::to_string(time));
    c.fields.emplace_back("key", bob.public_key().to_string());
    c.fields.emplace_back("note", "moving on");
    c.fields.emplace_back("kind", "leave");
    emit(c);
  }
  bad("leave_request_join_label", "auth", "signature does not verify",
      "GRYPTLR signed under the join request's label",
      join_request(group, time, bob.public_key().bytes(), "", bob, leave_magic, "grypt join request v2"));
  bad("join_request_leave_label", "auth", "signature does not verify",
      "GRYPTJR signed under the leave request's label",
      join_request(group, time, bob.public_key().bytes(), "", bob, std::string_view("GRYPTJR\x02", 8), leave_label));
  bad("join_request_time_2_63", "header", "time is out of range", "a time of 2^63, signed",
      join_request(group, std::uint64_t(1) << 63, bob.public_key().bytes(), "bob from the bike club", bob));
  std::array<std::uint8_t, 64> not_point;
  std::memcpy(not_point.data(), bob.public_key().bytes().data(), 64);
  std::memset(not_point.data(), 0xff, 31);
  not_point[31] = 0x7f;
  bad("join_request_invalid_key", "header", "the Ed25519 key is not a valid point",
      "the requester's Ed25519 key is not a point", join_request(group, time, not_point, "bob", bob));
}

}  // namespace
}  // namespace grypt::vectors

int main(int argc, char** argv) {
  using namespace grypt::vectors;
  if (argc != 2) {
    std::cerr << "usage: generate DIR\n";
    return 2;
  }
  out_dir = argv[1];
  randombytes_set_implementation(&det_impl);
  try {
    grypt::init_crypto();
    grypt::Identity alice = grypt::Identity::generate();
    grypt::Identity bob = grypt::Identity::generate();
    grypt::Identity mallory = grypt::Identity::generate();
    messages(alice, bob, mallory);
    // Each section starts at a fixed point of the random stream, so that a
    // change to one leaves the others' vectors as they were.
    g_calls = 27;
    vault(alice, bob, mallory);
    g_calls = 39;
    identities(alice);
    // The group formats, each from a stream of its own.
    grypt::GroupId group;
    {
      SeparateStream s(5'000'000);
      group = states(alice, bob, mallory);
    }
    {
      SeparateStream s(6'000'000);
      references(group);
    }
    {
      SeparateStream s(7'000'000);
      join_requests(bob, mallory, group);
    }
    armor_forms(alice, bob);
    {
      SeparateStream s(9'000'000);
      commits();
    }
  } catch (const std::exception& e) {
    std::cerr << "generate: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "generate: wrote " << written << " vectors to " << out_dir << "\n";
  return 0;
}
