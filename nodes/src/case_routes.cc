// Routes for the case model: new referrals, requests and alerts, each step
// on an item, the case views, overdue items, missed deadlines.
#include <httplib.h>

#include "api_support.h"
#include "case_actions.h"
#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/node.h"
#include "routes.h"

namespace lintas::node {
namespace {

using api::json;

actions::Context ContextFor(Node* node, const Principal& who) {
  return actions::Context{who, node->config(), node->cases().options(), node->ids(), NowMicros()};
}

json Queued(const Submitted& s) {
  json j{{"id", s.id.ToString()}, {"status", StateName(s.status.state)}, {"local_seq", s.status.local_seq},
         {"queued_at_us", s.status.queued_at_us}};
  return j;
}

void Submit(Node* node, const Principal& who, Result<std::string> built, httplib::Response& res) {
  if (!built.ok()) return api::ReplyError(res, built.error());
  auto submitted = node->SubmitAs(who, std::move(*built));
  if (!submitted.ok()) return api::ReplyError(res, submitted.error());
  api::Reply(res, 202, Queued(*submitted));
}

// One step on the item `id` names (an item id, or any event of the item).
void DoStep(Node* node, const httplib::Request& req, httplib::Response& res, const std::string& id,
            const std::string& action, const json& body) {
  auto who = api::Require(*node, req, res, {"officer", "supervisor"});
  if (!who) return;
  auto ref = node->cases().FindItem(id);
  if (!ref.ok()) return api::ReplyError(res, ref.error());
  if (!ref->has_value() || (*ref)->case_id.empty()) {
    return api::Fail(res, errc::not_found, "id", "no referral or request " + id + " on this node");
  }
  if (!api::MayReadCase(*node, *who, (*ref)->case_id, "", res)) return;
  auto item = node->cases().Item(**ref, NowMicros());
  if (!item.ok()) return api::ReplyError(res, item.error());
  if (!item->has_value()) return api::Fail(res, errc::not_found, "id", "no item " + id);
  Submit(node, *who, actions::Step(action, body, **item, ContextFor(node, *who)), res);
}

std::string Param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : "";
}


// Unread marks: the case's update time when the user last opened it
// ("seen/<user>/<case>"; not synced: a mark lost in a crash shows a case as
// unread once more).
std::string SeenKey(const std::string& user, const std::string& case_id) { return "seen/" + user + "/" + case_id; }

bool Unread(Node* node, const std::string& user, const json& kase) {
  auto seen = node->store().Get(SeenKey(user, kase.value("case_id", "")));
  if (!seen.ok() || !seen->has_value()) return true;
  return kase.value("updated_at_us", int64_t{0}) > std::strtoll((*seen)->c_str(), nullptr, 10);
}

void MarkSeen(Node* node, const std::string& user, const json& kase) {
  auto s = node->store().Put(SeenKey(user, kase.value("case_id", "")),
                             std::to_string(kase.value("updated_at_us", int64_t{0})), false);
  if (!s.ok()) GetLogger("node")->warn("unread mark not stored user={} error={}", user, s.error().message);
}

}  // namespace

void AddCaseRoutes(httplib::Server& srv, Node* node) {
  srv.Post("/v1/referrals", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor"});
    if (!who) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    Submit(node, *who, actions::NewReferral(*body, ContextFor(node, *who)), res);
  });
  srv.Post("/v1/requests", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor"});
    if (!who) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    Submit(node, *who, actions::NewRequest(*body, ContextFor(node, *who)), res);
  });
  srv.Post("/v1/alerts", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor"});
    if (!who) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    Submit(node, *who, actions::NewAlert(*body, ContextFor(node, *who)), res);
  });
  srv.Post(R"(/v1/alerts/([^/]+)/cancel)", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor"});
    if (!who) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    auto alert = node->cases().Item(ItemRef{"", std::string(req.matches[1])}, NowMicros());
    if (!alert.ok()) return api::ReplyError(res, alert.error());
    if (!alert->has_value()) return api::Fail(res, errc::not_found, "id", "no alert " + std::string(req.matches[1]));
    Submit(node, *who, actions::CancelAlert(*body, **alert, ContextFor(node, *who)), res);
  });
  srv.Get("/v1/alerts", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor", "auditor"});
    if (!who) return;
    std::string state = Param(req, "state");
    if (!state.empty() && state != "active" && state != "expired" && state != "cancelled") {
      return api::Fail(res, errc::bad_input, "state", "state: must be active, expired or cancelled");
    }
    auto alerts = node->cases().Alerts(state, NowMicros());
    if (!alerts.ok()) return api::ReplyError(res, alerts.error());
    std::vector<std::string> ids;
    for (const auto& a : *alerts) ids.push_back(a.value("item_id", ""));
    if (!ids.empty() && !api::LogRead(*node, *who, req, "list_alerts", "", ids, res)) return;
    api::Reply(res, 200, {{"alerts", *alerts}});
  });

  srv.Post(R"(/v1/items/([^/]+)/([a-z-]+))", [node](const httplib::Request& req, httplib::Response& res) {
    auto body = api::ParseObject(req, res);
    if (!body) return;
    DoStep(node, req, res, std::string(req.matches[1]), std::string(req.matches[2]), *body);
  });
  // The first API's answers, kept: acknowledge and read receipts by event id.
  srv.Post(R"(/v1/events/([^/]+)/acknowledge)", [node](const httplib::Request& req, httplib::Response& res) {
    auto body = api::ParseObject(req, res);
    if (!body) return;
    DoStep(node, req, res, std::string(req.matches[1]), "acknowledge", *body);
  });
  srv.Post(R"(/v1/events/([^/]+)/receipt)", [node](const httplib::Request& req, httplib::Response& res) {
    auto body = api::ParseObject(req, res);
    if (!body) return;
    if (body->contains("kind") && (*body)["kind"] != "read") {
      return api::Fail(res, errc::bad_input, "kind", "kind: only \"read\" (delivery receipts are automatic)");
    }
    DoStep(node, req, res, std::string(req.matches[1]), "read", *body);
  });

  srv.Get(R"(/v1/items/([^/]+))", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor", "auditor"});
    if (!who) return;
    auto ref = node->cases().FindItem(std::string(req.matches[1]));
    if (!ref.ok()) return api::ReplyError(res, ref.error());
    if (!ref->has_value()) return api::Fail(res, errc::not_found, "id", "no item " + std::string(req.matches[1]));
    if (!api::MayReadCase(*node, *who, (*ref)->case_id, api::Justification(req), res)) return;
    auto item = node->cases().Item(**ref, NowMicros());
    if (!item.ok()) return api::ReplyError(res, item.error());
    if (!item->has_value()) return api::Fail(res, errc::not_found, "id", "no item");
    if (!api::LogRead(*node, *who, req, "view_item", (*ref)->case_id, {(*ref)->item_id}, res)) return;
    api::Reply(res, 200, **item);
  });

  srv.Get("/v1/cases", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor", "auditor"});
    if (!who) return;
    bool auditor = !who->user.Has("officer") && !who->user.Has("supervisor");
    if (auditor && !api::MayReadCase(*node, *who, "", api::Justification(req), res)) return;
    std::string state = Param(req, "state");
    if (!state.empty() && state != "open" && state != "closed") {
      return api::Fail(res, errc::bad_input, "state", "state: must be open or closed");
    }
    size_t limit = 100;
    if (req.has_param("limit")) limit = std::clamp<size_t>(std::strtoul(Param(req, "limit").c_str(), nullptr, 10), 1, 1000);
    auto cases = node->cases().ListCases(auditor ? "" : who->user.agency, state, limit, NowMicros());
    if (!cases.ok()) return api::ReplyError(res, cases.error());
    std::vector<std::string> ids;
    for (auto& c : *cases) {
      ids.push_back(c.value("case_id", ""));
      c["unread"] = Unread(node, who->user.id, c);
    }
    if (!ids.empty() && !api::LogRead(*node, *who, req, "list_cases", "", ids, res)) return;
    api::Reply(res, 200, {{"cases", *cases}});
  });

  srv.Get(R"(/v1/cases/([^/]+))", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor", "auditor"});
    if (!who) return;
    std::string case_id = req.matches[1];
    if (!api::MayReadCase(*node, *who, case_id, api::Justification(req), res)) return;
    auto view = node->cases().CaseView(case_id, NowMicros());
    if (!view.ok()) return api::ReplyError(res, view.error());
    if (!view->has_value()) return api::Fail(res, errc::not_found, "case_id", "no case " + case_id + " on this node");
    std::vector<std::string> ids;
    for (const auto& e : (**view)["events"]) ids.push_back(e.value("id", ""));
    if (!api::LogRead(*node, *who, req, "view_case", case_id, ids, res)) return;
    MarkSeen(node, who->user.id, **view);
    api::Reply(res, 200, **view);
  });

  srv.Get("/v1/overdue", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor"});
    if (!who) return;
    bool escalated = Param(req, "escalated") == "true" || Param(req, "escalated") == "1";
    if (escalated && !who->user.Has("supervisor")) {
      return api::Fail(res, errc::forbidden, "escalated", "escalated: escalations are for supervisors");
    }
    auto list = node->cases().Overdue(who->user.agency, escalated, NowMicros());
    if (!list.ok()) return api::ReplyError(res, list.error());
    std::vector<std::string> ids;
    for (const auto& i : *list) ids.push_back(i.value("item_id", ""));
    if (!ids.empty() && !api::LogRead(*node, *who, req, "list_overdue", "", ids, res)) return;
    api::Reply(res, 200, {{"items", *list}});
  });

  srv.Get("/v1/deadlines/missed", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"supervisor", "auditor"});
    if (!who) return;
    bool auditor = !who->user.Has("supervisor");
    if (auditor && !api::MayReadCase(*node, *who, "", api::Justification(req), res)) return;
    auto list = node->cases().Missed(auditor ? "" : who->user.agency);
    if (!list.ok()) return api::ReplyError(res, list.error());
    std::vector<std::string> ids;
    for (const auto& m : *list) ids.push_back(m.value("item_id", ""));
    if (!ids.empty() && !api::LogRead(*node, *who, req, "list_missed", "", ids, res)) return;
    api::Reply(res, 200, {{"missed", *list}});
  });
}

}  // namespace lintas::node
