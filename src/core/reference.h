// References (man/grypt-protocol.7, REFERENCES): where a group's server is,
// which transport key it holds, and which group, as one string to copy.
//
//   endpoints     = k (1, 1 to 8) || k x (port (2) || h (1) || host (h, 1 to 253))
//   server ref    = "grypt-srv:" base64url(0x02 || server key (64) || endpoints || checksum (4))
//   group ref     = "grypt-ref:" base64url(0x02 || server key (64) || group id (32) || endpoints
//                                          || g (1) || group name (g) || checksum (4))
//   checksum      = BLAKE2b-256(label || every byte before it)[0..4), the label
//                   "grypt server reference v2" or "grypt reference v2"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/group.h"
#include "core/keys.h"

namespace grypt {

inline constexpr std::size_t max_endpoints = 8;

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

// A reference's host: 1 to 253 bytes of [A-Za-z0-9.:-]. Empty when valid,
// else what is wrong.
std::string reference_host_defect(std::string_view host);

struct ServerReference {
  PublicKey server;  // its transport key
  std::vector<Endpoint> endpoints;

  std::string to_string() const;  // FormatError for what a reader would refuse
  static ServerReference parse(std::string_view text);  // FormatError naming the defect
};

struct GroupReference {
  PublicKey server;
  GroupId group{};  // the genesis hash
  std::vector<Endpoint> endpoints;
  std::string name;  // the group's name on its server

  ServerReference server_reference() const { return {server, endpoints}; }
  std::string to_string() const;
  static GroupReference parse(std::string_view text);
};

}  // namespace grypt
