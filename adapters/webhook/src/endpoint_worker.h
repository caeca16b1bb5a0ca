// Delivers a node's inbox to one endpoint, at least once and in order per
// case.
//
// Operation: a page of the inbox is read after the endpoint's reader cursor
// (kept at the node); its events are split into lanes by case, the lanes run
// in parallel and each delivers its events one after the other, retrying
// with exponential backoff and jitter; an event that fails every attempt goes
// to the dead-letter queue, and the later events of its case are held there
// behind it. Only when every event of the page is delivered or queued is the
// cursor moved past the page. A crash at any moment therefore loses nothing:
// the page is delivered again (receivers deduplicate on webhook-id, the
// event id).
//
// Concurrency: Run owns the page loop on the caller's thread and starts one
// short-lived thread per busy lane. RetryCase and Drop come from the admin
// server's threads; the dead-letter queue is the only shared state (it has
// its own lock).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dead_letters.h"
#include "node_api.h"
#include "probe.h"
#include "sender.h"
#include "stopper.h"
#include "webhook_config.h"

namespace lintas::webhook {

class EndpointWorker {
 public:
  // `config`, `node` and `registry` must outlive the worker.
  EndpointWorker(const WebhookConfig& config, const EndpointConfig& endpoint, const NodeApi& node,
                 std::unique_ptr<DeadLetters> dead_letters, Signer signer, prometheus::Registry& registry);

  // The page loop, until `stop` is stopped.
  void Run(Stopper& stop);

  // Delivers the dead-lettered events of `event_id`'s case now, oldest first,
  // one attempt each, stopping at the first failure:
  // {case_key, delivered: [ids], failed: null | {event_id, error}}.
  [[nodiscard]] Result<nlohmann::json> RetryCase(const std::string& event_id);
  // Removes one entry: that delivery is given up (the event stays at the node).
  [[nodiscard]] Result<void> Drop(const std::string& event_id);

  const EndpointConfig& endpoint() const { return endpoint_; }
  const DeadLetters& dead_letters() const { return *dead_letters_; }

 private:
  enum class Outcome { kDone, kStopped };

  // Whether an inbox entry goes to this endpoint (inbox / subscriptions).
  bool Wanted(const nlohmann::json& entry, const nlohmann::json& subscriptions) const;
  // Every event of the page delivered or queued; kStopped if interrupted.
  Outcome HandlePage(const std::vector<nlohmann::json>& events, Stopper& stop);
  Outcome Deliver(const nlohmann::json& entry, Stopper& stop);
  // The signed body: {type, timestamp, data: {offset, received_at, publisher, event, case}}.
  Result<std::string> Payload(const nlohmann::json& entry, Stopper* stop) const;
  void AckPage(uint64_t next_after, Stopper& stop);

  const WebhookConfig& config_;
  const EndpointConfig& endpoint_;
  const NodeApi& node_;
  std::unique_ptr<DeadLetters> dead_letters_;
  Sender sender_;
  Probe probe_;
};

// The case an inbox entry belongs to (its case id, else its event id).
std::string CaseKeyOf(const nlohmann::json& entry);
// The event id of an inbox entry.
std::string EventIdOf(const nlohmann::json& entry);

}  // namespace lintas::webhook
