// GET /v1/stats: the ACTIP monitoring statistics over a period, grouped by
// the dimensions asked for (docs/STATISTICS.md); same readers as below.
// GET /v1/statistics: the figures of the caller's agency (supervisors,
// officers) or of every agency served here (auditors, with a
// justification). Counts only: no case content, so no consultation entry.
#include <httplib.h>

#include "api_support.h"
#include "lintas/common/clock.h"
#include "lintas/node/item_stats.h"
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
  srv.Get("/v1/stats", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor", "auditor"});
    if (!who) return;
    int64_t now = NowMicros();
    auto param = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
    auto query = ParseStatsQuery(param("from"), param("to"), param("by"), now);
    if (!query.ok()) return api::ReplyError(res, query.error());
    bool auditor = !who->user.Has("officer") && !who->user.Has("supervisor");
    if (auditor && !api::MayReadCase(*node, *who, "", api::Justification(req), res)) return;
    query->agency = auditor ? "" : who->user.agency;
    auto stats = node->cases().Stats(*query, now);
    if (!stats.ok()) return api::ReplyError(res, stats.error());
    api::Reply(res, 200, *stats);
  });
}

}  // namespace lintas::node
