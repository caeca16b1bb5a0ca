// lintas::node::Node: a country's gateway to the regional broker. Accepts
// events from local users (HTTP API, CLI), makes them durable in its outbox
// before confirming them as queued, sends and resends them until the broker
// acknowledges; stores what the broker delivers in its inbox before
// acknowledging it; keeps the case model (cases, items, deadlines), the
// accounts of the people and systems that use it, and a hash-chained log of
// who read what.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "lintas/common/result.h"
#include "lintas/node/access_log.h"
#include "lintas/node/account_store.h"
#include "lintas/node/case_store.h"
#include "lintas/node/change_feed.h"
#include "lintas/node/config.h"
#include "lintas/node/content_seal.h"
#include "lintas/node/node_store.h"
#include "lintas/wire/event_id.h"

namespace lintas::node {

class BrokerLink;
class ErasureWorker;
class HttpApi;

struct Submitted {
  wire::EventId id;
  OutboxStatus status;
  bool existed = false;  // the same event id was submitted before
};

// Operation: construct (opens the store; throws on failure), Start() (the
// broker link thread and the HTTP server), Stop() (or destruction).
// Thread safety: Submit, SubmitAs and the accessors are safe from any thread.
class Node {
 public:
  explicit Node(NodeConfig config);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the link and the API; returns the API port. Throws on bind failure.
  uint16_t Start();
  void Stop();

  // Verifies, validates, checks that the origin is this node's country, and
  // queues durably (synced). Errors name the field; nothing is queued then.
  [[nodiscard]] Result<Submitted> Submit(std::string event);

  // As Submit, for an event a person built through the API or an action:
  // the origin agency must be the principal's, the event carries the
  // principal's id as `officer`, and the case model checks the step is
  // allowed (who may answer, in which state) before anything is queued.
  // `dry_run`: every check, then nothing is written or queued (an id
  // submitted before still answers with its status, `existed`).
  [[nodiscard]] Result<Submitted> SubmitAs(const Principal& who, std::string event, bool dry_run = false);

  // The event bytes for an id, from the inbox or the outbox, as people read
  // it (opened when sealed: an error `unreadable` when it cannot be).
  [[nodiscard]] Result<std::optional<std::string>> FindEvent(const wire::EventId& id);

  // Subscriptions are stored and (re)attached by the link.
  [[nodiscard]] Status AddSubscription(const SubscriptionConfig& sub);
  [[nodiscard]] Status RemoveSubscription(const std::string& name);
  [[nodiscard]] Result<std::vector<SubscriptionConfig>> Subscriptions();

  const NodeConfig& config() const { return config_; }
  NodeStore& store() { return *store_; }
  AccountStore& accounts() { return accounts_; }
  AccessLog& access_log() { return access_log_; }
  CaseStore& cases() { return cases_; }
  ChangeFeed& changes() { return changes_; }
  ContentSeal& seal() { return *seal_; }
  wire::EventIdGenerator& ids() { return ids_; }
  bool broker_connected() const;
  // Why the outbox waits at this queued event (an addressee's node has no
  // seal key yet), or "".
  std::string WaitingReason(const wire::EventId& id) const;
  // New events are in the outbox (the link sends them).
  void Wake();
  // A case was erased here: its deleted keys and copies are shredded from
  // the store's files soon, off the caller's thread (docs/ERASURE.md).
  void ShredSoon();
  // Shreds and retention sweeps (docs/ERASURE.md).
  ErasureWorker& erasure() { return *erasure_; }

 private:
  Result<Submitted> Queue(const Principal* who, std::string event, bool dry_run = false);

  NodeConfig config_;
  std::unique_ptr<NodeStore> store_;
  AccountStore accounts_;
  AccessLog access_log_;
  CaseStore cases_;
  std::unique_ptr<ContentSeal> seal_;
  std::unique_ptr<ErasureWorker> erasure_;
  ChangeFeed changes_;
  wire::EventIdGenerator ids_;
  std::unique_ptr<BrokerLink> link_;
  std::unique_ptr<HttpApi> api_;
};

}  // namespace lintas::node
