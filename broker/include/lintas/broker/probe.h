// The broker's metrics: Prometheus families, exposed on /metrics when
// broker.metrics_endpoint is set, plus plain counters for in-process readers
// (benchmarks, tests).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "lintas/wire/errc.h"

namespace prometheus {
class Exposer;
}

namespace lintas::broker {

// Thread safety: every method may be called from any thread (prometheus-cpp
// metrics are thread-safe; the per-subscription gauges are created by the
// loop thread only).
class BrokerProbe {
 public:
  BrokerProbe();
  ~BrokerProbe();

  // Serves /metrics on `host_port`; throws on bind failure (start-up).
  void Expose(const std::string& host_port);
  // The port /metrics listens on (0 when not exposed); "127.0.0.1:0" picks one.
  int metrics_port() const;
  // The text exposition, as /metrics would serve it.
  std::string Scrape() const;

  void Published(uint64_t events) {
    published_->Increment(static_cast<double>(events));
    published_total_ += events;
  }
  void Duplicate() { duplicates_->Increment(); }
  void Refused(wire::errc code);
  void Committed(uint64_t events, uint64_t bytes, double seconds);
  void LogSize(uint64_t events) { log_size_->Set(static_cast<double>(events)); }
  void Delivered(uint64_t records) { delivered_->Increment(static_cast<double>(records)); }
  void ConnectedNodes(size_t n) { connected_->Set(static_cast<double>(n)); }
  void SessionStarted() {
    sessions_->Increment();
    sessions_total_ += 1;
  }
  void Backlog(const std::string& subscription, uint64_t events);
  void MalformedFrame() { malformed_->Increment(); }
  void ReadDeferred() {
    reads_deferred_->Increment();
    reads_deferred_total_ += 1;
  }

  // Plain counters.
  uint64_t commits() const { return commits_total_.load(); }
  uint64_t committed_events() const { return committed_events_total_.load(); }
  double commit_seconds() const { return static_cast<double>(commit_nanos_total_.load()) / 1e9; }
  uint64_t published() const { return published_total_.load(); }
  uint64_t refused() const { return refused_total_.load(); }
  uint64_t sessions() const { return sessions_total_.load(); }
  uint64_t reads_deferred() const { return reads_deferred_total_.load(); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Counter* published_;
  prometheus::Counter* duplicates_;
  prometheus::Counter* delivered_;
  prometheus::Counter* malformed_;
  prometheus::Counter* reads_deferred_;
  prometheus::Counter* committed_bytes_;
  prometheus::Family<prometheus::Counter>* refusals_;
  prometheus::Histogram* commit_latency_;
  prometheus::Histogram* commit_batch_;
  prometheus::Gauge* log_size_;
  prometheus::Gauge* connected_;
  prometheus::Counter* sessions_;
  prometheus::Family<prometheus::Gauge>* backlog_;
  std::map<std::string, prometheus::Gauge*> backlog_gauges_;  // loop thread only

  std::atomic<uint64_t> commits_total_{0};
  std::atomic<uint64_t> committed_events_total_{0};
  std::atomic<uint64_t> commit_nanos_total_{0};
  std::atomic<uint64_t> published_total_{0};
  std::atomic<uint64_t> refused_total_{0};
  std::atomic<uint64_t> sessions_total_{0};
  std::atomic<uint64_t> reads_deferred_total_{0};
};

}  // namespace lintas::broker
