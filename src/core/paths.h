// Where grypt keeps things by default (XDG Base Directory; man/grypt.7,
// FILES). Every path can be overridden by a flag, and these by environment
// variables: GRYPT_IDENTITY, GRYPT_VAULT, GRYPT_SOCKET. Relative XDG values
// are ignored, as the XDG specification asks.
#pragma once

#include <string>

namespace grypt {

std::string xdg_data_home();    // $XDG_DATA_HOME or ~/.local/share
std::string xdg_state_home();   // $XDG_STATE_HOME or ~/.local/state
std::string xdg_config_home();  // $XDG_CONFIG_HOME or ~/.config
// $XDG_RUNTIME_DIR, else /tmp/grypt-UID (created 0700 by the daemon).
std::string xdg_runtime_dir();

std::string default_identity_path();  // $GRYPT_IDENTITY or DATA/grypt/identity
std::string default_vault_path();     // $GRYPT_VAULT or DATA/grypt/vault
std::string default_socket_path();    // $GRYPT_SOCKET or RUNTIME/grypt/gryptd.sock
std::string default_cache_dir();      // STATE/grypt
std::string groups_file_path();       // CONFIG/grypt/groups

}  // namespace grypt
