#include "core/paths.h"

#include <unistd.h>

#include <cstdlib>

#include "core/error.h"

namespace grypt {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string home() {
  std::string h = env("HOME");
  if (h.empty() || h[0] != '/') throw UsageError("HOME is not set to an absolute path");
  return h;
}

std::string xdg(const char* name, const char* fallback) {
  std::string v = env(name);
  if (!v.empty() && v[0] == '/') return v;
  return home() + fallback;
}

std::string override_or(const char* name, const std::string& fallback) {
  std::string v = env(name);
  return v.empty() ? fallback : v;
}

}  // namespace

std::string xdg_data_home() { return xdg("XDG_DATA_HOME", "/.local/share"); }
std::string xdg_state_home() { return xdg("XDG_STATE_HOME", "/.local/state"); }
std::string xdg_config_home() { return xdg("XDG_CONFIG_HOME", "/.config"); }

std::string xdg_runtime_dir() {
  std::string v = env("XDG_RUNTIME_DIR");
  if (!v.empty() && v[0] == '/') return v;
  return "/tmp/grypt-" + std::to_string(::geteuid());
}

std::string default_identity_path() {
  return override_or("GRYPT_IDENTITY", xdg_data_home() + "/grypt/identity");
}

std::string default_vault_path() {
  return override_or("GRYPT_VAULT", xdg_data_home() + "/grypt/vault");
}

std::string default_socket_path() {
  return override_or("GRYPT_SOCKET", xdg_runtime_dir() + "/grypt/gryptd.sock");
}

std::string default_cache_dir() { return xdg_state_home() + "/grypt"; }
std::string groups_file_path() { return xdg_config_home() + "/grypt/groups"; }

}  // namespace grypt
