// Routes for the case model: new referrals, requests and alerts, each step
// on an item, the case views, overdue items, missed deadlines.
#include <algorithm>
#include <array>

#include <httplib.h>
#include <sodium.h>

#include "answer_handling.h"
#include "api_support.h"
#include "case_actions.h"
#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/event_json.h"
#include "lintas/node/node.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/verify.h"
#include "recipients.h"
#include "lintas/node/erasure_worker.h"
#include "consent_scope.h"
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
  if (s.existed) {  // submitted before: its status, nothing queued again
    j["duplicate"] = true;
    if (s.status.state == OutboxState::kAcknowledged) j["offset"] = s.status.offset;
    if (s.status.state == OutboxState::kRefused) {
      j["error"] = {{"code", wire::ErrcName(static_cast<wire::errc>(s.status.code))},
                    {"field", s.status.field},
                    {"message", s.status.message}};
    }
  }
  return j;
}

// The event id of a client's own stable reference (`client_ref`, e.g. a case
// system's row id): SHA-256("lintas-client-ref/v1\n" country "\n" agency "\n"
// ref), first 16 bytes, with the UUIDv7 version and variant bits set (its
// timestamp bits carry no time). The same reference from the same agency is
// always the same event, which the outbox and the broker dedup; the agency
// is the caller's, so two agencies' references never collide.
wire::EventId ClientRefId(const std::string& country, const std::string& agency, const std::string& ref) {
  std::string input = "lintas-client-ref/v1\n" + country + "\n" + agency + "\n" + ref;
  std::array<unsigned char, crypto_hash_sha256_BYTES> hash{};
  crypto_hash_sha256(hash.data(), reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::array<uint8_t, wire::EventId::kSize> bytes{};
  std::copy_n(hash.begin(), bytes.size(), bytes.begin());
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x70);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);
  return wire::EventId(bytes);
}

// A consent refusal names the schema's field; a referral's author wrote the
// API's (victim.age, not body.victim.age_years).
Error InApiTerms(Error e) {
  if (e.code != make_error_code(errc::outside_consent)) return e;
  static const std::pair<const char*, const char*> kNames[] = {
      {"body.victim.age_years", "victim.age"}, {"body.victim.nationality_claimed", "victim.nationality"},
      {"body.victim.", "victim."}, {"body.consent.items", "consent"}};
  for (const auto& [schema, api] : kNames) {
    if (e.field.rfind(schema, 0) != 0) continue;
    std::string field = api + e.field.substr(std::string_view(schema).size());
    if (e.message.rfind(e.field, 0) == 0) e.message = field + e.message.substr(e.field.size());
    e.field = field;
    break;
  }
  return e;
}

using Builder = Result<std::string> (*)(const json&, const actions::Context&);

// POST /v1/referrals and /v1/requests: the optional `client_ref` fixes the
// event id (a re-submission answers 200 with `duplicate: true` and the
// status); `?dry_run=true` runs every check and answers 200 with what would
// be sent, queueing nothing.
void SubmitNew(Node* node, const httplib::Request& req, httplib::Response& res, Builder build) {
  auto who = api::Require(*node, req, res, {"officer", "supervisor"});
  if (!who) return;
  auto body = api::ParseObject(req, res);
  if (!body) return;
  std::string dry = req.has_param("dry_run") ? req.get_param_value("dry_run") : "false";
  if (dry != "true" && dry != "1" && dry != "false" && dry != "0") {
    return api::Fail(res, errc::bad_input, "dry_run", "dry_run: must be true or false");
  }
  bool dry_run = dry == "true" || dry == "1";
  actions::Context ctx = ContextFor(node, *who);
  if (body->contains("client_ref")) {
    const json& ref = (*body)["client_ref"];
    if (!ref.is_string() || ref.get<std::string>().empty() || ref.get<std::string>().size() > 128) {
      return api::Fail(res, errc::bad_input, "client_ref", "client_ref: must be a string of 1-128 bytes");
    }
    ctx.id = ClientRefId(node->config().country, who->user.agency, ref.get<std::string>());
    // Submitted before: its status, before the body is judged again (its
    // `due` may have passed since).
    auto existing = node->store().GetStatus(*ctx.id);
    if (!existing.ok()) return api::ReplyError(res, existing.error());
    if (existing->has_value()) {
      json answer = Queued(Submitted{*ctx.id, **existing, true});
      if (dry_run) answer["dry_run"] = true;
      return api::Reply(res, 200, answer);
    }
  }
  // Re-addressing an item keeps its handling code unless a stricter one is picked.
  if (body->contains("readdresses") && (*body)["readdresses"].is_string()) {
    if (auto s = InheritHandling(node->store(), node->seal().vault(), (*body)["readdresses"].get<std::string>(), *body); !s.ok()) {
      return api::ReplyError(res, s.error());
    }
  }
  auto built = build(*body, ctx);
  if (!built.ok()) return api::ReplyError(res, built.error());
  auto verified = wire::VerifyEvent(wire::AsBytes(*built));
  if (!verified.ok()) return api::ReplyError(res, verified.error());
  // Who will receive it, resolved as the broker will (an addressee no agency
  // answers to is refused here, naming `to`).
  auto resolved = ResolveRecipients(node->config(), **verified, DestinationField::kTo);
  if (!resolved.ok()) return api::ReplyError(res, resolved.error());
  auto event = dry_run ? EventToApiJson(wire::AsBytes(*built)) : Result<json>(json());
  if (!event.ok()) return api::ReplyError(res, event.error());
  auto submitted = node->SubmitAs(*who, std::move(*built), dry_run);
  if (!submitted.ok()) return api::ReplyError(res, InApiTerms(submitted.error()));
  if (!dry_run) {
    json answer = Queued(*submitted);
    answer["recipients"] = resolved->recipients;
    return api::Reply(res, submitted->existed ? 200 : 202, answer);
  }
  json answer = submitted->existed ? Queued(*submitted) : json{{"id", submitted->id.ToString()}};
  answer["dry_run"] = true;
  answer["addressees"] = resolved->addressees;
  answer["recipients"] = resolved->recipients;
  if (!submitted->existed) answer["event"] = *event;
  api::Reply(res, 200, answer);
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
  actions::Context ctx = ContextFor(node, *who);
  if (action != "consent") return Submit(node, *who, actions::Step(action, body, **item, ctx), res);
  // A consent change goes to every holder of the case; the answer names them.
  auto kase = node->cases().CaseView((*ref)->case_id, ctx.now_us, 0);
  if (!kase.ok()) return api::ReplyError(res, kase.error());
  if (kase->has_value()) ctx.parties = (**kase)["parties"];
  auto built = actions::Step(action, body, **item, ctx);
  if (!built.ok()) return api::ReplyError(res, built.error());
  auto verified = wire::VerifyEvent(wire::AsBytes(*built));
  if (!verified.ok()) return api::ReplyError(res, verified.error());
  auto resolved = ResolveRecipients(node->config(), **verified, DestinationField::kTo);
  if (!resolved.ok()) return api::ReplyError(res, resolved.error());
  auto submitted = node->SubmitAs(*who, std::move(*built));
  if (!submitted.ok()) return api::ReplyError(res, submitted.error());
  json answer = Queued(*submitted);
  answer["addressees"] = resolved->addressees;
  answer["recipients"] = resolved->recipients;
  api::Reply(res, 202, answer);
}

// POST /v1/cases/{id}/erase (role dpo, docs/ERASURE.md): a CaseErased to
// every other holder, and the case's keys destroyed here in the same write;
// a case no other agency holds is erased here only.
void EraseCase(Node* node, const httplib::Request& req, httplib::Response& res) {
  auto who = api::Require(*node, req, res, {"dpo"});
  if (!who) return;
  auto body = api::ParseObject(req, res);
  if (!body) return;
  std::string case_id = req.matches[1];
  int64_t now = NowMicros();
  auto party = node->cases().IsParty(case_id, who->user.agency);
  if (!party.ok()) return api::ReplyError(res, party.error());
  if (!*party) return api::Fail(res, errc::not_found, "id", "no case " + case_id + " of " + who->user.agency + " on this node");
  auto kase = node->cases().CaseView(case_id, now, 0);
  if (!kase.ok()) return api::ReplyError(res, kase.error());
  if (!kase->has_value()) return api::Fail(res, errc::not_found, "id", "no case " + case_id + " on this node");
  if ((*kase)->contains("erased")) {
    return api::Fail(res, errc::conflict, "id",
                     "case " + case_id + " was erased already, on " + consent::WhenBy((**kase)["erased"]));
  }
  actions::Context ctx = ContextFor(node, *who);
  ctx.parties = (**kase)["parties"];
  auto built = actions::EraseCase(*body, case_id, ctx);
  if (!built.ok() && built.error().code == make_error_code(errc::conflict)) {
    // Nobody else holds it: erased here, with no event.
    // EraseCase checked the justification before it looked for holders.
    json tombstone = Erasure{.case_id = case_id,
                             .at_us = now,
                             .country = node->config().country,
                             .agency = who->user.agency,
                             .officer = who->user.id,
                             .justification = body->value("justification", ""),
                             .legal_basis = body->value("legal_basis", ""),
                             .reason = "request"}
                         .ToJson();
    auto done = node->erasure().EraseHere(case_id, tombstone, now);
    if (!done.ok()) return api::ReplyError(res, done.error());
    return api::Reply(res, 200, {{"case_id", case_id}, {"erased", tombstone}, {"addressees", json::array()}});
  }
  if (!built.ok()) return api::ReplyError(res, built.error());
  auto verified = wire::VerifyEvent(wire::AsBytes(*built));
  if (!verified.ok()) return api::ReplyError(res, verified.error());
  auto resolved = ResolveRecipients(node->config(), **verified, DestinationField::kTo);
  if (!resolved.ok()) return api::ReplyError(res, resolved.error());
  json tombstone = ErasureTombstone(**verified, "request");
  auto submitted = node->SubmitAs(*who, std::move(*built));
  if (!submitted.ok()) return api::ReplyError(res, submitted.error());
  json answer = Queued(*submitted);
  answer["case_id"] = case_id;
  answer["erased"] = tombstone;
  answer["addressees"] = resolved->addressees;
  answer["recipients"] = resolved->recipients;
  api::Reply(res, 202, answer);
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
    SubmitNew(node, req, res, actions::NewReferral);
  });
  srv.Post("/v1/requests", [node](const httplib::Request& req, httplib::Response& res) {
    SubmitNew(node, req, res, actions::NewRequest);
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
    // The cancellation keeps the alert's handling code.
    json facts = **alert;
    if (auto s = InheritHandling(node->store(), node->seal().vault(), facts.value("item_id", ""), facts); !s.ok()) {
      return api::ReplyError(res, s.error());
    }
    Submit(node, *who, actions::CancelAlert(*body, facts, ContextFor(node, *who)), res);
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

  srv.Post(R"(/v1/cases/([^/]+)/erase)", [node](const httplib::Request& req, httplib::Response& res) {
    EraseCase(node, req, res);
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
