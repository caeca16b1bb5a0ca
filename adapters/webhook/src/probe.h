// The webhook adapter's metrics, per endpoint (label endpoint="<name>"),
// served in Prometheus text format on the admin listener's /metrics.
//
// Thread safety: prometheus-cpp metrics are safe from any thread.
#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace lintas::webhook {

class Probe {
 public:
  Probe(prometheus::Registry& registry, const std::string& endpoint);

  // One call to the endpoint and how it ended ("2xx", "5xx", "timeout", ...).
  void Attempted(const std::string& outcome, double seconds);
  void Delivered() { delivered_.Increment(); }
  void DeadLettered() { dead_lettered_.Increment(); }
  void Held() { held_.Increment(); }
  void NodeError() { node_errors_.Increment(); }
  void SetCursor(double offset) { cursor_.Set(offset); }
  void SetDeadLetters(double n) { dead_letters_.Set(n); }

 private:
  prometheus::Registry& registry_;
  std::string endpoint_;
  prometheus::Counter& delivered_;
  prometheus::Counter& dead_lettered_;
  prometheus::Counter& held_;
  prometheus::Counter& node_errors_;
  prometheus::Gauge& cursor_;
  prometheus::Gauge& dead_letters_;
  prometheus::Histogram& latency_;
};

}  // namespace lintas::webhook
