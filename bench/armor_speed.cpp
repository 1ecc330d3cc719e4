// The armor's speed (bench/armor): a message of SIZE bytes (default 1 MiB,
// random) written in each text form by ArmorWriter, in 64 KiB writes, and
// read back by ArmorReader (what grypt-open runs: the scan for tokens and
// their decoding), in 64 KiB reads, from memory to memory. Each is repeated
// for about 0.3 s of this process's CPU time (the machine may be shared:
// wall time would count the others' work), ROUNDS times (default 7); the
// median rate in MiB/s of message bytes is printed, and its ratio to the
// one-line form (base64url). Every round checks that the bytes read back
// are the message.
//
// Two base64 codecs users already run are measured in the same way, whole
// messages from memory to memory, as references: libsodium's
// (sodium_bin2base64, sodium_base642bin, URL-safe without padding, what
// the one-line form is) and OpenSSL's (EVP_EncodeBlock, EVP_DecodeBlock).
// Their rows give their rate and its ratio to the line form; the last
// lines, each form's rate against each of them.
//
//   grypt-armor-bench [SIZE [ROUNDS]]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <sodium.h>

#include "core/armor.h"
#include "core/io.h"
#include "core/secret.h"

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Discards what it is given, as a pipe to another process would take it.
class Sink : public grypt::Output {
 public:
  void write(std::span<const std::uint8_t> b) override { bytes += b.size(); }
  std::size_t bytes = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs f until 0.3 s have passed; returns message MiB per second.
template <typename F>
double rate(std::size_t size, F f) {
  double start = cpu_seconds();
  int n = 0;
  double s = 0;
  do {
    f();
    ++n;
    s = cpu_seconds() - start;
  } while (s < 0.3);
  return static_cast<double>(size) * n / s / (1 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t size = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1 << 20;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  if (size == 0 || rounds <= 0) {
    std::fprintf(stderr, "usage: grypt-armor-bench [SIZE [ROUNDS]]\n");
    return 2;
  }
  std::vector<std::uint8_t> m(size);
  std::uint64_t x = 0x9e3779b97f4a7c15;
  for (auto& b : m) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = static_cast<std::uint8_t>(x);
  }
  // x is read by the fastest path the processor has (its row "x"), and
  // again by each slower one it has, in rows of their own: what a
  // processor without AVX-512, or without AVX2, would do.
  struct Form {
    grypt::ArmorForm form;
    std::string name;
    std::optional<grypt::ArmorXPath> path;  // else the fastest
  };
  const char* fastest = grypt::armor_x_path(grypt::ArmorXPath::avx512) ? "AVX-512"
                        : grypt::armor_x_path(grypt::ArmorXPath::avx2) ? "AVX2"
                                                                        : "scalar";
  grypt::armor_x_fastest_path();
  std::printf("  (x is read by %s, the fastest path here)\n", fastest);
  std::vector<Form> forms = {{grypt::ArmorForm::line, "line", {}}, {grypt::ArmorForm::block, "block", {}},
                             {grypt::ArmorForm::x, "x", {}}};
  if (std::string(fastest) == "AVX-512") forms.push_back({grypt::ArmorForm::x, "x by AVX2", grypt::ArmorXPath::avx2});
  if (std::string(fastest) != "scalar") forms.push_back({grypt::ArmorForm::x, "x by scalar", grypt::ArmorXPath::scalar});
  forms.push_back({grypt::ArmorForm::dense, "dense", {}});
  double base_write = 0, base_read = 0;
  std::vector<std::pair<std::string, std::pair<double, double>>> rows;
  std::printf("  %-16s %10s %12s %12s %14s %14s\n", "form", "text bytes", "write MiB/s", "read MiB/s",
              "write vs line", "read vs line");
  auto print = [&](const std::string& name, std::size_t text_bytes, double mw, double mr) {
    rows.push_back({name, {mw, mr}});
    std::printf("  %-16s %10zu %12.0f %12.0f %13.2fx %13.2fx\n", name.c_str(), text_bytes, mw, mr, mw / base_write,
                mr / base_read);
  };
  for (const auto& [f, name, path] : forms) {
    if (path) grypt::armor_x_path(*path);
    std::string text = "a post:\n" + grypt::armor_text(m, f) + "\nend\n";
    std::vector<double> w, r;
    std::vector<std::uint8_t> got(size);
    for (int round = 0; round < rounds; ++round) {
      w.push_back(rate(size, [&] {
        Sink sink;
        grypt::ArmorWriter aw(sink, f);
        for (std::size_t i = 0; i < size; i += 65536) aw.write(std::span(m).subspan(i, std::min<std::size_t>(65536, size - i)));
        aw.finish();
      }));
      r.push_back(rate(size, [&] {
        grypt::MemoryInput in(grypt::as_bytes(text));
        grypt::ArmorReader reader(in);
        std::size_t at = 0;
        while (reader.next()) {
          std::vector<std::uint8_t> buf(65536);
          for (std::size_t n; (n = reader.body().read(buf)) > 0; at += n) {
            if (at + n > size) std::abort();
            std::memcpy(got.data() + at, buf.data(), n);
          }
        }
        if (at != size) std::abort();
      }));
      if (got != m) {
        std::fprintf(stderr, "grypt-armor-bench: %s: read back other bytes\n",
                     name.c_str());
        return 1;
      }
    }
    grypt::armor_x_fastest_path();
    double mw = median(w), mr = median(r);
    if (f == grypt::ArmorForm::line) base_write = mw, base_read = mr;
    print(name, text.size() - 13, mw, mr);
  }
  if (sodium_init() < 0) return 1;
  // The references: a whole message encoded and decoded by each codec.
  auto codec = [&](const std::string& name, auto encode, auto decode) {
    std::string text;
    std::vector<std::uint8_t> got(size + 3);
    std::vector<double> w, r;
    for (int round = 0; round < rounds; ++round) {
      w.push_back(rate(size, [&] { text = encode(); }));
      std::size_t n = 0;
      r.push_back(rate(size, [&] { n = decode(text, got); }));
      if (n != size || !std::equal(m.begin(), m.end(), got.begin())) {
        std::fprintf(stderr, "grypt-armor-bench: %s: decoded other bytes\n", name.c_str());
        std::exit(1);
      }
    }
    print(name, text.size(), median(w), median(r));
  };
  codec(
      "base64 libsodium",
      [&] {
        std::string t(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
        sodium_bin2base64(t.data(), t.size(), m.data(), size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        t.pop_back();  // the terminating NUL
        return t;
      },
      [&](const std::string& t, std::vector<std::uint8_t>& out) {
        std::size_t n = 0;
        if (sodium_base642bin(out.data(), out.size(), t.data(), t.size(), nullptr, &n, nullptr,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
          std::abort();
        return n;
      });
  codec(
      "base64 OpenSSL",
      [&] {
        std::string t(4 * ((size + 2) / 3) + 1, '\0');
        int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(t.data()), m.data(), static_cast<int>(size));
        t.resize(static_cast<std::size_t>(n));
        return t;
      },
      [&](const std::string& t, std::vector<std::uint8_t>& out) {
        int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(t.data()),
                                static_cast<int>(t.size()));
        if (n < 0) std::abort();
        // EVP_DecodeBlock counts the padding's zero bytes too.
        return static_cast<std::size_t>(n) - (t.size() >= 1 && t.back() == '=') - (t.size() >= 2 && t[t.size() - 2] == '=');
      });
  // Each form against the references.
  for (const auto& [name, wr] : rows) {
    if (name.rfind("base64", 0) == 0) continue;
    std::printf("  %-16s", name.c_str());
    for (const auto& [ref, rr] : rows)
      if (ref.rfind("base64", 0) == 0)
        std::printf("  vs %s: write %.2fx, read %.2fx", ref.c_str(), wr.first / rr.first, wr.second / rr.second);
    std::printf("\n");
  }
  return 0;
}
