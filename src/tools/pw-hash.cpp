// pw-hash: Argon2id password hashing with a pepper (man/pw-hash.1).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "core/argon2id.h"
#include "core/encoding.h"
#include "core/pepper.h"
#include "core/phc.h"
#include "core/progress.h"
#include "cli/options.h"

namespace grypt {
namespace {

constexpr std::size_t salt_bytes = 16, hash_bytes = 32;
constexpr std::size_t max_password = 64 * 1024;
constexpr const char* memory_hint = "; try --profile rfc9106-low or a smaller -m";

struct Profile {
  const char* name;
  Argon2Params params;
};
constexpr Profile profiles[] = {
    {"rfc9106", {1, 2u << 20, 4}},      // RFC 9106 §4, first recommendation
    {"rfc9106-low", {3, 64u << 10, 4}},  // RFC 9106 §4, second recommendation
    {"owasp", {2, 19u << 10, 1}},        // OWASP password storage minimum
};
// The cost floor with a pepper file, unless --min-cost: the cheapest profile,
// in memory and in work.
constexpr const char* default_floor = "owasp";

struct Config {
  Argon2Params params;
  std::optional<PepperFile> pepper;
  std::vector<std::uint8_t> salt;  // fixed salt (--salt), else random per hash
  SecretSource source;
  bool allow_empty = false;
  Argon2Floor floor;               // with a pepper file: for new and stored hashes
  bool accept_unpeppered = false;  // with a pepper file: for migration, with --rehash
  bool progress = true;            // a progress line at a terminal (not --quiet)
};

// KiB, or a number with a K, M or G suffix.
std::uint32_t parse_size_kib(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  std::string suffix = text.substr(digits);
  std::uint64_t shift = 0;
  if (suffix == "K" || suffix == "k" || suffix.empty()) shift = 0;
  else if (suffix == "M" || suffix == "m") shift = 10;
  else if (suffix == "G" || suffix == "g") shift = 20;
  else digits = 0;
  if (digits == 0 || digits > 10)
    throw UsageError("invalid memory size '" + text + "': give KiB, or a number with K, M or G");
  std::uint64_t kib = std::stoull(text.substr(0, digits)) << shift;
  if (kib > UINT32_MAX)
    throw UsageError("memory size " + text + " is too large: Argon2 takes at most 4 TiB");
  return static_cast<std::uint32_t>(kib);
}

const Profile* find_profile(const std::string& name) {
  auto it = std::find_if(std::begin(profiles), std::end(profiles),
                         [&](const Profile& p) { return name == p.name; });
  return it == std::end(profiles) ? nullptr : it;
}

Argon2Params params_from(const cxxopts::ParseResult& r) {
  std::string name = option<std::string>(r, "profile");
  const Profile* profile = find_profile(name);
  if (!profile)
    throw UsageError("unknown profile '" + name + "': use rfc9106, rfc9106-low or owasp");
  Argon2Params p = profile->params;
  if (r.count("t")) p.t_cost = option<std::uint32_t>(r, "t");
  if (r.count("m")) p.m_kib = parse_size_kib(option<std::string>(r, "m"));
  if (r.count("p")) p.lanes = option<std::uint32_t>(r, "p");
  check_argon2_params(p);
  return p;
}

// --min-cost: a profile's name, or t=N,m=SIZE in either order.
Argon2Floor floor_from(const std::string& text) {
  if (const Profile* profile = find_profile(text))
    return {profile->params.t_cost, profile->params.m_kib};
  auto invalid = [&] {
    return UsageError("invalid --min-cost '" + text +
                      "': give a profile (rfc9106, rfc9106-low or owasp) or t=N,m=SIZE");
  };
  std::optional<std::uint32_t> t, m;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = text.find(',', start);
    std::string field = text.substr(start, comma == std::string::npos ? comma : comma - start);
    std::string value = field.substr(std::min<std::size_t>(2, field.size()));
    if (field.starts_with("t=") && !t) {
      std::uint32_t v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (value.empty() || value[0] == '0' || ec != std::errc() ||
          end != value.data() + value.size())
        throw invalid();
      t = v;
    } else if (field.starts_with("m=") && !m) {
      m = parse_size_kib(value);
    } else {
      throw invalid();
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!t || !m) throw invalid();
  std::string defect = argon2_params_defect({*t, *m, 1});
  if (!defect.empty()) throw UsageError("--min-cost " + text + ": " + defect);
  return {*t, *m};
}

PhcHash compute(std::span<const std::uint8_t> password, const Argon2Params& params,
                const Pepper* pepper, std::span<const std::uint8_t> salt,
                std::size_t out_bytes, unsigned threads = 0) {
  PhcHash h;
  h.params = params;
  h.salt.assign(salt.begin(), salt.end());
  if (h.salt.empty()) {
    h.salt.resize(salt_bytes);
    random_bytes(h.salt);
  }
  if (pepper) h.keyid = pepper->id;
  h.hash.resize(out_bytes);
  Argon2Input in;
  in.password = password;
  in.salt = h.salt;
  if (pepper) in.secret = pepper->key.span();
  argon2id(h.hash, in, params, threads);
  return h;
}

PhcHash new_hash(std::span<const std::uint8_t> password, const Config& c,
                 unsigned threads = 0) {
  return compute(password, c.params, c.pepper ? &c.pepper->current() : nullptr, c.salt,
                 hash_bytes, threads);
}

SecretBytes read_password(const Config& c, bool confirm) {
  SecretPrompt prompt;
  prompt.what = "password";
  prompt.flag = "password";
  prompt.confirm = confirm;
  prompt.allow_empty = c.allow_empty;
  prompt.empty_hint = " (use --allow-empty to allow it)";
  prompt.max_size = max_password;
  return read_secret(c.source, prompt);
}

// What the progress line says while Argon2 runs.
std::string hashing(const Argon2Params& p) {
  return "hashing (t=" + std::to_string(p.t_cost) + ", m=" + std::to_string(p.m_kib >> 10) +
         " MiB, p=" + std::to_string(p.lanes) + ")";
}

int do_hash(const Config& c) {
  SecretBytes password = read_password(c, true);
  std::string phc;
  {
    Progress shown(hashing(c.params), c.progress);
    phc = format_phc(new_hash(password.span(), c));
  }
  write_stdout(phc + "\n");
  return exit_ok;
}

// Admits a stored hash to verification: returns the pepper to verify it
// with (nullptr: none), or throws why the hash is refused. With a pepper
// file, a hash that verifies must be one only a holder of the pepper could
// make, so a hash without a pepper id is refused: else whoever can write the
// hash database plants an unpeppered hash of a password they know
// (man/pw-hash.1, PEPPER FILE). --accept-unpeppered lets such hashes in, to
// migrate them. A hash under the cost floor is refused either way.
const Pepper* admit(const PhcHash& stored, const Config& c) {
  if (!c.pepper) {
    if (stored.keyid)
      throw UsageError("the hash was made with pepper " + *stored.keyid +
                       ": give its --pepper-file");
    return nullptr;
  }
  const Pepper* pepper = nullptr;
  if (stored.keyid) {
    pepper = c.pepper->find(*stored.keyid);
    if (!pepper) throw FormatError("pepper " + *stored.keyid + " is not in " + c.pepper->path());
  } else if (!c.accept_unpeppered) {
    throw AuthError("the hash has no pepper id: refused with --pepper-file "
                    "(to migrate unpeppered hashes, add --accept-unpeppered --rehash)");
  }
  std::string shortfall = argon2_floor_shortfall(stored.params, c.floor);
  if (!shortfall.empty())
    throw AuthError("the hash is under the cost floor: " + shortfall + " (see --min-cost)");
  return pepper;
}

int do_verify(const std::string& text, bool rehash, const Config& c) {
  PhcHash stored = parse_phc(text);
  const Pepper* pepper = admit(stored, c);
  SecretBytes password = read_password(c, false);
  std::optional<Progress> shown(std::in_place, hashing(stored.params), c.progress);
  PhcHash fresh = compute(password.span(), stored.params, pepper, stored.salt,
                          stored.hash.size());
  shown.reset();
  if (!ct_equal(fresh.hash, stored.hash)) return exit_no;
  // Only --accept-unpeppered lets an unpeppered hash this far with a pepper
  // file, and only with --rehash: its peppered replacement is printed below.
  if (c.pepper && !stored.keyid)
    warn("accepted a hash without a pepper id (--accept-unpeppered): "
         "replace it with the peppered hash printed");
  if (rehash) {
    std::optional<std::string> current_id;
    if (c.pepper) current_id = c.pepper->current().id;
    bool current = stored.params == c.params && stored.keyid == current_id &&
                   stored.salt.size() == salt_bytes && stored.hash.size() == hash_bytes;
    std::string phc(text);
    if (!current) {
      Progress rehashing(hashing(c.params), c.progress);
      phc = format_phc(new_hash(password.span(), c));
    }
    write_stdout(phc + "\n");
  }
  return exit_ok;
}

// --batch: the input is read in blocks of lines; each block is hashed by one
// worker per CPU (fewer when memory is short), each reusing its Argon2
// memory, and written in input order before the next block is read.
class Batch {
 public:
  explicit Batch(const Config& c) : c_(c), buf_(block_bytes) {
    workers_ = std::max(1u, online_cpus());
    std::uint64_t room = memory_available_kib();
    workers_ = static_cast<unsigned>(std::min<std::uint64_t>(workers_, room / c.params.m_kib));
    if (workers_ == 0) check_memory_available(c.params.m_kib);  // throws with the figures
  }

  void run() {
    if (isatty(STDIN_FILENO))
      throw UsageError("--batch reads passwords from stdin, not from a terminal");
    bool eof = false;
    while (!eof) {
      eof = fill();
      std::vector<std::span<const std::uint8_t>> lines = split(eof);
      if (lines.empty() && !eof)
        throw UsageError("line " + std::to_string(lineno_ + 1) + ": the password is longer than " +
                         std::to_string(max_password) + " bytes");
      hash_and_print(lines);
      lineno_ += lines.size();
      consume();
    }
  }

 private:
  static constexpr std::size_t block_bytes = 1 << 20;

  // Reads until the buffer is full or stdin ends; true at end of input.
  bool fill() {
    while (have_ < buf_.size()) {
      ssize_t n = ::read(STDIN_FILENO, buf_.data() + have_, buf_.size() - have_);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw SystemError("cannot read stdin", errno);
      }
      if (n == 0) return true;
      have_ += static_cast<std::size_t>(n);
    }
    return false;
  }

  // The complete lines in the buffer (and at end of input an unterminated
  // last one); sets used_ to the bytes they take.
  std::vector<std::span<const std::uint8_t>> split(bool eof) {
    std::vector<std::span<const std::uint8_t>> lines;
    std::size_t start = 0;
    used_ = 0;
    for (std::size_t i = 0; i < have_; ++i) {
      if (buf_.data()[i] != '\n') continue;
      lines.emplace_back(buf_.data() + start, i - start);
      start = used_ = i + 1;
    }
    if (eof && start < have_) {
      lines.emplace_back(buf_.data() + start, have_ - start);
      used_ = have_;
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string where = "line " + std::to_string(lineno_ + i + 1);
      if (lines[i].empty() && !c_.allow_empty)
        throw UsageError(where + ": empty password refused (use --allow-empty to allow it)");
      if (lines[i].size() > max_password)
        throw UsageError(where + ": the password is longer than " +
                         std::to_string(max_password) + " bytes");
    }
    return lines;
  }

  void consume() {
    std::memmove(buf_.data(), buf_.data() + used_, have_ - used_);
    have_ -= used_;
    wipe(buf_.data() + have_, buf_.size() - have_);
  }

  void hash_and_print(const std::vector<std::span<const std::uint8_t>>& lines) {
    std::vector<std::string> out(lines.size());
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::atomic<bool> failed{false};
    auto work = [&] {
      Argon2MemoryReuse reuse;
      try {
        for (std::size_t i; !failed && (i = next++) < lines.size();)
          out[i] = format_phc(new_hash(lines[i], c_, 1)) + "\n";
      } catch (...) {
        if (!failed.exchange(true)) failure = std::current_exception();
      }
    };
    std::vector<std::thread> pool;
    unsigned n = static_cast<unsigned>(std::min<std::size_t>(workers_, lines.size()));
    for (unsigned i = 1; i < n; ++i) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    std::string text;
    for (const std::string& s : out) text += s;
    write_stdout(text);
  }

  const Config& c_;
  SecretBytes buf_;
  std::size_t have_ = 0, used_ = 0, lineno_ = 0;
  unsigned workers_ = 1;
};

int body(int argc, char** argv) {
  cxxopts::Options o("pw-hash", "Argon2id password hashing with a pepper (RFC 9106)");
  o.custom_help("[options]");
  o.add_options()
      ("profile", "parameters: rfc9106 (t=1 p=4 m=2G), rfc9106-low (t=3 p=4 m=64M), owasp (t=2 p=1 m=19M)",
       cxxopts::value<std::string>()->default_value("rfc9106"), "NAME")
      ("t", "passes (overrides the profile)", cxxopts::value<std::uint32_t>(), "N")
      ("m", "memory in KiB, or with K, M or G suffix", cxxopts::value<std::string>(), "SIZE")
      ("p", "lanes (parallelism)", cxxopts::value<std::uint32_t>(), "N")
      ("pepper-file",
       "pepper file (mode 0600): current pepper for new hashes; --verify uses the one a hash "
       "names and refuses a hash that names none",
       cxxopts::value<std::string>(), "F")
      ("new-pepper", "create F, or add a new current pepper to it; prints its id",
       cxxopts::value<std::string>(), "F")
      ("verify",
       "read the password and check it against HASH: exit 0 match, 1 mismatch or refused",
       cxxopts::value<std::string>(), "HASH")
      ("rehash", "with --verify: on a match print the hash to store (fresh if outdated)")
      ("accept-unpeppered",
       "with --verify --rehash --pepper-file: accept a hash without a pepper id, to migrate it")
      ("min-cost",
       "with --pepper-file: profile NAME or t=N,m=SIZE; hashes with less memory or less "
       "work (t x m) are refused (default: owasp)",
       cxxopts::value<std::string>(), "FLOOR")
      ("batch", "hash one password per stdin line, one hash per output line, in order")
      ("allow-empty", "accept an empty password")
      ("quiet", "no progress line on stderr (shown only at a terminal, after a second)")
      ("password-fd", "read the password from file descriptor N", cxxopts::value<int>(), "N")
      ("password-file", "read the password from the first line of F",
       cxxopts::value<std::string>(), "F")
      ("salt", "use this salt (base64; tests and interoperability only)",
       cxxopts::value<std::string>(), "B64")
      ("h,help", "print this help")
      ("version", "print the version");
  auto r = parse_options(o, argc, argv);
  if (handle_common_options(o, r,
                 "\nThe password is read from the terminal, or one line of stdin.\n"
                 "Exit status: 0 success or match, 1 mismatch or refused hash, 2 error.\n"
                 "See pw-hash(1).\n"))
    return exit_ok;

  int modes = int(r.count("verify") > 0) + int(r.count("batch") > 0) +
              int(r.count("new-pepper") > 0);
  if (modes > 1) throw UsageError("give only one of --verify, --batch and --new-pepper");
  if (r.count("rehash") && !r.count("verify")) throw UsageError("--rehash goes with --verify");
  if (r.count("accept-unpeppered") &&
      !(r.count("verify") && r.count("rehash") && r.count("pepper-file")))
    throw UsageError("--accept-unpeppered goes with --verify, --rehash and --pepper-file");
  if (r.count("min-cost") && !r.count("pepper-file"))
    throw UsageError("--min-cost goes with --pepper-file");
  if (r.count("new-pepper")) {
    // The id is printed before the file changes: a failure to print leaves
    // the file as it was.
    PepperFile::add_new(option<std::string>(r, "new-pepper"),
                        [](const std::string& id) { write_stdout(id + "\n"); });
    return exit_ok;
  }

  Config c;
  c.params = params_from(r);
  c.source = secret_source(r, "password");
  c.allow_empty = r.count("allow-empty") > 0;
  c.progress = r.count("quiet") == 0;
  c.accept_unpeppered = r.count("accept-unpeppered") > 0;
  if (r.count("pepper-file")) {
    c.floor = floor_from(r.count("min-cost") ? option<std::string>(r, "min-cost") : default_floor);
    // New hashes meet the floor that their verification will.
    std::string shortfall = argon2_floor_shortfall(c.params, c.floor);
    if (!shortfall.empty())
      throw UsageError("the parameters are under the cost floor: " + shortfall +
                       " (see --min-cost)");
    c.pepper = PepperFile::load(option<std::string>(r, "pepper-file"));
  }
  if (r.count("salt")) {
    std::string s = option<std::string>(r, "salt");
    Base64 v = s.find('=') != std::string::npos ? Base64::standard : Base64::standard_unpadded;
    c.salt = base64_decode(s, v, "--salt");
    if (c.salt.size() < phc_min_salt || c.salt.size() > phc_max_salt)
      throw UsageError("--salt must be 8 to 64 bytes");
  }
  try {
    if (r.count("verify")) return do_verify(option<std::string>(r, "verify"), r.count("rehash"), c);
    if (r.count("batch")) {
      if (c.source.kind != SecretSource::Kind::automatic)
        throw UsageError("--batch reads stdin: --password-fd and --password-file do not apply");
      if (!c.salt.empty()) throw UsageError("--salt does not go with --batch");
      Batch(c).run();
      return exit_ok;
    }
    return do_hash(c);
  } catch (const MemoryError& e) {
    throw MemoryError(e.what() + std::string(memory_hint));
  }
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("pw-hash", argc, argv, grypt::body); }
