// One subscribing node of the load generator: attaches its inbox, takes
// Deliver messages within a credit window, grants credit and acknowledges
// deliveries as it goes, and times each record from its publisher's send.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include <zmq.hpp>

#include "lintas/node/broker_client.h"
#include "stats.h"

namespace lintas::bench {

struct SubscriberOptions {
  node::ClientOptions client;
  // The subscription: "inbox" (events addressed to the node's agencies), or
  // a named one, taken with an empty filter, which matches every distributed
  // event the policy lets the node see (docs/PROTOCOL.md §4.3).
  // Default: "inbox"
  std::string subscription = "inbox";
  // Credit granted at Subscribe and kept topped up.
  // Default: 4096
  uint32_t credit = 4096;
  // Record each record's publish-to-delivery latency.
  // Default: true
  bool record_latency = true;
};

struct SubscriberResult {
  bool connected = false;
  std::string error;
  double cpu_seconds = 0;  // this thread's CPU, from the call to the return
  uint64_t received = 0;
  uint64_t last_offset = 0;
  Latencies delivery_ms;
  std::chrono::steady_clock::time_point subscribed_at{};
  std::chrono::steady_clock::time_point first_record{};
  std::chrono::steady_clock::time_point last_record{};
};

// Connects and subscribes to `options.subscription` from the beginning, then receives until
// it has `expected` records (UINT64_MAX: not known yet; the owner stores the
// number when the publishers are done) or `deadline` passes. Runs on the
// calling thread, which owns the client.
SubscriberResult RunSubscriber(zmq::context_t& ctx, const SubscriberOptions& options,
                               const std::atomic<uint64_t>& expected,
                               const std::atomic<int64_t>& deadline_nanos,
                               std::atomic<size_t>& ready);

}  // namespace lintas::bench
