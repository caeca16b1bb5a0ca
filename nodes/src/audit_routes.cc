// Routes for the node's consultation log: the data-protection officer's
// export and the chain's verification.
#include <httplib.h>

#include "api_support.h"
#include "lintas/node/audit_client.h"
#include "lintas/node/audit_connection.h"
#include "lintas/node/human_time.h"
#include "lintas/common/clock.h"
#include "lintas/node/node.h"
#include "routes.h"

namespace lintas::node {

void AddAuditRoutes(httplib::Server& srv, Node* node) {
  srv.Get("/v1/audit/local", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"auditor"});
    if (!who) return;
    std::string justification = api::Justification(req);
    if (justification.empty()) {
      return api::Fail(res, errc::justification_required, "justification",
                       "justification: exporting the consultation log needs one");
    }
    AccessFilter f;
    f.case_id = req.has_param("case") ? req.get_param_value("case") : "";
    f.user = req.has_param("user") ? req.get_param_value("user") : "";
    int64_t now = NowMicros();
    if (req.has_param("from")) {
      auto from = ParseWhen(req.get_param_value("from"), now);
      if (!from) return api::Fail(res, errc::bad_input, "from", std::string("from: use ") + kWhenHelp);
      f.from_us = *from;
    }
    if (req.has_param("to")) {
      auto to = ParseWhen(req.get_param_value("to"), now);
      if (!to) return api::Fail(res, errc::bad_input, "to", std::string("to: use ") + kWhenHelp);
      f.to_us = *to;
    }
    f.limit = 100000;
    // The export is itself a read, recorded before it is answered.
    if (!api::LogRead(*node, *who, req, "export_access", f.case_id, {}, res)) return;
    auto entries = node->access_log().List(f);
    if (!entries.ok()) return api::ReplyError(res, entries.error());
    auto chain = node->access_log().Verify();
    if (!chain.ok()) return api::ReplyError(res, chain.error());
    api::json list = api::json::array();
    for (const auto& e : *entries) list.push_back(e.ToJson());
    api::Reply(res, 200,
               {{"node", node->config().id},
                {"entries", list},
                {"chain", {{"ok", chain->ok}, {"entries", chain->entries}, {"head", chain->head_hash},
                           {"first_bad_seq", chain->first_bad_seq}, {"problem", chain->problem}}}});
  });
  // The broker's consultation log (who received or replayed a case's events
  // there), read through the node's auditor identity. Blocks this HTTP
  // worker for the round trip (the connection is the worker's own).
  srv.Get("/v1/audit/broker", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"auditor"});
    if (!who) return;
    std::string justification = api::Justification(req);
    if (justification.empty()) {
      return api::Fail(res, errc::justification_required, "justification",
                       "justification: reading the broker's consultation log needs one");
    }
    const std::string& identity = node->config().audit_identity;
    if (identity.empty()) {
      return api::Fail(res, errc::not_found, "audit_identity",
                       "this node has no auditor identity (node.audit_identity); use lintas audit access");
    }
    NodeConfig auditor;
    try {
      auditor = LoadNodeConfig(identity);
    } catch (const std::exception& e) {
      return api::Fail(res, errc::storage, "audit_identity", std::string("node.audit_identity: ") + e.what());
    }
    std::string case_id = req.has_param("case") ? req.get_param_value("case").substr(0, 64) : "";
    if (!api::LogRead(*node, *who, req, "export_broker_access", case_id, {}, res)) return;
    auto conn = ConnectAuditor(auditor, "lintas-node-audit/0.1.0");
    if (!conn.ok()) return api::Fail(res, errc::unavailable, "broker", "the broker cannot be reached: " + conn.error().message);
    AuditClient client((*conn)->client.get());
    auto listing = client.Access(case_id, justification);
    if (!listing.ok()) return api::Fail(res, errc::unavailable, "broker", "the broker refused: " + listing.error().message);
    // Only records whose proof checked against the signed consultation log;
    // the others are named in `problems`.
    api::json list = api::json::array();
    for (const auto& proof : listing->records) {
      api::json j = AccessRecordJson(proof.record);
      if (!j.is_null()) list.push_back(std::move(j));
    }
    api::Reply(res, 200, {{"identity", auditor.id},
                          {"records", list},
                          {"verified_against_access_size", listing->checkpoint.parsed.access_size},
                          {"problems", listing->problems}});
  });
}

}  // namespace lintas::node
