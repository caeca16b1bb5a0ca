// EndpointWorker: pages, lanes, retries, dead letters.
#include "endpoint_worker.h"

#include <ctime>
#include <functional>
#include <thread>

#include <fmt/format.h>

#include "backoff.h"
#include "lintas/common/clock.h"
#include "lintas/common/logging.h"

namespace lintas::webhook {
namespace {

using json = nlohmann::json;

std::shared_ptr<spdlog::logger> Log() { return GetLogger("webhook"); }

int PriorityRank(const std::string& p) {
  if (p == "LifeThreatening") return 2;
  if (p == "Urgent") return 1;
  return 0;
}

bool ListAllows(const json& list, const std::string& value) {
  if (!list.is_array() || list.empty()) return true;
  for (const auto& v : list) {
    if (v.is_string() && v.get<std::string>() == value) return true;
  }
  return false;
}

std::string IsoTime(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Errors worth waiting out (the node is down or busy), as opposed to a
// refusal that will not change (403, 404).
bool Transient(const Error& e) {
  return e.code == std::errc::connection_refused || e.code == std::errc::io_error;
}

}  // namespace

std::string EventIdOf(const json& entry) {
  const json& ev = entry.contains("event") ? entry["event"] : json::object();
  return ev.contains("id") && ev["id"].is_string() ? ev["id"].get<std::string>() : "";
}

std::string CaseKeyOf(const json& entry) {
  const json& ev = entry.contains("event") ? entry["event"] : json::object();
  std::string case_id = ev.contains("case_id") && ev["case_id"].is_string() ? ev["case_id"].get<std::string>() : "";
  return case_id.empty() ? EventIdOf(entry) : case_id;
}

EndpointWorker::EndpointWorker(const WebhookConfig& config, const EndpointConfig& endpoint, const NodeApi& node,
                               std::unique_ptr<DeadLetters> dead_letters, Signer signer,
                               prometheus::Registry& registry)
    : config_(config),
      endpoint_(endpoint),
      node_(node),
      dead_letters_(std::move(dead_letters)),
      sender_(endpoint, std::move(signer)),
      probe_(registry, endpoint.name) {
  probe_.SetDeadLetters(static_cast<double>(dead_letters_->size()));
}

bool EndpointWorker::Wanted(const json& entry, const json& subscriptions) const {
  const json& ev = entry.contains("event") ? entry["event"] : json::object();
  std::string kind = ev.contains("distribution") ? ev["distribution"].value("kind", "Addressed") : "Addressed";
  if (kind == "Addressed") return endpoint_.inbox;
  if (endpoint_.subscriptions.empty() || !subscriptions.is_array()) return false;
  std::string origin = ev.contains("origin") ? ev["origin"].value("country", "") : "";
  std::string category = ev.contains("body") && ev["body"].is_object() ? ev["body"].value("category", "") : "";
  int rank = PriorityRank(ev.value("priority", "Routine"));
  for (const auto& sub : subscriptions) {
    std::string name = sub.value("name", "");
    if (std::find(endpoint_.subscriptions.begin(), endpoint_.subscriptions.end(), name) ==
        endpoint_.subscriptions.end()) {
      continue;
    }
    if (ListAllows(sub["origin_countries"], origin) && ListAllows(sub["body_types"], ev.value("body_type", "")) &&
        (category.empty() || ListAllows(sub["alert_categories"], category)) &&
        rank >= PriorityRank(sub.value("min_priority", "Routine"))) {
      return true;
    }
  }
  return false;
}

void EndpointWorker::Run(Stopper& stop) {
  Log()->info("endpoint={} delivering reader={} lanes={} max_attempts={}", endpoint_.name, endpoint_.reader,
              endpoint_.lanes, endpoint_.max_attempts);
  uint64_t acked = 0;  // the cursor last moved to (0: not yet in this run)
  while (!stop.stopped()) {
    auto page = node_.ReadInbox(endpoint_.reader, config_.page_size);
    if (!page.ok()) {
      probe_.NodeError();
      Log()->warn("endpoint={} inbox unreadable: {}", endpoint_.name, page.error().message);
      stop.WaitFor(config_.poll_interval_us);
      continue;
    }
    json subscriptions = json::array();
    if (!endpoint_.subscriptions.empty()) {
      auto subs = node_.Subscriptions();
      if (!subs.ok()) {
        probe_.NodeError();
        Log()->warn("endpoint={} subscriptions unreadable: {}", endpoint_.name, subs.error().message);
        stop.WaitFor(config_.poll_interval_us);
        continue;
      }
      subscriptions = (*subs).value("subscriptions", json::array());
    }
    std::vector<json> wanted;
    for (auto& e : page->events) {
      if (Wanted(e, subscriptions)) wanted.push_back(std::move(e));
    }
    if (HandlePage(wanted, stop) == Outcome::kStopped) break;
    if (page->next_after != acked) {
      AckPage(page->next_after, stop);
      acked = page->next_after;
    }
    if (page->events.empty()) stop.WaitFor(config_.poll_interval_us);
  }
  Log()->info("endpoint={} stopped", endpoint_.name);
}

void EndpointWorker::AckPage(uint64_t next_after, Stopper& stop) {
  while (!stop.stopped()) {
    auto ack = node_.AckReader(endpoint_.reader, next_after);
    if (ack.ok()) {
      probe_.SetCursor(static_cast<double>(next_after));
      return;
    }
    probe_.NodeError();
    Log()->warn("endpoint={} cursor not moved to {}: {}", endpoint_.name, next_after, ack.error().message);
    stop.WaitFor(config_.poll_interval_us);
  }
}

EndpointWorker::Outcome EndpointWorker::HandlePage(const std::vector<json>& events, Stopper& stop) {
  if (events.empty()) return Outcome::kDone;
  std::vector<std::vector<const json*>> lanes(endpoint_.lanes);
  for (const auto& e : events) lanes[std::hash<std::string>{}(CaseKeyOf(e)) % lanes.size()].push_back(&e);
  std::vector<Outcome> results(lanes.size(), Outcome::kDone);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < lanes.size(); ++i) {
    if (lanes[i].empty()) continue;
    threads.emplace_back([this, &lanes, &results, &stop, i] {
      for (const json* e : lanes[i]) {
        if (Deliver(*e, stop) == Outcome::kStopped) {
          results[i] = Outcome::kStopped;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (Outcome r : results) {
    if (r == Outcome::kStopped) return Outcome::kStopped;
  }
  return Outcome::kDone;
}

Result<std::string> EndpointWorker::Payload(const json& entry, Stopper* stop) const {
  std::string id = EventIdOf(entry);
  for (;;) {
    // The inbox page carries each event's item (context=item); a retry reads it again.
    auto context = entry.contains("case") ? Result<json>(entry["case"]) : node_.CaseContext(id);
    if (context.ok()) {
      int64_t received = entry.value("received_at_us", int64_t{0});
      const json& ev = entry["event"];
      json data{{"offset", entry.value("offset", uint64_t{0})}, {"received_at", IsoTime(received)},
                {"publisher", entry.value("publisher", "")},  {"event", ev},
                {"case", std::move(*context)}};
      json body{{"type", "lintas.event." + ev.value("body_type", "")},
                {"timestamp", IsoTime(received)},
                {"data", std::move(data)}};
      return body.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    if (stop == nullptr || !Transient(context.error())) return std::move(context).error();
    Log()->warn("endpoint={} event={} case context unreadable: {}", endpoint_.name, id, context.error().message);
    if (!stop->WaitFor(config_.poll_interval_us)) return std::move(context).error();
  }
}

EndpointWorker::Outcome EndpointWorker::Deliver(const json& entry, Stopper& stop) {
  DeadLetter meta;
  meta.event_id = EventIdOf(entry);
  meta.case_key = CaseKeyOf(entry);
  meta.offset = entry.value("offset", uint64_t{0});
  meta.received_at_us = entry.value("received_at_us", int64_t{0});
  meta.publisher = entry.value("publisher", "");
  meta.body_type = entry["event"].value("body_type", "");
  auto held = dead_letters_->HoldIfBlocked(meta);
  if (!held.ok()) {
    Log()->error("endpoint={} event={} {}", endpoint_.name, meta.event_id, held.error().message);
    return Outcome::kStopped;
  }
  if (*held) {
    probe_.Held();
    probe_.SetDeadLetters(static_cast<double>(dead_letters_->size()));
    return Outcome::kDone;
  }
  auto body = Payload(entry, &stop);
  if (!body.ok()) {
    if (stop.stopped()) return Outcome::kStopped;
    meta.last_error = "case context: " + body.error().message;
  } else {
    for (uint32_t attempt = 1; attempt <= endpoint_.max_attempts; ++attempt) {
      Attempt a = sender_.Send(meta.event_id, *body);
      probe_.Attempted(a.outcome, a.seconds);
      meta.attempts = attempt;
      if (a.delivered) {
        probe_.Delivered();
        Log()->debug("endpoint={} event={} offset={} delivered status={}", endpoint_.name, meta.event_id,
                     meta.offset, a.status);
        return Outcome::kDone;
      }
      meta.last_error = a.error;
      Log()->warn("endpoint={} event={} attempt {}/{} failed: {}", endpoint_.name, meta.event_id, attempt,
                  endpoint_.max_attempts, a.error);
      if (attempt < endpoint_.max_attempts &&
          !stop.WaitFor(BackoffUs(attempt, endpoint_.backoff_initial_us, endpoint_.backoff_max_us))) {
        return Outcome::kStopped;
      }
    }
  }
  meta.dead_at_us = NowMicros();
  if (auto a = dead_letters_->Add(meta); !a.ok()) {
    Log()->error("endpoint={} event={} {}", endpoint_.name, meta.event_id, a.error().message);
    return Outcome::kStopped;
  }
  probe_.DeadLettered();
  probe_.SetDeadLetters(static_cast<double>(dead_letters_->size()));
  Log()->error("endpoint={} event={} offset={} dead-lettered after {} attempts: {}", endpoint_.name, meta.event_id,
               meta.offset, meta.attempts, meta.last_error);
  return Outcome::kDone;
}

Result<json> EndpointWorker::RetryCase(const std::string& event_id) {
  auto first = dead_letters_->Find(event_id);
  if (!first) {
    return Error{std::make_error_code(std::errc::no_such_file_or_directory),
                 "no dead letter " + event_id + " for endpoint " + endpoint_.name, "event_id"};
  }
  json delivered = json::array();
  json failed = nullptr;
  while (auto head = dead_letters_->HeadOf(first->case_key)) {
    auto full = node_.Event(head->event_id);
    Result<std::string> body = full.ok() ? Payload(json{{"offset", head->offset},
                                                        {"received_at_us", head->received_at_us},
                                                        {"publisher", head->publisher},
                                                        {"event", (*full).value("event", json::object())}},
                                                   nullptr)
                                         : Result<std::string>(full.error());
    Attempt a;
    if (body.ok()) {
      a = sender_.Send(head->event_id, *body);
      probe_.Attempted(a.outcome, a.seconds);
    } else {
      a.error = body.error().message;
    }
    if (!a.delivered) {
      failed = {{"event_id", head->event_id}, {"error", a.error}};
      break;
    }
    probe_.Delivered();
    if (auto r = dead_letters_->Remove(head->event_id); !r.ok()) return r.error();
    delivered.push_back(head->event_id);
  }
  probe_.SetDeadLetters(static_cast<double>(dead_letters_->size()));
  Log()->info("endpoint={} retry of case behind event={}: {} delivered{}", endpoint_.name, event_id,
              delivered.size(), failed.is_null() ? "" : ", one failed");
  return json{{"case_key", first->case_key}, {"delivered", delivered}, {"failed", failed}};
}

Result<void> EndpointWorker::Drop(const std::string& event_id) {
  if (!dead_letters_->Find(event_id)) {
    return Error{std::make_error_code(std::errc::no_such_file_or_directory),
                 "no dead letter " + event_id + " for endpoint " + endpoint_.name, "event_id"};
  }
  if (auto r = dead_letters_->Remove(event_id); !r.ok()) return r;
  probe_.SetDeadLetters(static_cast<double>(dead_letters_->size()));
  Log()->warn("endpoint={} dead letter event={} dropped by an operator", endpoint_.name, event_id);
  return {};
}

}  // namespace lintas::webhook
