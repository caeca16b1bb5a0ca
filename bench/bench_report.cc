// lintas-bench's report.
#include "bench_report.h"

#include <fmt/format.h>

#include <iostream>

namespace lintas::bench {
namespace {

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

void Row(const std::string& name, const std::string& value, const std::string& note = "") {
  std::cout << fmt::format("{:<40} {:>14}  {}\n", name, value, note);
}

std::string Mode(const Options& o) {
  if (o.fanout > 0) return "fanout";
  return o.sealed ? "sealed" : "inbox";
}

void AddRunKeys(const Options& o, RunFigures& f, FlatJson& j) {
  j.String("system", "lintas");
  j.String("security", o.curve ? "curve" : "plaintext");
  j.String("mode", Mode(o));
  j.Integer("publishers", o.publishers);
  j.Integer("subscribers", o.subscriber_nodes());
  j.Integer("fanout_subscribers", o.fanout);
  j.Integer("sealed", o.sealed ? 1 : 0);
  j.Integer("event_bytes", o.event_bytes);
  j.Number("wire_event_bytes", f.wire_event_bytes);
  j.Number("seal_seconds", f.seal_seconds);
  j.Number("rate_target", o.rate);
  j.Number("duration_s", o.events > 0 ? 0 : o.duration_s);
  j.Integer("events_target", o.events);
  j.Integer("window", o.window);
  j.Integer("batch", o.batch);
  j.Integer("credit", o.credit);
}

void AddPublishAndDeliveryKeys(RunFigures& f, FlatJson& j) {
  auto& p = f.publish;
  j.Integer("published_events", p.acked);
  j.Integer("refused_events", p.refused);
  j.Integer("overloaded_events", p.overloaded);
  j.Integer("unanswered_events", p.unanswered);
  j.Number("publish_seconds", p.seconds);
  j.Number("durable_events_per_s", f.Rate());
  j.Number("durable_mb_per_s", f.Rate() * f.wire_event_bytes / 1e6);
  j.Number("ack_p50_ms", p.ack_ms.Percentile(0.50));
  j.Number("ack_p99_ms", p.ack_ms.Percentile(0.99));
  j.Number("ack_p999_ms", p.ack_ms.Percentile(0.999));
  j.Number("ack_max_ms", p.ack_ms.Max());
  j.Number("max_schedule_lag_ms", p.max_lag_ms);
  auto& d = f.delivery;
  j.Integer("delivered_events", d.received);
  j.Number("delivery_events_per_s", f.DeliveryRate());
  j.Number("delivery_per_subscriber_min_events_per_s", d.MinSubscriberRate());
  j.Number("delivery_per_subscriber_mean_events_per_s", d.MeanSubscriberRate());
  j.Number("delivery_p50_ms", d.delivery_ms.Percentile(0.50));
  j.Number("delivery_p99_ms", d.delivery_ms.Percentile(0.99));
  j.Number("delivery_p999_ms", d.delivery_ms.Percentile(0.999));
  j.Integer("catchup_events", f.catchup.received);
  j.Number("catchup_fill_seconds", f.catchup.fill_seconds);
  j.Number("catchup_seconds", f.catchup.seconds);
  j.Number("catchup_events_per_s", f.CatchUpRate());
}

void AddBrokerAndRawKeys(const Options& o, RunFigures& f, FlatJson& j) {
  const auto& c = f.commits;
  j.Integer("broker_peak_rss_bytes", f.peak_rss);
  j.Number("commits", c.commits);
  j.Number("commit_avg_batch_events", f.AverageBatch());
  j.Number("commit_avg_ms", c.commits > 0 ? 1000 * c.seconds / c.commits : 0);
  j.Number("committed_bytes_per_event", c.events > 0 ? c.bytes / c.events : 0);
  j.Number("log_reads_deferred", c.reads_deferred);
  j.Integer("raw_rocksdb_batch", o.raw ? f.raw.batch : 0);
  j.Number("raw_rocksdb_events_per_s", f.raw.rocksdb);
  j.Number("raw_rocksdb_1024_events_per_s", f.raw.rocksdb_1024);
  j.Number("raw_zmq_msgs_per_s", f.raw.zmq);
  j.Number("raw_zmq_relay_msgs_per_s", f.raw.zmq_relay);
  j.Number("raw_durable_relay_msgs_per_s", f.raw.durable_relay);
  j.Number("raw_zmq_curve_msgs_per_s", f.raw.zmq_curve);
  j.Number("raw_fsync_4k_per_s", f.raw.fsync.per_second);
  j.Number("raw_fsync_4k_p50_ms", f.raw.fsync.p50_ms);
  j.Number("raw_fsync_4k_p99_ms", f.raw.fsync.p99_ms);
  j.Number("ratio_to_raw_rocksdb", Ratio(f.Rate(), f.raw.rocksdb));
  if (o.storage) {
    const auto& s = f.storage;
    j.Integer("storage_events", s.events);
    j.Integer("storage_data_bytes", s.data_bytes);
    j.Integer("storage_wal_bytes", s.wal_bytes);
    j.Number("storage_bytes_per_event",
             Ratio(static_cast<double>(s.data_bytes), static_cast<double>(s.events)));
    j.Number("restart_seconds", s.restart_seconds);
    j.Integer("restart_rss_bytes", s.restart_rss_bytes);
  }
  j.Number("broker_cpu_us_per_event", f.broker_cpu_us);
  for (const auto& [role, us] : f.cpu_us) j.Number("broker_cpu_us_per_event_" + role, us);
  j.Number("generator_cpu_us_per_event", f.generator_cpu_us);
  j.Number("generator_cpu_us_per_event_publishers", f.GeneratorCpuUs(f.publish.cpu_seconds));
  j.Number("generator_cpu_us_per_event_subscribers", f.GeneratorCpuUs(f.delivery.cpu_seconds));
}

void PrintDelivery(const Options& o, RunFigures& f) {
  auto& d = f.delivery;
  if (o.subscriber_nodes() == 0) return;
  if (!o.sealed) {
    Row("publish-to-delivery p50 / p99 / p99.9 (ms)",
        fmt::format("{:.2f} / {:.2f} / {:.2f}", d.delivery_ms.Percentile(0.5),
                    d.delivery_ms.Percentile(0.99), d.delivery_ms.Percentile(0.999)));
  }
  Row("aggregate delivery events/s", fmt::format("{:.0f}", f.DeliveryRate()),
      fmt::format("{} delivered", d.received));
  if (o.fanout > 0) {
    Row("per-subscriber delivery events/s", fmt::format("{:.0f}", d.MinSubscriberRate()),
        fmt::format("the slowest of {}; mean {:.0f}; each takes every event", o.fanout,
                    d.MeanSubscriberRate()));
  }
}

void PrintBroker(const Options& o, RunFigures& f) {
  std::string split;
  for (const auto& [role, us] : f.cpu_us) {
    if (us >= 0.05) split += fmt::format("{}{} {:.1f}", split.empty() ? "" : ", ", role, us);
  }
  Row("broker CPU per event (µs)", fmt::format("{:.1f}", f.broker_cpu_us), split);
  Row("load generator CPU per event (µs)", fmt::format("{:.1f}", f.generator_cpu_us),
      fmt::format("publishers {:.1f}, subscribers {:.1f}; {}",
                  f.GeneratorCpuUs(f.publish.cpu_seconds), f.GeneratorCpuUs(f.delivery.cpu_seconds),
                  f.generator_cpu_us > f.broker_cpu_us
                      ? "more than the broker: the figure is the generator's"
                      : "less than the broker"));
  if (o.storage) {
    const auto& s = f.storage;
    Row("on disk after a clean shutdown (B/event)",
        fmt::format("{:.0f}",
                    Ratio(static_cast<double>(s.data_bytes), static_cast<double>(s.events))),
        fmt::format("{:.1f} MiB for {} events, WAL {:.1f} MiB", s.data_bytes / 1048576.0, s.events,
                    s.wal_bytes / 1048576.0));
    Row("restart on that data (s)", fmt::format("{:.2f}", s.restart_seconds),
        s.error.empty()
            ? fmt::format("RSS {:.1f} MiB after the start", s.restart_rss_bytes / 1048576.0)
            : s.error);
  }
  const auto& c = f.commits;
  Row("broker peak RSS (MiB)", fmt::format("{:.1f}", static_cast<double>(f.peak_rss) / (1 << 20)));
  Row("average commit batch (events)", fmt::format("{:.1f}", f.AverageBatch()),
      fmt::format("{:.0f} commits, {:.2f} ms each, {:.0f} B of records per event", c.commits,
                  c.commits > 0 ? 1000 * c.seconds / c.commits : 0,
                  c.events > 0 ? c.bytes / c.events : 0));
  Row("reads handed to the log reader", fmt::format("{:.0f}", c.reads_deferred),
      "Publishes whose lookups needed the disk, and catch-up reads");
}

void PrintRaw(const Options& o, RunFigures& f) {
  if (!o.raw) return;
  std::cout << "raw limits, same run, same machine:\n";
  Row(fmt::format("RocksDB synced WriteBatch of {} events/s", f.raw.batch),
      fmt::format("{:.0f}", f.raw.rocksdb),
      fmt::format("Lintas reaches {:.2f} of it", Ratio(f.Rate(), f.raw.rocksdb)));
  Row("RocksDB synced WriteBatch of 1024 events/s", fmt::format("{:.0f}", f.raw.rocksdb_1024));
  Row("ZeroMQ DEALER->ROUTER msgs/s", fmt::format("{:.0f}", f.raw.zmq),
      fmt::format("{} B messages, TCP loopback", o.event_bytes));
  if (o.curve) Row("ZeroMQ DEALER->ROUTER CURVE msgs/s", fmt::format("{:.0f}", f.raw.zmq_curve));
  Row("ZeroMQ relay (in and out) msgs/s", fmt::format("{:.0f}", f.raw.zmq_relay),
      fmt::format("Lintas reaches {:.2f} of it", Ratio(f.Rate(), f.raw.zmq_relay)));
  Row("durable relay (in, sync, ack, out) msgs/s", fmt::format("{:.0f}", f.raw.durable_relay),
      fmt::format("Lintas reaches {:.2f} of it", Ratio(f.Rate(), f.raw.durable_relay)));
  Row("fsync of 4 KiB per s", fmt::format("{:.0f}", f.raw.fsync.per_second),
      fmt::format("p50 {:.3f} ms, p99 {:.3f} ms", f.raw.fsync.p50_ms, f.raw.fsync.p99_ms));
}

}  // namespace

double RunFigures::Rate() const {
  return Ratio(static_cast<double>(publish.acked), publish.seconds);
}
double RunFigures::DeliveryRate() const {
  return Ratio(static_cast<double>(delivery.received), delivery.seconds);
}
double RunFigures::CatchUpRate() const {
  return Ratio(static_cast<double>(catchup.received), catchup.seconds);
}
double RunFigures::GeneratorCpuUs(double seconds) const {
  return Ratio(seconds * 1e6, static_cast<double>(publish.acked));
}
double RunFigures::AverageBatch() const { return Ratio(commits.events, commits.commits); }

bool Complete(const Options& o, const RunFigures& f, std::string* error) {
  uint64_t expected = 0;
  if (o.fanout > 0) {
    expected = f.publish.acked * o.fanout;
  } else {
    for (size_t s = 0; s < o.subscribers && s < f.publish.acked_per_destination.size(); ++s) {
      expected += f.publish.acked_per_destination[s];
    }
  }
  *error = f.publish.error.empty() ? f.delivery.error : f.publish.error;
  if (error->empty()) *error = f.catchup.error;
  return error->empty() && f.publish.refused == 0 && f.publish.unanswered == 0 &&
         f.delivery.received >= expected && f.catchup.received >= f.catchup.events;
}

FlatJson ToJson(const Options& o, RunFigures& f, bool complete, const std::string& error) {
  FlatJson j;
  AddRunKeys(o, f, j);
  AddPublishAndDeliveryKeys(f, j);
  AddBrokerAndRawKeys(o, f, j);
  j.Integer("complete", complete ? 1 : 0);
  j.String("error", error);
  return j;
}

void PrintTable(const Options& o, RunFigures& f, bool complete, const std::string& error) {
  std::string what = o.fanout > 0
                         ? fmt::format("{} fan-out subscriber(s) of regional alerts", o.fanout)
                         : fmt::format("{} subscriber(s)", o.subscribers);
  std::cout << fmt::format(
      "lintas-bench: {} publisher(s), {}, {} B events{}, {}, {}, {}\n", o.publishers, what,
      o.event_bytes,
      o.sealed ? fmt::format(" sealed to 2 nodes ({:.0f} B, sealed in {:.1f} s before the run)",
                             f.wire_event_bytes, f.seal_seconds)
               : "",
      o.rate > 0 ? fmt::format("{:.0f} events/s", o.rate) : "as fast as possible",
      o.events > 0 ? fmt::format("{} events", o.events) : fmt::format("{:.0f} s", o.duration_s),
      o.curve ? "CURVE" : "plaintext");
  auto& p = f.publish;
  Row("durable publish events/s", fmt::format("{:.0f}", f.Rate()),
      fmt::format("{} acked in {:.2f} s", p.acked, p.seconds));
  Row("durable publish MB/s", fmt::format("{:.1f}", f.Rate() * f.wire_event_bytes / 1e6));
  Row("ack latency p50 / p99 / p99.9 (ms)",
      fmt::format("{:.2f} / {:.2f} / {:.2f}", p.ack_ms.Percentile(0.5), p.ack_ms.Percentile(0.99),
                  p.ack_ms.Percentile(0.999)));
  if (o.rate > 0) Row("worst lag behind schedule (ms)", fmt::format("{:.1f}", p.max_lag_ms));
  PrintDelivery(o, f);
  if (o.backlog > 0) {
    Row("catch-up events/s", fmt::format("{:.0f}", f.CatchUpRate()),
        fmt::format("backlog of {} read in {:.2f} s", f.catchup.received, f.catchup.seconds));
  }
  PrintBroker(o, f);
  if (p.refused > 0 || p.unanswered > 0) {
    Row("refused / unanswered", fmt::format("{} / {}", p.refused, p.unanswered),
        fmt::format("{} overloaded", p.overloaded));
  }
  PrintRaw(o, f);
  if (!error.empty()) std::cout << "error: " << error << "\n";
  if (!complete) std::cout << "INCOMPLETE: not every event was acknowledged and delivered\n";
}

}  // namespace lintas::bench
