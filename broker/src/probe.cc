// Broker metrics.
#include "lintas/broker/probe.h"

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

namespace lintas::broker {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

BrokerProbe::BrokerProbe() : registry_(std::make_shared<prometheus::Registry>()) {
  published_ = &BuildCounter()
                    .Name("lintas_broker_events_published_total")
                    .Help("Events appended to the log and acknowledged")
                    .Register(*registry_)
                    .Add({});
  duplicates_ = &BuildCounter()
                     .Name("lintas_broker_events_duplicate_total")
                     .Help("Resent events answered with their original offset")
                     .Register(*registry_)
                     .Add({});
  delivered_ = &BuildCounter()
                    .Name("lintas_broker_records_delivered_total")
                    .Help("Stored records sent to subscribers and replays")
                    .Register(*registry_)
                    .Add({});
  reads_deferred_ = &BuildCounter()
                         .Name("lintas_broker_log_reads_deferred_total")
                         .Help("Store reads the loop handed to the log reader thread because they needed the disk (publishes' dedup and parent lookups, catch-up reads)")
                         .Register(*registry_)
                         .Add({});
  malformed_ = &BuildCounter()
                    .Name("lintas_broker_malformed_messages_total")
                    .Help("Messages refused before any command was read")
                    .Register(*registry_)
                    .Add({});
  committed_bytes_ = &BuildCounter()
                          .Name("lintas_broker_committed_bytes_total")
                          .Help("Bytes of stored records synced to disk")
                          .Register(*registry_)
                          .Add({});
  refusals_ = &BuildCounter()
                   .Name("lintas_broker_refusals_total")
                   .Help("Refused events and commands, by error code")
                   .Register(*registry_);
  commit_latency_ = &BuildHistogram()
                         .Name("lintas_broker_commit_latency_seconds")
                         .Help("Time of one synced group commit")
                         .Register(*registry_)
                         .Add({}, prometheus::Histogram::BucketBoundaries{
                                      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                      0.025, 0.05, 0.1, 0.25, 1});
  commit_batch_ = &BuildHistogram()
                       .Name("lintas_broker_commit_batch_events")
                       .Help("Events in one synced group commit")
                       .Register(*registry_)
                       .Add({}, prometheus::Histogram::BucketBoundaries{
                                    1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096});
  log_size_ = &BuildGauge()
                   .Name("lintas_broker_log_size_events")
                   .Help("Records in the log")
                   .Register(*registry_)
                   .Add({});
  connected_ = &BuildGauge()
                    .Name("lintas_broker_connected_nodes")
                    .Help("Nodes with a live session")
                    .Register(*registry_)
                    .Add({});
  sessions_ = &BuildCounter()
                   .Name("lintas_broker_sessions_started_total")
                   .Help("Sessions begun by a Hello (a node that reconnects often shows here)")
                   .Register(*registry_)
                   .Add({});
  backlog_ = &BuildGauge()
                  .Name("lintas_broker_subscriber_backlog_offsets")
                  .Help("Log offsets between a subscription's cursor and the log's end (an upper "
                        "bound of the events it has still to acknowledge)")
                  .Register(*registry_);
}

BrokerProbe::~BrokerProbe() = default;

void BrokerProbe::Expose(const std::string& host_port) {
  exposer_ = std::make_unique<prometheus::Exposer>(host_port);
  exposer_->RegisterCollectable(registry_);
}

int BrokerProbe::metrics_port() const {
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::string BrokerProbe::Scrape() const {
  prometheus::TextSerializer text;
  const prometheus::Serializer& serializer = text;
  return serializer.Serialize(registry_->Collect());
}

void BrokerProbe::Refused(wire::errc code) {
  refusals_->Add({{"code", std::string(wire::ErrcName(code))}}).Increment();
  ++refused_total_;
}

void BrokerProbe::Committed(uint64_t events, uint64_t bytes, double seconds) {
  commit_latency_->Observe(seconds);
  commit_batch_->Observe(static_cast<double>(events));
  committed_bytes_->Increment(static_cast<double>(bytes));
  ++commits_total_;
  committed_events_total_ += events;
  commit_nanos_total_ += static_cast<uint64_t>(seconds * 1e9);
}

void BrokerProbe::Backlog(const std::string& subscription, uint64_t events) {
  auto it = backlog_gauges_.find(subscription);
  if (it == backlog_gauges_.end()) {
    it = backlog_gauges_.emplace(subscription, &backlog_->Add({{"subscription", subscription}}))
             .first;
  }
  it->second->Set(static_cast<double>(events));
}

}  // namespace lintas::broker
