// One publishing node of the load generator: a BrokerClient on its own
// thread, sending MinimalReferrals at a fixed rate or as fast as its window
// allows, and timing each event from its send to its Ack.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "lintas/node/broker_client.h"
#include "sealed_pool.h"
#include "stats.h"

namespace lintas::bench {

// What the publisher sends.
enum class EventKind {
  kReferral,       // a MinimalReferral to each destination agency, in clear
  kRegionalAlert,  // an AlertPublished distributed to the region (one "destination")
  kSealed,         // the events of `sealed`, sealed before the run
};

struct PublisherOptions {
  node::ClientOptions client;  // endpoint, node id, country, keys
  std::string origin_agency;
  // Events go round-robin, one Publish at a time, to these agencies
  // ({country, agency}); the index of each is the destination index below.
  // kRegionalAlert: one entry, whose fields are not used.
  std::vector<std::pair<std::string, std::string>> destinations;
  // Default: kReferral
  EventKind kind = EventKind::kReferral;
  // kSealed: the events, per destination index (non-owning; the owner keeps
  // it alive and unchanged until RunPublisher returns). The run ends when
  // they are all sent, whatever `count` says.
  const SealedPool* sealed = nullptr;
  // Default: 1024
  size_t event_bytes = 1024;
  // Events per second for this publisher; 0: as fast as the window allows.
  // Default: 0
  double rate = 0;
  // Stop after this many events (0: no limit) or at `stop_at`, whichever first.
  uint64_t count = 0;
  std::chrono::steady_clock::time_point stop_at = std::chrono::steady_clock::time_point::max();
  // Events sent and not yet answered, at most.
  // Default: 8192
  size_t window = 8192;
  // Events per Publish, at most (1..256).
  // Default: 256
  size_t batch = 256;
  // How long to wait for the last answers once sending stopped.
  // Default: 30 s
  std::chrono::milliseconds drain{30000};
  // Record each event's ack latency.
  // Default: true
  bool record_latency = true;
};

struct PublisherResult {
  bool connected = false;
  std::string error;
  double cpu_seconds = 0;  // this thread's CPU, from the call to the return  // why it could not connect
  uint64_t sent = 0;
  uint64_t acked = 0;
  uint64_t refused = 0;
  uint64_t overloaded = 0;  // refusals with code `overloaded` (counted in refused too)
  std::vector<uint64_t> acked_per_destination;
  Latencies ack_ms;
  std::chrono::steady_clock::time_point first_send{};
  std::chrono::steady_clock::time_point last_answer{};
  // In rate mode: how far sending fell behind its schedule at worst (a sign
  // that the generator, not the broker, set the pace).
  double max_lag_ms = 0;
};

// Connects, then waits on `start` (a barrier: sending begins when it is
// true), publishes, drains and returns. Runs on the calling thread, which
// owns the client for the duration.
PublisherResult RunPublisher(zmq::context_t& ctx, const PublisherOptions& options,
                             std::atomic<size_t>& connected, const std::atomic<bool>& start);

}  // namespace lintas::bench
