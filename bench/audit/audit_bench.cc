// lintas-audit-bench: what the audit trail costs and how fast an export
// verifies, measured in one run on this machine:
//   1. durable publish throughput of the broker's full pipeline with the
//      Merkle tree and checkpoints off and on (alternating rounds, fresh
//      RocksDB each), and the overhead (target: under 10%);
//   2. an export of at least 1M events with inclusion proofs, written
//      through the real protocol, then verified offline (target: at least
//      500k events/s).
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "../load_publisher.h"
#include "lintas/audit/export_format.h"
#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/audit_client.h"
#include "testutil/broker_harness.h"
#include "testutil/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace bench = lintas::bench;

struct Run {
  double events_per_s = 0;
  uint64_t acked = 0;
};

// Publishes `events` 1 KB events from `publishers` nodes into `broker`.
Run Publish(lintas::testutil::InProcessBroker& broker, uint64_t events, size_t publishers,
            size_t event_bytes) {
  static const char* kNodes[][3] = {{"th-node", "THA", "th-rtp-atpd"},
                                    {"vn-node", "VNM", "vn-mps-cpd"},
                                    {"la-node", "LAO", "la-mps-aht"},
                                    {"ph-node", "PHL", "ph-iacat"}};
  zmq::context_t ctx(2);
  std::atomic<size_t> connected{0};
  std::atomic<bool> start{false};
  std::vector<bench::PublisherResult> results(publishers);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < publishers; ++i) {
    bench::PublisherOptions o;
    o.client = lintas::testutil::NodeOptions(broker.endpoint(), kNodes[i][0]);
    o.origin_agency = kNodes[i][2];
    o.destinations = {{"KHM", "kh-mosvy"}};
    o.event_bytes = event_bytes;
    o.count = events / publishers;
    o.record_latency = false;
    threads.emplace_back([&, i, o] { results[i] = bench::RunPublisher(ctx, o, connected, start); });
  }
  while (connected.load() < publishers) std::this_thread::sleep_for(1ms);  // start barrier
  start = true;
  for (auto& t : threads) t.join();
  Run run;
  Clock::time_point first = Clock::time_point::max();
  Clock::time_point last{};
  for (const auto& r : results) {
    run.acked += r.acked;
    first = std::min(first, r.first_send);
    last = std::max(last, r.last_answer);
  }
  double seconds = std::chrono::duration<double>(last - first).count();
  run.events_per_s = seconds > 0 ? static_cast<double>(run.acked) / seconds : 0;
  return run;
}

lintas::broker::BrokerConfig Config(const std::string& dir, bool tree) {
  auto config = lintas::testutil::TestConfig(dir);
  config.audit_enabled = tree;
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lintas-audit-bench: the audit trail's cost on publishing, and export verification speed"};
  uint64_t events = 200000;
  std::string keep;
  uint64_t export_events = 1000000;
  size_t publishers = 2;
  size_t rounds = 2;
  size_t event_bytes = 1024;
  app.add_option("--events", events, "Events per throughput round (default 200000)");
  app.add_option("--export-events", export_events, "Events in the exported log (default 1000000)");
  app.add_option("--publishers", publishers, "Publishing nodes, 1..4 (default 2)")->check(CLI::Range(1, 4));
  app.add_option("--rounds", rounds, "Rounds of tree off / tree on (default 2)");
  app.add_option("--size", event_bytes, "Event size in bytes (default 1024)");
  app.add_option("--keep", keep, "Copy the export and the broker's public key into this folder");
  CLI11_PARSE(app, argc, argv);
  lintas::ConfigureLogging("error", false);

  // 1. Publish throughput, tree off and on, alternating.
  std::vector<double> off;
  std::vector<double> on;
  for (size_t round = 0; round < rounds; ++round) {
    for (bool tree : {false, true}) {
      lintas::testutil::TempDir dir;
      lintas::testutil::InProcessBroker broker(Config(dir.Sub("data"), tree));
      Run r = Publish(broker, events, publishers, event_bytes);
      (tree ? on : off).push_back(r.events_per_s);
      std::cerr << fmt::format("round {} tree {}: {:.0f} events/s ({} acked)\n", round + 1,
                               tree ? "on " : "off", r.events_per_s, r.acked);
    }
  }
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / static_cast<double>(v.size());
  };
  double off_mean = mean(off);
  double on_mean = mean(on);
  double overhead = off_mean > 0 ? (1 - on_mean / off_mean) * 100 : 0;

  // 2. An export of export_events records, then its offline verification.
  lintas::testutil::TempDir dir;
  uint64_t exported = 0;
  double export_s = 0;
  double verify_s = 0;
  lintas::audit::VerifyReport report;
  std::string file = dir.Sub("export.jsonl");
  {
    lintas::testutil::InProcessBroker broker(Config(dir.Sub("data"), true));
    Run r = Publish(broker, export_events, publishers, event_bytes);
    std::cerr << fmt::format("published {} events for the export ({:.0f} events/s)\n", r.acked,
                             r.events_per_s);
    zmq::context_t ctx(1);
    lintas::node::BrokerClient auditor(ctx, lintas::testutil::NodeOptions(broker.endpoint(), "audit-node"));
    if (!auditor.Connect().ok()) {
      std::cerr << "auditor could not connect\n";
      return 1;
    }
    lintas::node::AuditClient client(&auditor);
    std::ofstream out(file, std::ios::binary);
    auto t0 = Clock::now();
    auto n = client.Export({}, "benchmark", out, lintas::audit::ExportFormat::kJsonLines);
    out.close();
    export_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!n.ok()) {
      std::cerr << "export failed: " << n.error().message << "\n";
      return 1;
    }
    exported = *n;
  }
  auto key = lintas::audit::LoadPublicKey(dir.Sub("data") + "/audit-signing.key.pub");
  if (!key.ok()) {
    std::cerr << "no signing key\n";
    return 1;
  }
  {
    auto t0 = Clock::now();
    report = lintas::audit::VerifyExportFile(file, *key, std::max(1u, std::thread::hardware_concurrency()));
    verify_s = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  double verify_rate = static_cast<double>(report.records) / verify_s;
  if (!keep.empty()) {
    std::filesystem::create_directories(keep);
    std::filesystem::copy_file(file, keep + "/export.jsonl",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(dir.Sub("data") + "/audit-signing.key.pub", keep + "/broker.pub",
                               std::filesystem::copy_options::overwrite_existing);
  }
  auto file_bytes = std::filesystem::file_size(file);

  std::cout << fmt::format("lintas-audit-bench: {} publishers, {} B events, {} events per round, {} rounds\n\n",
                           publishers, event_bytes, events, rounds);
  std::cout << fmt::format("{:<46} {:>14} {:>14}\n", "measure", "measured", "limit");
  std::cout << fmt::format("{:<46} {:>14.0f} {:>14}\n", "durable publish, tree off (events/s)", off_mean, "-");
  std::cout << fmt::format("{:<46} {:>14.0f} {:>14}\n", "durable publish, tree on (events/s)", on_mean, "-");
  std::cout << fmt::format("{:<46} {:>13.1f}% {:>13}%\n", "tree maintenance overhead", overhead, "< 10");
  std::cout << fmt::format("{:<46} {:>14} {:>14}\n", "export: records (complete, with proofs)", exported, ">= 1000000");
  std::cout << fmt::format("{:<46} {:>14.0f} {:>14}\n", "export: records/s (replay + proofs + write)",
                           static_cast<double>(exported) / export_s, "-");
  std::cout << fmt::format("{:<46} {:>14.1f} {:>14}\n", "export file (MB)", static_cast<double>(file_bytes) / 1e6, "-");
  std::cout << fmt::format("{:<46} {:>14.0f} {:>14}\n", "offline verification (events/s)", verify_rate, ">= 500000");
  std::cout << fmt::format("{:<46} {:>14} {:>14}\n", "verification result", report.ok ? "OK" : report.problem, "OK");
  return report.ok ? 0 : 1;
}
