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

#include "core/armor.h"
#include "core/armor_alphabet.h"
#include "core/bytes.h"
#include "core/crypto.h"
#include "core/encoding.h"
#include "core/identity_file.h"
#include "core/message.h"
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
  SecretBytes key{32};
  std::vector<std::pair<std::string, std::string>> fields(const std::vector<PublicKey>& members,
                                                          Epoch e = Epoch()) const {
    std::vector<std::pair<std::string, std::string>> f = {
        {"group", b64url(id)}, {"epoch", (e != Epoch() ? e : epoch).to_string()},
        {"epoch-key", b64url(key.span())}};
    for (const PublicKey& m : members) f.emplace_back("member", m.to_string());
    return f;
  }
};

// A signer that claims one key id and signs with another identity.
class LyingSigner : public Signer {
 public:
  LyingSigner(const Identity& claims, const Identity& signs) : claims_(claims), signs_(signs) {}
  SignedDigest sign(const MessageHeader& h, std::span<const std::uint8_t, 64> d) const override {
    KeyId id = claims_.public_key().key_id();
    return {id, signs_.sign(signed_bytes(h, id, d))};
  }

 private:
  const Identity& claims_;
  const Identity& signs_;
};

std::vector<std::uint8_t> seal(const Group& g, std::span<const std::uint8_t> plain,
                               const Signer* signer, Epoch epoch = Epoch()) {
  MessageHeader h = MessageHeader::fresh(g.id, epoch != Epoch() ? epoch : g.epoch, signer != nullptr);
  SecretBytes key = derive_message_key(g.key.span(), h);
  MemoryOutput out;
  MessageSealer s(h, key.span(), out, signer);
  s.write(plain);
  s.finish();
  return out.data;
}

void messages(const Identity& alice, const Identity& bob, const Identity& mallory) {
  Group g;
  random_bytes(g.id);
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
  // Armored: a first byte other than 0x10/0x11 is not taken for binary.
  emit({"message_header_version_2", "header", "message", "version 2", "version nibble 2", fields,
        text_bytes(armor_line(tweak(m, 0, 0x30)) + "\n"), true});
  emit({"message_header_reserved_flag", "header", "message", "reserved flags",
        "a reserved flag bit set", fields, text_bytes(armor_line(tweak(m, 0, 0x02)) + "\n"), true});
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
    MessageHeader h = MessageHeader::fresh(g.id, g.epoch, false);
    SecretBytes key = derive_message_key(g.key.span(), h);
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
    // Binary with reserved flags: told from text by its first byte 0x13.
    auto b = m;
    b[0] = 0x13;
    emit({"message_binary_reserved_flag", "header", "message", "reserved flags",
          "binary, first byte 0x13: taken for binary, refused for its flags", fields, b});
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
  Group other;
  other.id = g.id;
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
  SeparateStream review(5'000'000);
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
    vault(alice, bob, mallory);
    identities(alice);
    armor_forms(alice, bob);
  } catch (const std::exception& e) {
    std::cerr << "generate: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "generate: wrote " << written << " vectors to " << out_dir << "\n";
  return 0;
}
