// `lintas webhook dlq ...` over the adapter's admin API.
#include "webhook_commands.h"

#include <iostream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "client.h"
#include "credentials.h"
#include "case_view.h"

namespace lintas::cli {
namespace {

using nlohmann::json;

struct Flags {
  std::string adapter = "http://127.0.0.1:7490";
  std::string endpoint;
  std::string event;
  bool all = false;
};

void PrintTable(const json& entries) {
  std::cout << fmt::format("{:<12}  {:<36}  {:<16}  {:<22}  {:>7}  {:>8}  {:<20}  {}\n", "ENDPOINT", "EVENT", "CASE",
                           "TYPE", "OFFSET", "ATTEMPTS", "SINCE", "WHY");
  for (const auto& e : entries) {
    std::string why = e.value("held_behind", "").empty() ? e.value("last_error", "")
                                                         : "held behind " + e.value("held_behind", "");
    std::cout << fmt::format("{:<12}  {:<36}  {:<16}  {:<22}  {:>7}  {:>8}  {:<20}  {}\n",
                             Safe(e.value("endpoint", "")), e.value("event_id", ""), Safe(e.value("case_key", "")),
                             e.value("body_type", ""), e.value("offset", uint64_t{0}), e.value("attempts", 0),
                             When(e.value("dead_at_us", int64_t{0})), Safe(why));
  }
  if (entries.empty()) std::cout << "(the dead-letter queue is empty)\n";
}

// The entry for `f.event` (its endpoint found when --endpoint is not given).
std::optional<json> FindEntry(NodeClient& adapter, const Flags& f, int* rc) {
  Reply r = adapter.Get(f.endpoint.empty() ? "/v1/dlq" : "/v1/dlq?endpoint=" + f.endpoint);
  if (r.status != 200) {
    *rc = Fail(r);
    return std::nullopt;
  }
  std::vector<json> found;
  for (const auto& e : r.body.value("entries", json::array())) {
    if (e.value("event_id", "") == f.event) found.push_back(e);
  }
  if (found.size() == 1) return found[0];
  if (found.empty()) {
    std::cerr << "error: no dead letter " << f.event << (f.endpoint.empty() ? "" : " for endpoint " + f.endpoint)
              << "\n";
    *rc = kExitNotFound;
  } else {
    std::cerr << "error: " << f.event << " is queued for several endpoints; say which with --endpoint\n";
    *rc = kExitBadInput;
  }
  return std::nullopt;
}

int Retry(NodeClient& adapter, const json& entry, bool as_json) {
  Reply r = adapter.Post(fmt::format("/v1/dlq/{}/{}/retry", entry.value("endpoint", ""), entry.value("event_id", "")),
                         json::object());
  if (r.status != 200) return Fail(r);
  if (as_json) {
    std::cout << r.body.dump(2) << "\n";
  } else {
    for (const auto& id : r.body.value("delivered", json::array())) {
      std::cout << fmt::format("{}  delivered\n", id.get<std::string>());
    }
    if (!r.body["failed"].is_null()) {
      std::cout << fmt::format("{}  failed again: {} (still queued, with the later events of its case)\n",
                               r.body["failed"].value("event_id", ""), Safe(r.body["failed"].value("error", "")));
    }
  }
  return r.body["failed"].is_null() ? kExitOk : kExitRefused;
}

int RetryAll(NodeClient& adapter, const Flags& f, bool as_json) {
  Reply r = adapter.Get(f.endpoint.empty() ? "/v1/dlq" : "/v1/dlq?endpoint=" + f.endpoint);
  if (r.status != 200) return Fail(r);
  std::set<std::string> cases_done;
  int rc = kExitOk;
  for (const auto& e : r.body.value("entries", json::array())) {
    std::string key = e.value("endpoint", "") + "\n" + e.value("case_key", "");
    if (!e.value("held_behind", "").empty() || !cases_done.insert(key).second) continue;
    int one = Retry(adapter, e, as_json);
    if (one != kExitOk) rc = one;
  }
  return rc;
}

}  // namespace

void AddWebhookCommands(CLI::App& app, const std::string* node_url, const bool* as_json, int* rc) {
  auto* flags = new Flags();  // lives as long as the process (CLI11 keeps references)
  if (const char* env = std::getenv("LINTAS_WEBHOOK")) flags->adapter = env;
  auto* wh = app.add_subcommand("webhook", "The webhook adapter (lintas-webhook): its dead-letter queue");
  wh->require_subcommand(1);
  auto* dlq = wh->add_subcommand("dlq", "Events an endpoint refused every time, and those held behind them");
  dlq->require_subcommand(1);
  dlq->add_option("--adapter", flags->adapter,
                  "The adapter's admin address (default $LINTAS_WEBHOOK or http://127.0.0.1:7490)");
  dlq->add_option("--endpoint", flags->endpoint, "Only this endpoint (its name in the adapter's config)");
  auto client = [=] { return NodeClient(flags->adapter, ResolveToken(*node_url)); };

  dlq->add_subcommand("list", "List the queue (oldest first)")->callback([=] {
    NodeClient adapter = client();
    Reply r = adapter.Get(flags->endpoint.empty() ? "/v1/dlq" : "/v1/dlq?endpoint=" + flags->endpoint);
    if (r.status != 200) {
      *rc = Fail(r);
      return;
    }
    if (*as_json) {
      std::cout << r.body.dump(2) << "\n";
    } else {
      PrintTable(r.body.value("entries", json::array()));
    }
  });
  auto* show = dlq->add_subcommand("show", "Show one entry (metadata; read the event with `lintas status ID --full`)");
  show->add_option("EVENT", flags->event, "Event id")->required();
  show->callback([=] {
    NodeClient adapter = client();
    auto entry = FindEntry(adapter, *flags, rc);
    if (!entry) return;
    std::cout << entry->dump(2) << "\n";
  });
  auto* retry = dlq->add_subcommand("retry", "Deliver an entry now, then the events of its case held behind it");
  retry->add_option("EVENT", flags->event, "Event id");
  retry->add_flag("--all", flags->all, "Every case in the queue");
  retry->callback([=] {
    NodeClient adapter = client();
    if (flags->all) {
      *rc = RetryAll(adapter, *flags, *as_json);
      return;
    }
    if (flags->event.empty()) {
      std::cerr << "error: give an EVENT id, or --all\n";
      *rc = kExitBadInput;
      return;
    }
    auto entry = FindEntry(adapter, *flags, rc);
    if (entry) *rc = Retry(adapter, *entry, *as_json);
  });
  auto* drop = dlq->add_subcommand("drop", "Give up one delivery (the event stays at the node)");
  drop->add_option("EVENT", flags->event, "Event id")->required();
  drop->callback([=] {
    NodeClient adapter = client();
    auto entry = FindEntry(adapter, *flags, rc);
    if (!entry) return;
    Reply r = adapter.Delete(fmt::format("/v1/dlq/{}/{}", entry->value("endpoint", ""), flags->event));
    if (r.status != 200) {
      *rc = Fail(r);
      return;
    }
    std::cout << flags->event << "  dropped\n";
  });
}

}  // namespace lintas::cli
