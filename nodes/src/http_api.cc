// HTTP/JSON API handlers.
#include "lintas/node/http_api.h"

#include "lintas/audit/checkpoint.h"

#include <stdexcept>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "lintas/common/clock.h"
#include "lintas/node/event_json.h"
#include "lintas/node/node.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

namespace lintas::node {
namespace {

using nlohmann::json;

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void ReplyError(httplib::Response& res, const Error& e) {
  int status = 500;
  if (e.code.category() == wire::WireCategory()) {
    switch (static_cast<wire::errc>(e.code.value())) {
      case wire::errc::message_too_large: status = 413; break;
      case wire::errc::json_invalid:
      case wire::errc::event_invalid:
      case wire::errc::event_unverifiable:
      case wire::errc::wrong_identifier:
      case wire::errc::origin_mismatch:
      case wire::errc::unknown_destination:
        status = 400;
        break;
      default: break;
    }
  }
  Reply(res, status, {{"error", {{"code", e.code.message()}, {"field", e.field}, {"message", e.message}}}});
}

void BadRequest(httplib::Response& res, const std::string& field, const std::string& message) {
  ReplyError(res, Error{wire::errc::json_invalid, field + ": " + message, field});
}

json StatusJson(const wire::EventId& id, const OutboxStatus& s) {
  json j{{"id", id.ToString()}, {"status", StateName(s.state)}, {"local_seq", s.local_seq},
         {"queued_at_us", s.queued_at_us}};
  if (s.state == OutboxState::kAcknowledged) {
    j["offset"] = s.offset;
    j["duplicate"] = s.duplicate;
  }
  if (s.state == OutboxState::kRefused) {
    j["error"] = {{"code", wire::ErrcName(static_cast<wire::errc>(s.code))},
                  {"field", s.field}, {"message", s.message}};
  }
  return j;
}

std::optional<json> ParseBody(const httplib::Request& req, httplib::Response& res) {
  if (req.body.size() > wire::kMaxJsonBytes) {
    ReplyError(res, Error{wire::errc::message_too_large, "body: larger than 1 MiB"});
    return std::nullopt;
  }
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    BadRequest(res, "body", "is not valid JSON");
    return std::nullopt;
  }
  return j;
}

std::optional<wire::EventId> ParseId(const std::string& text, httplib::Response& res) {
  auto id = wire::EventId::Parse(text);
  if (!id.ok()) {
    BadRequest(res, "id", id.error().message);
    return std::nullopt;
  }
  return *id;
}

uint64_t QueryU64(const httplib::Request& req, const char* key, uint64_t fallback) {
  if (!req.has_param(key)) return fallback;
  try {
    return std::stoull(req.get_param_value(key));
  } catch (const std::exception&) {
    return fallback;
  }
}

}  // namespace

HttpApi::HttpApi(Node* node) : node_(node), server_(std::make_unique<httplib::Server>()) {
  Routes();
}

HttpApi::~HttpApi() { Stop(); }

uint16_t HttpApi::Start(const std::string& address, uint16_t port) {
  server_->set_payload_max_length(wire::kMaxJsonBytes + 1);
  int bound = port == 0 ? server_->bind_to_any_port(address) : (server_->bind_to_port(address, port) ? port : -1);
  if (bound <= 0) throw std::runtime_error("cannot bind the API on " + address + ":" + std::to_string(port));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // bind_to_port already listens: requests wait in the backlog until the loop runs.
  return static_cast<uint16_t>(bound);
}

void HttpApi::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpApi::Routes() {
  httplib::Server& srv = *server_;

  srv.Get("/v1/health", [this](const httplib::Request&, httplib::Response& res) {
    auto pending = node_->store().PendingCount();
    // The broker's audit trail as this node last checked it.
    nlohmann::json checkpoint = nullptr;
    auto kept = node_->store().Get("audit/checkpoint");
    if (kept.ok() && kept->has_value()) {
      auto cp = audit::Checkpoint::Parse(**kept);
      if (cp.ok()) {
        checkpoint = {{"size", cp->size}, {"root", audit::ToHex(cp->root)}, {"time_us", cp->time_us}};
      }
    }
    auto alarm = node_->store().Get("audit/alarm");
    bool alarmed = alarm.ok() && alarm->has_value();
    Reply(res, 200, {{"status", alarmed ? "alarm" : "ok"}, {"node", node_->config().id},
                     {"country", node_->config().country},
                     {"broker_connected", node_->broker_connected()},
                     {"outbox_pending", pending.ok() ? *pending : 0},
                     {"broker_checkpoint", checkpoint},
                     {"audit_alarm", alarmed ? nlohmann::json(**alarm) : nlohmann::json(nullptr)}});
  });

  srv.Post("/v1/events", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = ParseBody(req, res);
    if (!body) return;
    auto binary = EventFromApiJson(std::move(*body), node_->ids(), node_->config().country,
                                   node_->config().default_agency);
    if (!binary.ok()) return ReplyError(res, binary.error());
    auto submitted = node_->Submit(std::move(*binary));
    if (!submitted.ok()) return ReplyError(res, submitted.error());
    Reply(res, submitted->existed ? 200 : 202, StatusJson(submitted->id, submitted->status));
  });

  srv.Get(R"(/v1/events/([0-9a-fA-F-]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto id = ParseId(req.matches[1], res);
    if (!id) return;
    auto status = node_->store().GetStatus(*id);
    if (!status.ok()) return ReplyError(res, status.error());
    if (!status->has_value()) {
      auto offset = node_->store().InboxOffsetOf(*id);
      if (offset.ok() && offset->has_value()) {
        return Reply(res, 200, {{"id", id->ToString()}, {"status", "received"}, {"offset", **offset}});
      }
      return Reply(res, 404, {{"error", {{"code", "not_found"}, {"field", "id"}, {"message", "no such event on this node"}}}});
    }
    json j = StatusJson(*id, **status);
    if (req.has_param("full")) {
      auto event = node_->FindEvent(*id);
      if (event.ok() && event->has_value()) {
        auto ej = EventToApiJson(wire::AsBytes(**event));
        if (ej.ok()) j["event"] = *ej;
      }
    }
    Reply(res, 200, j);
  });

  auto respond = [this](fb::Body type, const char* person_key) {
    return [this, type, person_key](const httplib::Request& req, httplib::Response& res) {
      auto id = ParseId(req.matches[1], res);
      if (!id) return;
      json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) return BadRequest(res, "body", "is not a JSON object");
      std::string person = person_key ? body.value(person_key, "") : "";
      if (person_key && person.empty()) return BadRequest(res, person_key, "is required");
      auto submitted = node_->Respond(*id, type, person, body.value("note", ""));
      if (!submitted.ok()) return ReplyError(res, submitted.error());
      Reply(res, 202, StatusJson(submitted->id, submitted->status));
    };
  };
  srv.Post(R"(/v1/events/([0-9a-fA-F-]+)/acknowledge)", respond(fb::Body::ReferralAcknowledged, "officer"));
  srv.Post(R"(/v1/events/([0-9a-fA-F-]+)/receipt)", [this, respond](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    std::string kind = body.is_object() ? body.value("kind", "read") : "";
    if (kind == "read") return respond(fb::Body::ReadReceipt, "reader")(req, res);
    if (kind == "delivered") return respond(fb::Body::DeliveryReceipt, nullptr)(req, res);
    BadRequest(res, "kind", "must be \"read\" or \"delivered\"");
  });

  srv.Get("/v1/inbox", [this](const httplib::Request& req, httplib::Response& res) {
    std::string reader = req.has_param("reader") ? req.get_param_value("reader") : "";
    uint64_t after = QueryU64(req, "after", 0);
    if (!reader.empty() && !req.has_param("after")) {
      auto cursor = node_->store().Get("reader/" + reader);
      if (cursor.ok() && cursor->has_value()) after = std::stoull(**cursor);
    }
    uint64_t limit = std::min<uint64_t>(QueryU64(req, "limit", 100), 1000);
    auto entries = node_->store().ReadInbox(after, limit);
    if (!entries.ok()) return ReplyError(res, entries.error());
    json events = json::array();
    uint64_t last = after;
    for (const auto& e : *entries) {
      auto record = wire::VerifyRecord(wire::AsBytes(e.record));
      if (!record.ok()) continue;
      auto ej = EventToApiJson(wire::RecordEventBytes(**record));
      if (!ej.ok()) continue;
      events.push_back({{"offset", e.offset}, {"received_at_us", (*record)->received_at_us()},
                        {"publisher", (*record)->publisher()->node_id()->str()}, {"event", *ej}});
      last = e.offset;
    }
    Reply(res, 200, {{"events", events}, {"next_after", last}});
  });

  srv.Post(R"(/v1/readers/([a-z0-9_.-]+)/ack)", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = ParseBody(req, res);
    if (!body) return;
    if (!body->contains("offset") || !(*body)["offset"].is_number_unsigned()) {
      return BadRequest(res, "offset", "is required (an inbox offset)");
    }
    auto s = node_->store().Put("reader/" + std::string(req.matches[1]),
                                std::to_string((*body)["offset"].get<uint64_t>()), true);
    if (!s.ok()) return ReplyError(res, s.error());
    Reply(res, 200, {{"reader", std::string(req.matches[1])}, {"offset", (*body)["offset"]}});
  });

  srv.Get("/v1/referrals", [this](const httplib::Request& req, httplib::Response& res) {
    auto list = node_->referrals().List(req.has_param("state") ? req.get_param_value("state") : "",
                                        req.has_param("overdue") && req.get_param_value("overdue") != "false",
                                        NowMicros());
    if (!list.ok()) return ReplyError(res, list.error());
    Reply(res, 200, {{"referrals", *list}});
  });

  srv.Get(R"(/v1/referrals/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto thread = node_->referrals().Thread(req.matches[1], NowMicros());
    if (!thread.ok()) return ReplyError(res, thread.error());
    if (thread->is_null()) {
      return Reply(res, 404, {{"error", {{"code", "not_found"}, {"field", "case_id"}, {"message", "no such case on this node"}}}});
    }
    Reply(res, 200, *thread);
  });

  srv.Get("/v1/subscriptions", [this](const httplib::Request&, httplib::Response& res) {
    auto subs = node_->Subscriptions();
    if (!subs.ok()) return ReplyError(res, subs.error());
    json list = json::array();
    for (const auto& sub : *subs) {
      list.push_back({{"name", sub.name}, {"origin_countries", sub.origin_countries},
                      {"alert_categories", sub.alert_categories}, {"body_types", sub.body_types},
                      {"min_priority", sub.min_priority}});
    }
    Reply(res, 200, {{"subscriptions", list}});
  });

  srv.Post("/v1/subscriptions", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = ParseBody(req, res);
    if (!body) return;
    SubscriptionConfig sub;
    try {
      sub.name = body->value("name", "");
      sub.origin_countries = body->value("origin_countries", std::vector<std::string>{});
      sub.alert_categories = body->value("alert_categories", std::vector<std::string>{});
      sub.body_types = body->value("body_types", std::vector<std::string>{});
      sub.min_priority = body->value("min_priority", "Routine");
    } catch (const json::exception&) {
      return BadRequest(res, "body", "fields have the wrong types (lists of strings expected)");
    }
    for (const auto& c : sub.alert_categories) {
      bool known = false;
      for (auto v : fb::EnumValuesAlertCategory()) known |= c == fb::EnumNameAlertCategory(v);
      if (!known) return BadRequest(res, "alert_categories", "unknown category '" + c + "'");
    }
    bool known_priority = false;
    for (auto v : fb::EnumValuesPriority()) known_priority |= sub.min_priority == fb::EnumNamePriority(v);
    if (!known_priority) return BadRequest(res, "min_priority", "must be Routine, Urgent or LifeThreatening");
    if (sub.name.empty() || sub.name.size() > 64 || sub.name == "inbox") {
      return BadRequest(res, "name", "is required (1-64 characters, not \"inbox\")");
    }
    if (auto s = node_->AddSubscription(sub); !s.ok()) return ReplyError(res, s.error());
    Reply(res, 201, {{"name", sub.name}});
  });

  srv.Delete(R"(/v1/subscriptions/([a-z0-9_.-]+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto s = node_->RemoveSubscription(req.matches[1]); !s.ok()) return ReplyError(res, s.error());
    res.status = 204;
  });

  srv.Get(R"(/v1/examples/([A-Za-z]+))", [this](const httplib::Request& req, httplib::Response& res) {
    for (auto type : wire::AllBodyTypes()) {
      if (req.matches[1] != fb::EnumNameBody(type)) continue;
      auto event = wire::ExampleEvent(type, node_->ids().Next(), NowMicros());
      auto ej = EventToApiJson(wire::AsBytes(wire::PackEvent(event)));
      if (!ej.ok()) return ReplyError(res, ej.error());
      return Reply(res, 200, *ej);
    }
    BadRequest(res, "body_type", "unknown body type");
  });
}

}  // namespace lintas::node
