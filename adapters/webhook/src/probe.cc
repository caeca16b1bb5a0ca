// Probe: the families are created once per registry (prometheus-cpp returns
// the existing family for a repeated name), one child per endpoint.
#include "probe.h"

namespace lintas::webhook {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Counter& Events(prometheus::Registry& r, const std::string& endpoint, const std::string& result) {
  return BuildCounter()
      .Name("lintas_webhook_events_total")
      .Help("Events handled per endpoint: delivered, dead_lettered (after every attempt failed), held (queued behind "
            "a dead-lettered event of the same case)")
      .Register(r)
      .Add({{"endpoint", endpoint}, {"result", result}});
}

}  // namespace

Probe::Probe(prometheus::Registry& registry, const std::string& endpoint)
    : registry_(registry),
      endpoint_(endpoint),
      delivered_(Events(registry, endpoint, "delivered")),
      dead_lettered_(Events(registry, endpoint, "dead_lettered")),
      held_(Events(registry, endpoint, "held")),
      node_errors_(BuildCounter()
                       .Name("lintas_webhook_node_errors_total")
                       .Help("Calls to the node's API that failed (inbox, cursor, case context)")
                       .Register(registry)
                       .Add({{"endpoint", endpoint}})),
      cursor_(BuildGauge()
                  .Name("lintas_webhook_cursor_offset")
                  .Help("The inbox offset up to which every event is delivered or dead-lettered")
                  .Register(registry)
                  .Add({{"endpoint", endpoint}})),
      dead_letters_(BuildGauge()
                        .Name("lintas_webhook_dead_letters")
                        .Help("Entries in the dead-letter queue")
                        .Register(registry)
                        .Add({{"endpoint", endpoint}})),
      latency_(BuildHistogram()
                   .Name("lintas_webhook_call_seconds")
                   .Help("Duration of the calls to the endpoint that it answered")
                   .Register(registry)
                   .Add({{"endpoint", endpoint}},
                        prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                                5, 10})) {}

void Probe::Attempted(const std::string& outcome, double seconds) {
  BuildCounter()
      .Name("lintas_webhook_attempts_total")
      .Help("Calls to the endpoint by outcome: 2xx, 4xx, 5xx, timeout, connection, tls, other")
      .Register(registry_)
      .Add({{"endpoint", endpoint_}, {"outcome", outcome}})
      .Increment();
  if (outcome != "timeout" && outcome != "connection" && outcome != "tls") latency_.Observe(seconds);
}

}  // namespace lintas::webhook
