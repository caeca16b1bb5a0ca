// Routes for raw events, the inbox, readers, subscriptions and examples.
#include <algorithm>
#include <map>

#include <httplib.h>

#include "answer_handling.h"
#include "api_support.h"
#include "consent_filter.h"
#include "lintas/common/logging.h"
#include "lintas/audit/checkpoint.h"
#include "lintas/common/clock.h"
#include "lintas/node/event_json.h"
#include "lintas/node/node.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"
#include "recipients.h"
#include "routes.h"

namespace lintas::node {
namespace {

using api::json;

json StatusJson(const wire::EventId& id, const OutboxStatus& s) {
  json j{{"id", id.ToString()}, {"status", StateName(s.state)}, {"local_seq", s.local_seq},
         {"queued_at_us", s.queued_at_us}};
  if (s.state == OutboxState::kAcknowledged) {
    j["offset"] = s.offset;
    j["duplicate"] = s.duplicate;
  }
  if (s.state == OutboxState::kRefused) {
    j["error"] = {{"code", wire::ErrcName(static_cast<wire::errc>(s.code))}, {"field", s.field}, {"message", s.message}};
  }
  return j;
}

uint64_t QueryU64(const httplib::Request& req, const char* key, uint64_t fallback) {
  if (!req.has_param(key)) return fallback;
  const std::string& v = req.get_param_value(key);
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) return fallback;
  return std::stoull(v);
}

// {case_id, item_id, item} of a received event (item null when the event
// belongs to none, e.g. an alert outside a case).
json CaseContext(Node* node, const std::string& event_id) {
  json context{{"case_id", ""}, {"item_id", ""}, {"item", nullptr}};
  auto ref = node->cases().FindItem(event_id);
  if (!ref.ok() || !ref->has_value()) return context;
  context["case_id"] = (*ref)->case_id;
  context["item_id"] = (*ref)->item_id;
  auto item = node->cases().Item(**ref, NowMicros());
  if (item.ok() && item->has_value()) context["item"] = std::move(**item);
  return context;
}

// Hides in an event's API JSON what its case's consent no longer covers
// (consent_filter.h); returns the notes of what was hidden, by whom, when.
json WithinConsent(Node* node, json& event, const std::string& case_id) {
  auto record = node->cases().Consent(case_id);
  if (!record.ok()) {
    // Unknown consent: show nothing of the victim rather than too much.
    GetLogger("node")->error("consent record unreadable case={} error={}", case_id, record.error().message);
    return consent::FilterEvent(event, json{{"items", json::array()}, {"withdrawn", json::array()},
                                            {"withdrawn_all", nullptr}});
  }
  return consent::FilterEvent(event, *record);
}

bool Distributed(const fb::Event& e) {
  return e.distribution() && e.distribution()->kind() != fb::DistributionKind::Addressed;
}

void Health(Node* node, httplib::Response& res) {
  auto pending = node->store().PendingCount();
  json checkpoint = nullptr;
  auto kept = node->store().Get("audit/checkpoint");
  if (kept.ok() && kept->has_value()) {
    auto cp = audit::Checkpoint::Parse(**kept);
    if (cp.ok()) checkpoint = {{"size", cp->size}, {"root", audit::ToHex(cp->root)}, {"time_us", cp->time_us}};
  }
  auto alarm = node->store().Get("audit/alarm");
  bool alarmed = alarm.ok() && alarm->has_value();
  auto access_alarm = node->store().Get("access/alarm");
  bool access_alarmed = access_alarm.ok() && access_alarm->has_value();
  // Where the broker's signing key came from: the config, or first use
  // (said here as a warning: it should be distributed out of band).
  json warnings = json::array();
  json signing_key = nullptr;
  auto key = node->store().Get("audit/broker_key");
  if (key.ok() && key->has_value()) {
    auto source = node->store().Get("audit/broker_key_source");
    std::string from = source.ok() && source->has_value() ? **source : "first use";
    signing_key = {{"key", **key}, {"pinned_from", from}};
    if (from != "config") {
      warnings.push_back("the broker's signing key was pinned on first use; set audit.broker_signing_key");
    }
  }
  // Witnessed checkpoints (docs/AUDIT.md 3b): how many peers' co-signed
  // checkpoints agree with this node's, and the forks found.
  size_t consistent = 0;
  size_t forks = 0;
  if (auto peers = node->store().List("witness/peer/"); peers.ok()) {
    for (const auto& [k, v] : *peers) {
      auto peer = json::parse(v, nullptr, false);
      consistent += peer.is_object() && peer.value("status", "") == "consistent";
    }
  }
  if (auto found = node->store().List("audit/fork/"); found.ok()) forks = found->size();
  json witnessing = {{"peers_consistent", consistent}, {"forks", forks}};
  api::Reply(res, 200,
             {{"status", alarmed || access_alarmed ? "alarm" : "ok"}, {"node", node->config().id},
              {"country", node->config().country}, {"broker_connected", node->broker_connected()},
              {"outbox_pending", pending.ok() ? *pending : 0}, {"broker_checkpoint", checkpoint},
              {"audit_alarm", alarmed ? json(**alarm) : json(nullptr)},
              {"broker_signing_key", signing_key}, {"warnings", warnings}, {"witnesses", witnessing},
              {"consultation_log_alarm", access_alarmed ? json(**access_alarm) : json(nullptr)}});
}

}  // namespace

void AddEventRoutes(httplib::Server& srv, Node* node) {
  srv.Get("/v1/health", [node](const httplib::Request&, httplib::Response& res) { Health(node, res); });

  // A raw event in the schema's JSON (docs/API.md), for agency systems that
  // build their own; origin.agency and officer are the caller's.
  srv.Post("/v1/events", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor"});
    if (!who) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    if (body->contains("origin") && (*body)["origin"].is_object() && (*body)["origin"].contains("agency") &&
        (*body)["origin"]["agency"] != who->user.agency) {
      return api::Fail(res, errc::forbidden, "origin.agency",
                       "origin.agency: account '" + who->user.id + "' acts for " + who->user.agency + " only");
    }
    if (body->contains("officer") && (*body)["officer"] != who->user.id) {
      return api::Fail(res, errc::forbidden, "officer", "officer: is set by the node to the logged-in account");
    }
    (*body)["officer"] = who->user.id;
    // An answer that names no handling code inherits its parent's.
    if (body->contains("parent_id") && (*body)["parent_id"].is_string()) {
      if (auto s = InheritHandling(node->store(), node->seal().vault(), (*body)["parent_id"].get<std::string>(), *body); !s.ok()) {
        return api::ReplyError(res, s.error());
      }
    }
    auto binary = EventFromApiJson(std::move(*body), node->ids(), node->config().country, who->user.agency);
    if (!binary.ok()) return api::ReplyError(res, binary.error());
    auto verified = wire::VerifyEvent(wire::AsBytes(*binary));
    if (!verified.ok()) return api::ReplyError(res, verified.error());
    if (auto s = wire::ValidateEvent(**verified); !s.ok()) return api::ReplyError(res, s.error());
    auto recipients = ResolveRecipients(node->config(), **verified, DestinationField::kDestinations);
    if (!recipients.ok()) return api::ReplyError(res, recipients.error());
    auto submitted = node->SubmitAs(*who, std::move(*binary));
    if (!submitted.ok()) return api::ReplyError(res, submitted.error());
    json answer = StatusJson(submitted->id, submitted->status);
    answer["recipients"] = recipients->recipients;
    api::Reply(res, submitted->existed ? 200 : 202, answer);
  });

  // The broker's signed acknowledgement of an event this node sent
  // (docs/AUDIT.md 2a): ids and hashes only, no content.
  srv.Get(R"(/v1/events/([^/]+)/broker-receipt)", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor", "auditor"});
    if (!who) return;
    auto id = wire::EventId::Parse(std::string(req.matches[1]));
    if (!id.ok()) return api::Fail(res, errc::not_found, "id", "id: not an event id (a UUID)");
    auto receipt = node->store().Get("receipt/" + id->ToString());
    if (!receipt.ok()) return api::ReplyError(res, receipt.error());
    if (!receipt->has_value()) {
      return api::Fail(res, errc::not_found, "id", "no signed acknowledgement of " + id->ToString() + " on this node");
    }
    api::Reply(res, 200, json::parse(**receipt, nullptr, false));
  });

  srv.Get(R"(/v1/events/([^/]+))", [node](const httplib::Request& req, httplib::Response& res) {
    std::string id_text = req.matches[1];
    auto who = api::Require(*node, req, res, {"officer", "supervisor", "auditor"});
    if (!who) return;
    auto id = wire::EventId::Parse(id_text);
    if (!id.ok()) return api::Fail(res, errc::not_found, "id", "id: not an event id (a UUID)");
    auto event = node->FindEvent(*id);
    if (!event.ok()) return api::ReplyError(res, event.error());
    if (!event->has_value()) return api::Fail(res, errc::not_found, "id", "no event " + id->ToString() + " on this node");
    const fb::Event* e = fb::GetEvent((*event)->data());
    std::string case_id = e->case_id() ? e->case_id()->str() : "";
    if (!api::MayReadCase(*node, *who, case_id, api::Justification(req), res)) return;
    // Outside any case, an addressed event is its sender's and addressee's.
    bool worker = who->user.Has("officer") || who->user.Has("supervisor");
    if (case_id.empty() && worker && !Distributed(*e) && e->origin()->agency()->string_view() != who->user.agency &&
        LocalAgencyFor(node->cases().options(), *e) != who->user.agency) {
      return api::Fail(res, errc::not_found, "id", "no event " + id->ToString() + " of " + who->user.agency);
    }
    json j;
    auto status = node->store().GetStatus(*id);
    if (!status.ok()) return api::ReplyError(res, status.error());
    if (status->has_value()) {
      j = StatusJson(*id, **status);
      if (std::string why = node->WaitingReason(*id); !why.empty() && j.value("status", "") == "queued") {
        j["waiting"] = why;
      }
    } else {
      auto offset = node->store().InboxOffsetOf(*id);
      j = {{"id", id->ToString()}, {"status", "received"}};
      if (offset.ok() && offset->has_value()) j["offset"] = **offset;
    }
    if (auto ref = node->cases().FindItem(id->ToString()); ref.ok() && ref->has_value()) j["item_id"] = (*ref)->item_id;
    j["case_id"] = case_id;
    if (req.has_param("full")) {
      if (!api::LogRead(*node, *who, req, "view_event", case_id, {id->ToString()}, res)) return;
      auto ej = EventToApiJson(wire::AsBytes(**event));
      if (ej.ok()) {
        json hidden = WithinConsent(node, *ej, case_id);
        if (!hidden.empty()) j["consent_withdrawn"] = hidden;
        j["event"] = *ej;
      }
    }
    api::Reply(res, 200, j);
  });

  srv.Get("/v1/inbox", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor"});
    if (!who) return;
    std::string reader = req.has_param("reader") ? req.get_param_value("reader") : "";
    std::string cursor_key = "reader/" + who->user.id + "/" + reader;
    uint64_t after = QueryU64(req, "after", 0);
    if (!reader.empty() && !req.has_param("after")) {
      auto cursor = node->store().Get(cursor_key);
      if (cursor.ok() && cursor->has_value()) after = std::strtoull((*cursor)->c_str(), nullptr, 10);
    }
    uint64_t limit = std::clamp<uint64_t>(QueryU64(req, "limit", 100), 1, 1000);
    // ?context=item: each event with its item and case (what an agency
    // system files it under), read in the same consultation.
    bool with_context = req.has_param("context") && req.get_param_value("context") == "item";
    if (req.has_param("context") && !with_context) {
      return api::Fail(res, errc::bad_input, "context", "context: the only value is \"item\"");
    }
    json events = json::array();
    std::map<std::string, std::vector<std::string>> shown;  // case -> event ids
    uint64_t last = after;
    // Pages of the inbox until `limit` events for this agency are found.
    for (int pages = 0; events.size() < limit && pages < 20; ++pages) {
      auto entries = node->store().ReadInbox(last, limit);
      if (!entries.ok()) return api::ReplyError(res, entries.error());
      if (entries->empty()) break;
      for (const auto& e : *entries) {
        last = e.offset;
        auto record = wire::VerifyRecord(wire::AsBytes(e.record));
        if (!record.ok()) {
          GetLogger("node")->error("inbox record unreadable, not shown offset={} error={}", e.offset,
                                   record.error().message);
          continue;
        }
        auto bytes = wire::RecordEventBytes(**record);
        const fb::Event* ev = fb::GetEvent(bytes.data());
        if (!Distributed(*ev) && LocalAgencyFor(node->cases().options(), *ev) != who->user.agency) continue;
        // Sealed content is opened for the reader; what cannot be opened is
        // listed with its routing fields and the reason, never skipped.
        auto readable = node->seal().Readable(bytes);
        auto ej = EventToApiJson(readable.ok() ? wire::AsBytes(*readable) : bytes);
        if (ej.ok() && !readable.ok()) ej->erase("sealed");
        if (!ej.ok()) {
          GetLogger("node")->error("inbox event not convertible to JSON, not shown offset={} error={}", e.offset,
                                   ej.error().message);
          continue;
        }
        std::string event_id = wire::EventId::FromFb(*ev->id()).ToString();
        std::string case_id = ev->case_id() ? ev->case_id()->str() : "";
        shown[case_id].push_back(event_id);
        json hidden = WithinConsent(node, *ej, case_id);
        events.push_back({{"offset", e.offset}, {"received_at_us", (*record)->received_at_us()},
                          {"publisher", (*record)->publisher()->node_id()->str()}, {"event", *ej}});
        if (!readable.ok()) events.back()["unreadable"] = readable.error().message;
        if (!hidden.empty()) events.back()["consent_withdrawn"] = hidden;
        if (with_context) events.back()["case"] = CaseContext(node, event_id);
        if (events.size() >= limit) break;
      }
    }
    // One consultation entry per case shown, so that `audit local --case`
    // finds who read a case's events in the inbox too.
    for (const auto& [case_id, ids] : shown) {
      if (!api::LogRead(*node, *who, req, "view_inbox", case_id, ids, res)) return;
    }
    api::Reply(res, 200, {{"events", events}, {"next_after", last}});
  });

  srv.Post(R"(/v1/readers/([a-z0-9_.-]{1,64})/ack)", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor"});
    if (!who) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    if (!body->contains("offset") || !(*body)["offset"].is_number_unsigned()) {
      return api::Fail(res, errc::bad_input, "offset", "offset: is required (an inbox offset)");
    }
    std::string name = req.matches[1];
    auto s = node->store().Put("reader/" + who->user.id + "/" + name,
                               std::to_string((*body)["offset"].get<uint64_t>()), true);
    if (!s.ok()) return api::ReplyError(res, s.error());
    api::Reply(res, 200, {{"reader", name}, {"offset", (*body)["offset"]}});
  });

  srv.Get("/v1/subscriptions", [node](const httplib::Request& req, httplib::Response& res) {
    if (!api::Authenticate(*node, req, res)) return;
    auto subs = node->Subscriptions();
    if (!subs.ok()) return api::ReplyError(res, subs.error());
    json list = json::array();
    for (const auto& sub : *subs) {
      list.push_back({{"name", sub.name}, {"origin_countries", sub.origin_countries},
                      {"alert_categories", sub.alert_categories}, {"body_types", sub.body_types},
                      {"min_priority", sub.min_priority}});
    }
    api::Reply(res, 200, {{"subscriptions", list}});
  });

  // Subscriptions are the node's, for every agency it serves: supervisors
  // and administrators manage them.
  srv.Post("/v1/subscriptions", [node](const httplib::Request& req, httplib::Response& res) {
    if (!api::Require(*node, req, res, {"supervisor", "admin"})) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    SubscriptionConfig sub;
    try {
      sub.name = body->value("name", "");
      sub.origin_countries = body->value("origin_countries", std::vector<std::string>{});
      sub.alert_categories = body->value("alert_categories", std::vector<std::string>{});
      sub.body_types = body->value("body_types", std::vector<std::string>{});
      sub.min_priority = body->value("min_priority", "Routine");
    } catch (const json::exception&) {
      return api::Fail(res, errc::bad_input, "body", "body: fields have the wrong types (lists of strings expected)");
    }
    std::string categories;
    for (auto v : fb::EnumValuesAlertCategory()) categories += std::string(categories.empty() ? "" : ", ") + fb::EnumNameAlertCategory(v);
    for (const auto& c : sub.alert_categories) {
      bool known = false;
      for (auto v : fb::EnumValuesAlertCategory()) known |= c == fb::EnumNameAlertCategory(v);
      if (!known) return api::Fail(res, errc::bad_input, "alert_categories", "alert_categories: unknown '" + c + "'; use " + categories);
    }
    bool known_priority = false;
    for (auto v : fb::EnumValuesPriority()) known_priority |= sub.min_priority == fb::EnumNamePriority(v);
    if (!known_priority) return api::Fail(res, errc::bad_input, "min_priority", "min_priority: must be Routine, Urgent or LifeThreatening");
    if (sub.name.empty() || sub.name.size() > 64 || sub.name == "inbox") {
      return api::Fail(res, errc::bad_input, "name", "name: is required (1-64 characters, not \"inbox\")");
    }
    if (auto s = node->AddSubscription(sub); !s.ok()) return api::ReplyError(res, s.error());
    api::Reply(res, 201, {{"name", sub.name}});
  });

  srv.Delete(R"(/v1/subscriptions/([a-z0-9_.-]+))", [node](const httplib::Request& req, httplib::Response& res) {
    if (!api::Require(*node, req, res, {"supervisor", "admin"})) return;
    auto subs = node->Subscriptions();
    if (!subs.ok()) return api::ReplyError(res, subs.error());
    bool known = std::any_of(subs->begin(), subs->end(), [&](const auto& s) { return s.name == req.matches[1]; });
    if (!known) return api::Fail(res, errc::not_found, "name", "no subscription " + std::string(req.matches[1]));
    if (auto s = node->RemoveSubscription(req.matches[1]); !s.ok()) return api::ReplyError(res, s.error());
    res.status = 204;
  });

  srv.Get(R"(/v1/examples/([A-Za-z]+))", [node](const httplib::Request& req, httplib::Response& res) {
    if (!api::Authenticate(*node, req, res)) return;
    for (auto type : wire::AllBodyTypes()) {
      if (req.matches[1] != fb::EnumNameBody(type)) continue;
      auto event = wire::ExampleEvent(type, node->ids().Next(), NowMicros());
      auto ej = EventToApiJson(wire::AsBytes(wire::PackEvent(event)));
      if (!ej.ok()) return api::ReplyError(res, ej.error());
      return api::Reply(res, 200, *ej);
    }
    api::Fail(res, errc::not_found, "body_type", "body_type: unknown body type");
  });
}

}  // namespace lintas::node
