#include "core/reference.h"

#include <algorithm>
#include <cstring>

#include "core/blake.h"
#include "core/bytes.h"
#include "core/encoding.h"
#include "core/error.h"
#include "core/text.h"

namespace grypt {
namespace {

constexpr std::string_view group_prefix = "grypt-ref:";
constexpr std::string_view server_prefix = "grypt-srv:";
constexpr std::string_view group_label = "grypt reference v2";
constexpr std::string_view server_label = "grypt server reference v2";
constexpr std::uint8_t version = 2;

bool host_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == ':' || c == '-';
}

void put_endpoints(std::vector<std::uint8_t>& b, const std::vector<Endpoint>& eps) {
  if (eps.empty() || eps.size() > max_endpoints) throw FormatError("a reference names 1 to 8 endpoints");
  b.push_back(static_cast<std::uint8_t>(eps.size()));
  for (const Endpoint& e : eps) {
    if (std::string d = reference_host_defect(e.host); !d.empty())
      throw FormatError("invalid reference host: " + d);
    if (e.port == 0) throw FormatError("invalid reference port 0");
    b.push_back(static_cast<std::uint8_t>(e.port >> 8));
    b.push_back(static_cast<std::uint8_t>(e.port));
    b.push_back(static_cast<std::uint8_t>(e.host.size()));
    b.insert(b.end(), e.host.begin(), e.host.end());
  }
}

std::string finish(std::vector<std::uint8_t> b, std::string_view label, std::string_view prefix) {
  auto sum = Blake(label).add(b).done();
  b.insert(b.end(), sum.begin(), sum.begin() + 4);
  return std::string(prefix) + base64_encode(b, Base64::url_unpadded);
}

// Reads a reference's bytes in the order grypt-protocol.7 gives its checks.
class Reader {
 public:
  Reader(std::string_view text, std::string_view prefix, std::string_view label, const char* what)
      : what_(what) {
    if (text.substr(0, prefix.size()) != prefix)
      throw FormatError(std::string("not a ") + what + " (it must start with " + std::string(prefix) + ")");
    if (!base64_try_decode(text.substr(prefix.size()), Base64::url_unpadded, b_))
      throw bad("not canonical base64url");
    if (b_.size() < 1 + 4) throw bad("too short");
    if (b_[0] != version)
      throw bad("version " + std::to_string(b_[0]) + " (this grypt reads version 2)");
    auto sum = Blake(label).add(std::span(b_).first(b_.size() - 4)).done();
    if (std::memcmp(sum.data(), b_.data() + b_.size() - 4, 4) != 0)
      throw bad("checksum mismatch (mistyped or damaged)");
    end_ = b_.size() - 4;
    at_ = 1;
  }
  std::span<const std::uint8_t> take(std::size_t n) {
    if (end_ - at_ < n) throw bad("its lengths do not add up");
    auto s = std::span(b_).subspan(at_, n);
    at_ += n;
    return s;
  }
  std::vector<Endpoint> endpoints() {
    std::size_t k = take(1)[0];
    if (k == 0 || k > max_endpoints) throw bad("it names " + std::to_string(k) + " endpoints, not 1 to 8");
    std::vector<Endpoint> out;
    for (std::size_t i = 0; i < k; ++i) {
      Endpoint e;
      e.port = get_be16(take(2).data());
      auto host = take(take(1)[0]);
      e.host.assign(host.begin(), host.end());
      if (e.port == 0) throw bad("port 0");
      if (std::string d = reference_host_defect(e.host); !d.empty()) throw bad("the host: " + d);
      out.push_back(std::move(e));
    }
    return out;
  }
  PublicKey key() {
    try {
      return PublicKey::from_bytes(take(64));
    } catch (const FormatError& e) {
      throw bad(std::string("the server key: ") + e.what());
    }
  }
  void end() {
    if (at_ != end_) throw bad("its lengths do not add up");
  }
  FormatError bad(const std::string& why) const { return FormatError(std::string("invalid ") + what_ + ": " + why); }

 private:
  const char* what_;
  std::vector<std::uint8_t> b_;
  std::size_t at_ = 0, end_ = 0;
};

}  // namespace

std::string reference_host_defect(std::string_view host) {
  if (host.empty() || host.size() > 253) return "a host is 1 to 253 characters";
  if (!std::all_of(host.begin(), host.end(), host_char))
    return "a host is a DNS name or an IP address, of letters, digits, '.', ':' and '-'";
  return "";
}

std::string ServerReference::to_string() const {
  std::vector<std::uint8_t> b{version};
  b.insert(b.end(), server.bytes().begin(), server.bytes().end());
  put_endpoints(b, endpoints);
  return finish(std::move(b), server_label, server_prefix);
}

ServerReference ServerReference::parse(std::string_view text) {
  Reader r(text, server_prefix, server_label, "server reference");
  ServerReference s;
  s.server = r.key();
  s.endpoints = r.endpoints();
  r.end();
  return s;
}

std::string GroupReference::to_string() const {
  if (std::string d = group_name_defect(name); !d.empty()) throw FormatError("invalid reference group: " + d);
  if (group == GroupId{}) throw FormatError("invalid reference group: a group id of zeros");
  std::vector<std::uint8_t> b{version};
  b.insert(b.end(), server.bytes().begin(), server.bytes().end());
  b.insert(b.end(), group.begin(), group.end());
  put_endpoints(b, endpoints);
  b.push_back(static_cast<std::uint8_t>(name.size()));
  b.insert(b.end(), name.begin(), name.end());
  return finish(std::move(b), group_label, group_prefix);
}

GroupReference GroupReference::parse(std::string_view text) {
  Reader r(text, group_prefix, group_label, "group reference");
  GroupReference g;
  g.server = r.key();
  auto id = r.take(32);
  std::copy(id.begin(), id.end(), g.group.begin());
  g.endpoints = r.endpoints();
  auto name = r.take(r.take(1)[0]);
  g.name.assign(name.begin(), name.end());
  r.end();
  if (std::string d = group_name_defect(g.name); !d.empty()) throw r.bad("the group name: " + d);
  // The zero id names no genesis (a genesis's own id field is zero): a
  // member would take any group's.
  if (g.group == GroupId{}) throw r.bad("a group id of zeros");
  return g;
}

}  // namespace grypt
