// GET /v1/statistics: the figures of the caller's agency (supervisors,
// officers) or of every agency served here (auditors, with a
// justification). Counts only: no case content, so no consultation entry.
#include <httplib.h>

#include "api_support.h"
#include "lintas/common/clock.h"
#include "lintas/node/node.h"
#include "routes.h"

namespace lintas::node {

void AddStatisticsRoutes(httplib::Server& srv, Node* node) {
  srv.Get("/v1/statistics", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor", "auditor"});
    if (!who) return;
    bool auditor = !who->user.Has("officer") && !who->user.Has("supervisor");
    if (auditor && !api::MayReadCase(*node, *who, "", api::Justification(req), res)) return;
    auto stats = node->cases().Statistics(auditor ? "" : who->user.agency, NowMicros());
    if (!stats.ok()) return api::ReplyError(res, stats.error());
    api::Reply(res, 200, *stats);
  });
}

}  // namespace lintas::node
