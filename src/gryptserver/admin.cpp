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

admin::Reply admin_reply(Store&, Relay& relay, std::vector<PublicKey>& admins,
                         const std::function<std::string(const GroupLive&)>& reference,
                         const std::function<std::uint64_t(const GroupLive&)>& online,
                         std::span<const std::uint8_t> body) {
  admin::Request q;
  try {
    q = admin::decode_request(body);
  } catch (const ProtocolError& e) {
    return fail("protocol", e.what());
  }
  admin::Reply r;
  switch (q.type) {
    case admin::Request::Type::groups:
      for (GroupLive* g : relay.groups()) {
        std::uint64_t n_admins = 0;
        for (const RosterEntry& e : g->roster.entries()) n_admins += e.role == Role::admin;
        r.groups.push_back({g->name(), base64_encode(g->row.group_id, Base64::url_unpadded), reference(*g),
                            g->head().value(), g->roster.size(), n_admins, online(*g)});
      }
      break;
    case admin::Request::Type::admit:
    case admin::Request::Type::revoke:
    case admin::Request::Type::admins:
      break;
  }
  for (const PublicKey& k : admins) r.admins.push_back(k.to_string());
  return r;
}

admin::Reply handle_admin_offline(Store& store, std::span<const std::uint8_t> request) {
  Relay relay(store.groups(), store);
  std::vector<PublicKey> admins = store.admins();
  admin::Request q = admin::decode_request(request);
  if (q.type == admin::Request::Type::admit || q.type == admin::Request::Type::revoke) {
    store.set_admin(PublicKey::parse(q.key), q.type == admin::Request::Type::admit);
    admins = store.admins();
  }
  Identity id = store.server_identity();
  auto reference = [&](const GroupLive& g) -> std::string {
    ListenAddress l = parse_listen(store.listen());
    if (l.port == 0) return "";
    GroupReference ref{id.public_key(), g.row.group_id, {{store.host(), l.port}}, g.name()};
    return ref.to_string();
  };
  return admin_reply(store, relay, admins, reference, [](const GroupLive&) { return std::uint64_t{0}; },
                     admin::encode(admin::Request{admin::Request::Type::groups, ""}));
}

}  // namespace grypt
