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
//   grypt-armor-bench [SIZE [ROUNDS]]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

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
  const grypt::ArmorForm forms[] = {grypt::ArmorForm::line, grypt::ArmorForm::block, grypt::ArmorForm::x,
                                    grypt::ArmorForm::dense};
  double base_write = 0, base_read = 0;
  std::printf("  %-6s %10s %12s %12s %14s %14s\n", "form", "text bytes", "write MiB/s", "read MiB/s",
              "write vs line", "read vs line");
  for (grypt::ArmorForm f : forms) {
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
                     std::string(grypt::armor_form_name(f)).c_str());
        return 1;
      }
    }
    double mw = median(w), mr = median(r);
    if (f == grypt::ArmorForm::line) base_write = mw, base_read = mr;
    std::printf("  %-6s %10zu %12.0f %12.0f %13.2fx %13.2fx\n", std::string(grypt::armor_form_name(f)).c_str(),
                text.size() - 13, mw, mr, mw / base_write, mr / base_read);
  }
  return 0;
}
