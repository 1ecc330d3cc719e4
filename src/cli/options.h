// Command-line parsing shared by the tool mains: cxxopts stays here, and its
// exceptions become UsageError ("tool: error: ... (see tool --help)").
#pragma once

#include <cxxopts.hpp>

#include <string>

#include "core/error.h"
#include "core/identity_file.h"
#include "core/passphrase.h"
#include "core/paths.h"
#include "core/tool.h"

namespace grypt {

inline cxxopts::ParseResult parse_options(cxxopts::Options& options, int argc, char** argv) {
  try {
    return options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::string what = e.what();
    if (!what.empty()) what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
    throw UsageError(what + " (see " + tool_name() + " --help)");
  }
}

// Reads a typed option value; cxxopts reports bad values lazily, on access.
template <typename T>
T option(const cxxopts::ParseResult& r, const std::string& name) {
  try {
    return r[name].as<T>();
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError("invalid value for --" + name + " (see " + std::string(tool_name()) +
                     " --help)");
  }
}

// --NAME-fd N / --NAME-file F, or the terminal/stdin.
inline SecretSource secret_source(const cxxopts::ParseResult& r, const std::string& name) {
  SecretSource s;
  bool fd = r.count(name + "-fd") > 0, file = r.count(name + "-file") > 0;
  if (fd && file) throw UsageError("give only one of --" + name + "-fd and --" + name + "-file");
  if (fd) {
    s.kind = SecretSource::Kind::fd;
    s.fd = option<int>(r, name + "-fd");
    if (s.fd < 0) throw UsageError("--" + name + "-fd needs a file descriptor number");
  } else if (file) {
    s.kind = SecretSource::Kind::file;
    s.path = option<std::string>(r, name + "-file");
  }
  return s;
}

// The identity at `path`, unlocked with a passphrase from `source` when it
// is encrypted. stdin_is_data: stdin carries the tool's input, so an
// automatic source means the terminal.
inline Identity unlock_identity(const std::string& path, const SecretSource& source,
                                bool stdin_is_data) {
  return load_identity(path, [&] {
    SecretPrompt p;
    p.what = "passphrase";
    p.stdin_is_data = stdin_is_data;
    return read_secret(source, p);
  });
}

inline void print_version() { write_stdout(std::string(tool_name()) + " " GRYPT_VERSION "\n"); }

// --help, --version and stray arguments, alike in every tool. The help shows
// the default option group (others are hidden) followed by `help_tail`.
// Returns true when the tool has nothing more to do.
inline bool handle_common_options(const cxxopts::Options& o, const cxxopts::ParseResult& r,
                                  const std::string& help_tail) {
  if (r.count("help")) {
    write_stdout(o.help({""}) + help_tail);
    return true;
  }
  if (r.count("version")) {
    print_version();
    return true;
  }
  if (!r.unmatched().empty())
    throw UsageError("unexpected argument '" + r.unmatched()[0] + "' (see " + tool_name() +
                     " --help)");
  return false;
}

}  // namespace grypt
