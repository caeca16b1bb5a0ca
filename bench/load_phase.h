// One phase of the load generator: N publisher threads and M subscriber
// threads against the broker child, started together, joined, and their
// figures summed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "broker_child.h"
#include "load_publisher.h"
#include "load_subscriber.h"
#include "stats.h"

namespace lintas::bench {

struct PublishPhase {
  std::vector<PublisherResult> publishers;
  double seconds = 0;  // first send to last answer
  uint64_t acked = 0;
  uint64_t refused = 0;
  uint64_t overloaded = 0;
  uint64_t unanswered = 0;
  double max_lag_ms = 0;
  Latencies ack_ms;
  std::vector<uint64_t> acked_per_destination;
  double cpu_seconds = 0;  // the publisher threads' CPU
  std::string error;
};

struct DeliveryPhase {
  uint64_t received = 0;
  double seconds = 0;  // publishing start to the last record
  Latencies delivery_ms;
  // Per subscriber: records received / (publishing start -> its last record).
  std::vector<double> per_subscriber_rate;
  double cpu_seconds = 0;  // the subscriber threads' CPU
  std::string error;

  double MinSubscriberRate() const;
  double MeanSubscriberRate() const;
};

// Client options for one benchmark node (CURVE keys when `broker_key` is set).
node::ClientOptions ClientFor(const BenchNode& n, const std::string& endpoint,
                              const std::string& broker_key);

// How the subscribers' expectations follow from what was acknowledged.
enum class Expect {
  kOwnDestination,  // subscriber i expects what was acknowledged for destination i (inboxes)
  kEverything,      // each subscriber expects every acknowledged event (fan-out)
};

// Runs the publishers (and the subscribers, when given) to the end: the
// subscribers attach first, the publishers connect, then the clock starts
// for all of them at once. `delivery` may be null (no subscribers).
// `duration_s` > 0 sets each publisher's stop_at from the common start.
// Blocks the calling thread; each client lives on its own thread.
void RunPhase(zmq::context_t& ctx, const std::vector<PublisherOptions>& pubs,
              const std::vector<SubscriberOptions>& subs, PublishPhase* publish,
              DeliveryPhase* delivery, double duration_s, Expect expect = Expect::kOwnDestination);

}  // namespace lintas::bench
