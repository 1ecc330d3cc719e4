// Writes seed corpora for the fuzz targets: valid inputs made with the core
// API under the keys in fixtures.h.
//
//   seeds OUT_DIR [VECTORS_DIR]
//
// writes OUT_DIR/<target>/<case>. Test vectors (VECTORS_DIR/*.vec) are added
// raw to armor_scan and, when their data decodes, by format to the target
// that parses it.
#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/armor.h"
#include "core/encoding.h"
#include "core/error.h"
#include "core/identity_file.h"
#include "core/io.h"
#include "core/message.h"
#include "core/phc.h"
#include "core/stream.h"
#include "core/vault.h"
#include "fixtures.h"

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
        put("armor_scan", name + "-line", grypt::armor_line(m));
        put("armor_scan", name + "-block", grypt::armor_block(m));
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
  put("armor_scan", "prose",
      "See grypt: the tool. Posted: grypt:" + grypt::base64_encode(a, grypt::Base64::url_unpadded) +
          ", and\r\n" + grypt::armor_block(b) + "trailing grypt:AAAA! grypt:-_x");
  std::string crlf;
  for (char c : grypt::armor_block(b)) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  put("armor_scan", "block-crlf", crlf);
  put("armor_scan", "block-no-end", std::string(grypt::armor_begin) + "\nEBAA\n");
  put("armor_scan", "block-empty",
      std::string(grypt::armor_begin) + "\n" + std::string(grypt::armor_end) + "\n");
  put("armor_scan", "two-lines", grypt::armor_line(a) + "\n" + grypt::armor_line(b) + "\n");
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
    put("armor_scan", "vec-" + n, text);
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
    if (t == "message_open" && !grypt::looks_binary(data)) t = "armor_scan";
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
    if (argc == 3) vector_seeds(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
