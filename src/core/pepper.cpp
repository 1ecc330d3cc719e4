#include "core/pepper.h"

#include <algorithm>
#include <cstring>

#include "core/encoding.h"
#include "core/error.h"
#include "core/file.h"
#include "core/phc.h"

namespace grypt {
namespace {

constexpr std::size_t max_file = 1 << 20;
constexpr std::size_t id_bytes = 6, key_bytes = 32;
constexpr std::size_t min_key = 16, max_key = 64;
constexpr const char* header =
    "# pw-hash pepper file: \"<id> <secret>\" per line; the last line is current.\n"
    "# Keep it 0600 and away from the hashes (see pw-hash(1)).\n";

std::vector<Pepper> parse(const SecretBytes& text, const std::string& path) {
  std::vector<Pepper> out;
  std::string_view rest = text.view();
  for (int lineno = 1; !rest.empty(); ++lineno) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (line.empty() || line[0] == '#') continue;
    std::string where = path + " line " + std::to_string(lineno);
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos)
      throw FormatError(where + ": expected \"<id> <secret>\"");
    std::string id(line.substr(0, sp));
    if (!valid_keyid(id)) throw FormatError(where + ": the id is not base64 of 1 to 8 bytes");
    for (const Pepper& p : out)
      if (p.id == id) throw FormatError(where + ": pepper id " + id + " appears twice");
    SecretBytes key;
    try {
      key = base64_decode_secret(line.substr(sp + 1), Base64::standard_unpadded, "secret");
    } catch (const FormatError&) {
      throw FormatError(where + ": the secret is not canonical unpadded base64");
    }
    if (key.size() < min_key || key.size() > max_key)
      throw FormatError(where + ": the secret must be 16 to 64 bytes");
    out.push_back({std::move(id), std::move(key)});
  }
  if (out.empty()) throw FormatError(path + " holds no pepper");
  return out;
}

}  // namespace

PepperFile PepperFile::load(const std::string& path) {
  PepperFile f;
  f.path_ = path;
  f.peppers_ = parse(read_secret_file(path, max_file, {.access = Access::private_}), path);
  return f;
}

const Pepper* PepperFile::find(const std::string& id) const {
  for (const Pepper& p : peppers_)
    if (p.id == id) return &p;
  return nullptr;
}

std::string PepperFile::add_new(const std::string& path,
                                const std::function<void(const std::string& id)>& announce) {
  std::string id;
  auto change = [&](const SecretBytes* old) {
    std::vector<Pepper> existing;
    if (old) existing = parse(*old, path);
    do {
      std::uint8_t raw[id_bytes];
      random_bytes(raw);
      id = base64_encode(raw, Base64::standard_unpadded);
    } while (std::any_of(existing.begin(), existing.end(),
                         [&](const Pepper& p) { return p.id == id; }));
    SecretBytes key(key_bytes);
    random_bytes(key.span());
    SecretBytes encoded = base64_encode_secret(key.span(), Base64::standard_unpadded);

    // The new content, built in guarded memory: the old text (or a header),
    // a newline if the old text lacks one, then "<id> <secret>\n".
    std::string_view prefix = old ? old->view() : std::string_view(header);
    bool need_nl = !prefix.empty() && prefix.back() != '\n';
    std::string line_head = (need_nl ? "\n" : "") + id + " ";
    SecretBytes text(prefix.size() + line_head.size() + encoded.size() + 1);
    std::uint8_t* w = text.data();
    std::memcpy(w, prefix.data(), prefix.size());
    w += prefix.size();
    std::memcpy(w, line_head.data(), line_head.size());
    w += line_head.size();
    std::memcpy(w, encoded.data(), encoded.size());
    w += encoded.size();
    *w = '\n';
    return text;
  };
  // A first pepper's directory, such as /etc/pw-hash, is made (0700).
  make_dirs(dir_name(path));
  update_file_locked(path, max_file, {.access = Access::private_}, change,
                     [&] { announce(id); });
  return id;
}

}  // namespace grypt
