// The operator's requests (man/grypt-protocol.7, ADMINISTRATION), the same
// whether the running server answers them over its socket or a verb runs
// them on the store directly.
#include "core/encoding.h"
#include "core/reference.h"
#include "gryptserver/server_impl.h"
#include "proto/admin.h"
#include "proto/frame.h"

namespace grypt {
namespace {

admin::Reply fail(const std::string& code, const std::string& message) {
  admin::Reply r;
  r.ok = false;
  r.code = code;
  r.message = message;
  return r;
}

}  // namespace

admin::Reply admin_reply(const OperatorView& v, const admin::Request& q) {
  admin::Reply r;
  if (q.type == admin::Request::Type::groups)
    for (GroupLive* g : v.relay.groups()) {
      std::uint64_t n_admins = 0;
      for (const RosterEntry& e : g->roster.entries()) n_admins += e.role == Role::admin;
      r.groups.push_back({g->name(), base64_encode(g->row.group_id, Base64::url_unpadded), v.group_reference(*g),
                          g->head().value(), g->roster.size(), n_admins, v.online(*g)});
    }
  if (q.type == admin::Request::Type::reference) {
    if (v.server_reference.empty())
      return fail("no-port", "the store listens on any free port, known only while the server runs: "
                             "start gryptserver serve, then ask again");
    r.reference = v.server_reference;
  }
  for (const PublicKey& k : v.admins) r.admins.push_back(k.to_string());
  return r;
}

admin::Reply handle_admin_offline(Store& store, std::span<const std::uint8_t> request) {
  admin::Request q;
  try {
    q = admin::decode_request(request);
  } catch (const ProtocolError& e) {
    return fail("protocol", e.what());
  }
  if (q.type == admin::Request::Type::admit || q.type == admin::Request::Type::revoke) {
    store.set_admin(PublicKey::parse(q.key), q.type == admin::Request::Type::admit);
    q.type = admin::Request::Type::admins;
  }
  Relay relay(store.groups(), store);
  std::vector<PublicKey> admins = store.admins();
  Identity id = store.server_identity();
  ListenAddress l = parse_listen(store.listen());
  std::vector<Endpoint> endpoints = store.endpoints();
  if (endpoints.empty() && l.port != 0) endpoints.push_back({store.host(), l.port});
  OperatorView v{relay, admins, endpoints.empty() ? "" : ServerReference{id.public_key(), endpoints}.to_string(),
                 [&](const GroupLive& g) -> std::string {
                   if (endpoints.empty()) return "";
                   return GroupReference{id.public_key(), g.row.group_id, endpoints, g.name()}.to_string();
                 },
                 [](const GroupLive&) { return std::uint64_t{0}; }};
  return admin_reply(v, q);
}

}  // namespace grypt
