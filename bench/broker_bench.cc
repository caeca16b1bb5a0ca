// lintas-broker-bench: durable publish throughput and ack latency of the
// broker's full pipeline (verify, validate, origin check, dedup, routing,
// indexes, group commit with sync), from publishers speaking the real
// protocol over TCP on loopback, printed beside the raw limit of a synced
// RocksDB WriteBatch of the same batch size measured in the same run.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "raw_limits.h"
#include "testutil/broker_harness.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct PublisherResult {
  uint64_t acked = 0;
  uint64_t refused = 0;
  std::vector<double> latencies_ms;
};

// One node publishing `count` events of about `event_bytes`, keeping up to
// `window` events in flight, in Publish messages of `batch` events.
PublisherResult RunPublisher(zmq::context_t& ctx, const std::string& endpoint,
                             const std::string& node_id, const std::string& country,
                             const std::string& agency, size_t count, size_t event_bytes,
                             size_t window, size_t batch) {
  PublisherResult result;
  lintas::node::BrokerClient client(ctx, lintas::testutil::NodeOptions(endpoint, node_id));
  if (!client.Connect().ok()) return result;
  lintas::wire::EventIdGenerator ids;
  // Build the events first: the publisher's own cost is not the broker's.
  std::vector<std::string> events;
  events.reserve(count);
  std::string probe = lintas::testutil::MinimalReferral(ids.Next(), country, agency, "KHM",
                                                        "kh-mosvy", 0);
  size_t padding = event_bytes > probe.size() ? event_bytes - probe.size() : 0;
  for (size_t i = 0; i < count; ++i) {
    events.push_back(lintas::testutil::MinimalReferral(ids.Next(), country, agency, "KHM",
                                                       "kh-mosvy", padding));
  }
  // Sequence numbers are contiguous from the first Publish: a vector will do.
  std::vector<Clock::time_point> sent_at(count);
  std::vector<bool> answered(count, false);
  uint64_t first_seq = 0;
  size_t in_flight = 0;
  size_t next = 0;
  result.latencies_ms.reserve(count);
  auto deadline = Clock::now() + 300s;
  while (result.acked + result.refused < count && Clock::now() < deadline) {
    while (next < count && in_flight + batch <= window) {
      size_t n = std::min(batch, count - next);
      auto first = client.Publish(std::span(events).subspan(next, n));
      if (!first.ok()) break;
      if (next == 0) first_seq = *first;
      auto now = Clock::now();
      for (size_t i = 0; i < n; ++i) sent_at[next + i] = now;
      next += n;
      in_flight += n;
    }
    auto in = client.Receive(100ms);
    if (!in.ok() || !in->has_value()) continue;
    auto now = Clock::now();
    const auto& m = **in;
    if (m.command == lintas::proto::Command::Ack) {
      for (const auto* e : *m.control()->command_as_Ack()->entries()) {
        size_t i = e->seq() - first_seq;
        if (i >= next || answered[i]) continue;
        answered[i] = true;
        --in_flight;
        result.latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(now - sent_at[i]).count());
        ++result.acked;
      }
    } else if (m.command == lintas::proto::Command::Nack) {
      size_t i = m.control()->command_as_Nack()->seq() - first_seq;
      if (i < next && !answered[i]) {
        answered[i] = true;
        --in_flight;
        ++result.refused;
      }
    }
  }
  return result;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lintas-broker-bench: durable publish throughput beside the raw limit"};
  size_t events = 200000;
  size_t event_bytes = 1024;
  size_t publishers = 1;
  size_t window = 8192;
  size_t batch = 256;
  double raw_seconds = 3;
  app.add_option("-n,--events", events, "Events per publisher")->capture_default_str();
  app.add_option("-s,--size", event_bytes, "Event size in bytes")->capture_default_str();
  app.add_option("-p,--publishers", publishers, "Publishing nodes (1..6)")->capture_default_str();
  app.add_option("-w,--window", window, "Events in flight per publisher")->capture_default_str();
  app.add_option("-b,--batch", batch, "Events per Publish message (1..256)")->capture_default_str();
  app.add_option("--raw-seconds", raw_seconds, "Duration of each raw-limit measurement")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  publishers = std::clamp<size_t>(publishers, 1, 6);
  batch = std::clamp<size_t>(batch, 1, 256);

  lintas::ConfigureLogging("error", false);
  lintas::testutil::TempDir dir;
  const char* nodes[][3] = {{"th-node", "THA", "th-rtp-atpd"}, {"vn-node", "VNM", "vn-mps-cpd"},
                            {"la-node", "LAO", "la-mps-aht"},  {"id-node", "IDN", "id-polri-bareskrim"},
                            {"ph-node", "PHL", "ph-dswd"},     {"my-node", "MYS", "my-jkm"}};
  double seconds = 0;
  std::vector<PublisherResult> results(publishers);
  uint64_t commits = 0;
  uint64_t committed = 0;
  double commit_seconds = 0;
  {
    auto config = lintas::testutil::TestConfig(dir.Sub("broker"));
    lintas::testutil::InProcessBroker broker(config);
    zmq::context_t ctx;
    std::vector<std::thread> threads;
    auto start = Clock::now();
    for (size_t p = 0; p < publishers; ++p) {
      threads.emplace_back([&, p] {
        results[p] = RunPublisher(ctx, broker.endpoint(), nodes[p][0], nodes[p][1], nodes[p][2],
                                  events, event_bytes, window, batch);
      });
    }
    for (auto& t : threads) t.join();
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    commits = broker.broker().probe().commits();
    committed = broker.broker().probe().committed_events();
    commit_seconds = broker.broker().probe().commit_seconds();
  }
  uint64_t acked = 0;
  uint64_t refused = 0;
  std::vector<double> latencies;
  for (auto& r : results) {
    acked += r.acked;
    refused += r.refused;
    latencies.insert(latencies.end(), r.latencies_ms.begin(), r.latencies_ms.end());
  }
  double rate = static_cast<double>(acked) / seconds;
  double avg_batch = commits ? static_cast<double>(committed) / static_cast<double>(commits) : 0;
  size_t raw_batch = std::max<size_t>(1, static_cast<size_t>(avg_batch + 0.5));
  double raw = lintas::bench::SyncedWriteBatchRate(dir.Sub("raw"), raw_batch, event_bytes,
                                                   raw_seconds);
  double raw256 = lintas::bench::SyncedWriteBatchRate(dir.Sub("raw256"), 256, event_bytes,
                                                      raw_seconds);
  double p50 = Percentile(latencies, 0.50);
  double p99 = Percentile(latencies, 0.99);
  double p999 = Percentile(latencies, 0.999);

  std::cout << fmt::format(
      "lintas-broker-bench: {} publisher(s) x {} events of {} B, window {}, {} per Publish\n",
      publishers, events, event_bytes, window, batch);
  std::cout << fmt::format("{:<44} {:>14} {:>14} {:>8}\n", "figure", "Lintas", "raw limit", "ratio");
  std::cout << fmt::format("{:<44} {:>14.0f} {:>14.0f} {:>8.2f}\n",
                           fmt::format("durable events/s (raw: synced batch of {})", raw_batch),
                           rate, raw, rate / raw);
  std::cout << fmt::format("{:<44} {:>14.0f} {:>14.0f} {:>8.2f}\n",
                           "durable events/s (raw: synced batch of 256)", rate, raw256,
                           rate / raw256);
  std::cout << fmt::format("{:<44} {:>14.1f}\n", "durable MB/s",
                           rate * static_cast<double>(event_bytes) / 1e6);
  std::cout << fmt::format("{:<44} {:>14.3f}\n", "ack latency p50 (ms)", p50);
  std::cout << fmt::format("{:<44} {:>14.3f}\n", "ack latency p99 (ms)", p99);
  std::cout << fmt::format("{:<44} {:>14.3f}\n", "ack latency p99.9 (ms)", p999);
  std::cout << fmt::format("{:<44} {:>14.1f}\n", "average commit batch (events)", avg_batch);
  std::cout << fmt::format("{:<44} {:>14.2f}\n", "average commit time (ms)",
                           commits ? 1000 * commit_seconds / static_cast<double>(commits) : 0);
  std::cout << fmt::format("{:<44} {:>14.0f}%\n", "share of the run spent syncing",
                           100 * commit_seconds / seconds);
  std::cout << fmt::format("{:<44} {:>14}\n", "acknowledged / refused", fmt::format("{} / {}", acked, refused));
  std::cout << fmt::format("target: durable events/s >= 0.8 x raw limit at the same batch size: {}\n",
                           rate >= 0.8 * raw ? "met" : "NOT met");
  return acked == publishers * events ? 0 : 1;
}
