// Administration requests (man/grypt-protocol.7, ADMINISTRATION), the same
// whether they come over the running server's socket or are run by the
// admin verbs on the store directly.
#include <ctime>

#include "core/encoding.h"
#include "gryptserver/server.h"
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

// The stable code of an error a request can meet.
std::string code_of(const std::string& message) {
  if (message.find("no group named") != std::string::npos) return "unknown-group";
  if (message.find("has no member") != std::string::npos) return "unknown-member";
  if (message.find("has no pending request") != std::string::npos) return "unknown-pending";
  if (message.find("has a member named") != std::string::npos) return "name-taken";
  if (message.find("is a member of") != std::string::npos ||
      message.find("signing half") != std::string::npos)
    return "key-taken";
  if (message.find("exists already") != std::string::npos) return "name-taken";
  if (message.find("invalid member name") != std::string::npos ||
      message.find("invalid group name") != std::string::npos)
    return "bad-name";
  if (message.find("public key") != std::string::npos) return "bad-key";
  return "store";
}

admin::Reply run(AdminContext& ctx, const admin::Request& q) {
  Authority& a = ctx.authority;
  admin::Reply r;
  if (q.type == "groups") {
    for (GroupData* g : a.groups()) {
      std::uint64_t n = 0;
      for (const MemberRow& m : g->members) n += !m.until;
      GroupReference ref = a.reference(*g);
      r.groups.push_back({g->row.name, base64_encode(g->row.group_id, Base64::url_unpadded),
                          ref.port != 0 ? ref.to_string() : "", g->row.epoch.value(), n,
                          g->pending_count});
    }
    return r;
  }
  if (q.type == "init") {
    r.epoch = a.init_group(q.group, ctx.actor).row.epoch.value();
    r.reference = a.reference(a.get(q.group)).to_string();
    return r;
  }
  if (q.type == "add") {
    r.epoch = a.add(q.group, q.key, q.name, q.history, ctx.actor).value();
    return r;
  }
  if (q.type == "remove") {
    Epoch e;
    a.remove(q.group, q.member, ctx.actor, &e);
    r.epoch = e.value();
    return r;
  }
  if (q.type == "rotate") {
    r.epoch = a.rotate(q.group, ctx.actor).value();
    return r;
  }
  GroupData& g = a.get(q.group);
  if (q.type == "members") {
    std::set<PublicKey> online = ctx.online ? ctx.online(g.row.name) : std::set<PublicKey>{};
    for (const MemberRow& m : g.members)
      if (!m.until)
        r.members.push_back({m.name, m.key.to_string(), m.since.value(), m.history, online.count(m.key) > 0});
  } else if (q.type == "pending") {
    for (const PendingRow& p : a.pending(g))
      r.pending.push_back({p.number, p.key.to_string(), p.note, p.first, p.last, p.count});
  } else if (q.type == "log") {
    for (const AuditRow& l : a.log(g)) r.log.push_back({l.time, l.actor, l.action, l.detail});
  } else if (q.type == "invite") {
    GroupReference ref = a.reference(g);
    if (ref.port == 0)
      throw UsageError("the store listens on any free port, known only while the server runs: "
                       "start gryptserver serve, then ask again");
    r.reference = ref.to_string();
  }
  return r;
}

}  // namespace

admin::Reply handle_admin(AdminContext& ctx, std::span<const std::uint8_t> request) {
  admin::Reply reply;
  try {
    reply = run(ctx, admin::decode_request(request));
  } catch (const ProtocolError& e) {
    reply = fail("protocol", e.what());
  } catch (const OpenError& e) {
    reply = fail("damaged", e.what());
  } catch (const FormatError& e) {
    reply = fail(code_of(e.what()) == "store" ? "bad-key" : code_of(e.what()), e.what());
  } catch (const UsageError& e) {
    reply = fail(code_of(e.what()), e.what());
  } catch (const Error& e) {
    reply = fail("store", e.what());
  }
  return reply;
}

}  // namespace grypt
