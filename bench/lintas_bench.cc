// lintas-bench: the load generator. N publishing nodes and M subscribing
// nodes speak LTP/1 over TCP on loopback (plaintext or CURVE) to a
// lintas-broker child process; it reports durable publish throughput, ack
// and publish-to-delivery latency, the delivery rate, the catch-up rate of a
// subscriber with a backlog, the broker's peak RSS and commit batch size, and
// the raw limits of this machine measured in the same run. bench/README.md
// documents the options and every --json key.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "broker_child.h"
#include "event_template.h"
#include "lintas/common/logging.h"
#include "load_publisher.h"
#include "load_subscriber.h"
#include "raw_limits.h"
#include "stats.h"
#include "storage_check.h"
#include "thread_cpu.h"
#include "testutil/temp_dir.h"

namespace lintas::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
  size_t publishers = 4;
  size_t subscribers = 1;
  size_t event_bytes = 1024;
  double rate = 0;  // events/s over all publishers; 0: as fast as possible
  double duration_s = 10;
  uint64_t events = 0;  // over all publishers; 0: run for duration_s
  size_t window = 8192;
  size_t batch = 256;
  uint32_t credit = 4096;
  uint64_t backlog = 200000;
  bool curve = false;
  bool json = false;
  bool raw = true;
  double raw_seconds = 2;
  bool storage = false;
  std::string broker_binary;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string DefaultBrokerBinary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "lintas-broker";
  return (self.parent_path().parent_path() / "broker" / "lintas-broker").string();
}

node::ClientOptions ClientFor(const BenchNode& n, const std::string& endpoint,
                              const std::string& broker_key) {
  node::ClientOptions o;
  o.endpoint = endpoint;
  o.node_id = n.id;
  o.country = n.country;
  o.software = "lintas-bench/0.1.0";
  if (!broker_key.empty()) {
    o.broker_public_key = broker_key;
    o.public_key = n.public_key;
    o.secret_key = n.secret_key;
  }
  o.connect_timeout = 10s;
  return o;
}

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
  std::string error;
};

struct DeliveryPhase {
  uint64_t received = 0;
  double seconds = 0;  // publishing start to the last record
  Latencies delivery_ms;
  std::string error;
};

// Runs the publishers (and the subscribers, when given) to the end.
void RunPhase(zmq::context_t& ctx, const std::vector<PublisherOptions>& pubs,
              const std::vector<SubscriberOptions>& subs, PublishPhase* publish,
              DeliveryPhase* delivery, double duration_s) {
  std::atomic<uint64_t> expected_per_sub[64];
  for (auto& e : expected_per_sub) e.store(UINT64_MAX);
  std::atomic<int64_t> sub_deadline{INT64_MAX};
  std::atomic<size_t> subs_ready{0};
  std::vector<SubscriberResult> sub_results(subs.size());
  std::vector<std::thread> sub_threads;
  for (size_t i = 0; i < subs.size(); ++i) {
    sub_threads.emplace_back([&, i] {
      sub_results[i] = RunSubscriber(ctx, subs[i], expected_per_sub[i], sub_deadline, subs_ready);
    });
  }
  auto wait_until = Clock::now() + 20s;
  while (subs_ready.load() < subs.size() && Clock::now() < wait_until) std::this_thread::sleep_for(1ms);

  std::atomic<size_t> connected{0};
  std::atomic<bool> start{false};
  publish->publishers.assign(pubs.size(), PublisherResult{});
  std::vector<PublisherOptions> run = pubs;
  std::vector<std::thread> pub_threads;
  for (size_t i = 0; i < pubs.size(); ++i) {
    pub_threads.emplace_back([&, i] {
      publish->publishers[i] = RunPublisher(ctx, run[i], connected, start);
    });
  }
  while (connected.load() < pubs.size() && Clock::now() < wait_until) std::this_thread::sleep_for(1ms);
  // Connected and idle: now the clock starts, for everyone at once.
  Clock::time_point begin = Clock::now();
  if (duration_s > 0) {
    for (auto& p : run) p.stop_at = begin + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(duration_s));
  }
  start.store(true, std::memory_order_release);
  for (auto& t : pub_threads) t.join();

  Clock::time_point last = begin;
  size_t destinations = pubs.empty() ? 0 : pubs[0].destinations.size();
  publish->acked_per_destination.assign(destinations, 0);
  for (auto& r : publish->publishers) {
    if (!r.connected) {
      publish->error = "a publisher could not connect: " + r.error;
      continue;
    }
    publish->acked += r.acked;
    publish->refused += r.refused;
    publish->overloaded += r.overloaded;
    publish->unanswered += r.sent - r.acked - r.refused;
    publish->max_lag_ms = std::max(publish->max_lag_ms, r.max_lag_ms);
    publish->ack_ms.Merge(r.ack_ms);
    last = std::max(last, r.last_answer);
    for (size_t d = 0; d < destinations; ++d) publish->acked_per_destination[d] += r.acked_per_destination[d];
  }
  publish->seconds = Seconds(last - begin);

  // The subscribers now know what to wait for: what was acknowledged for them.
  sub_deadline.store(SteadyNanos() + 30'000'000'000LL);
  for (size_t i = 0; i < subs.size(); ++i) {
    expected_per_sub[i].store(i < destinations ? publish->acked_per_destination[i] : 0);
  }
  for (auto& t : sub_threads) t.join();
  if (delivery != nullptr) {
    Clock::time_point last_record = begin;
    for (auto& r : sub_results) {
      if (!r.connected) {
        delivery->error = "a subscriber could not subscribe: " + r.error;
        continue;
      }
      delivery->received += r.received;
      delivery->delivery_ms.Merge(r.delivery_ms);
      if (r.received > 0) last_record = std::max(last_record, r.last_record);
    }
    delivery->seconds = Seconds(last_record - begin);
  }
}

struct CatchUp {
  uint64_t events = 0;
  uint64_t received = 0;
  double fill_seconds = 0;
  double seconds = 0;
  std::string error;
};

int Main(int argc, char** argv) {
  Options o;
  o.broker_binary = DefaultBrokerBinary();
  CLI::App app{"lintas-bench: load generator for the Lintas broker (LTP/1 over TCP)"};
  app.add_option("-p,--publishers", o.publishers, "Publishing nodes (1..32)")->capture_default_str();
  app.add_option("-m,--subscribers", o.subscribers, "Subscribing nodes (0..32); events are spread over their inboxes")
      ->capture_default_str();
  app.add_option("-s,--size", o.event_bytes, "Event size in bytes (about)")->capture_default_str();
  app.add_option("-r,--rate", o.rate, "Events/s over all publishers; 0: as fast as possible")
      ->capture_default_str();
  app.add_option("-d,--duration", o.duration_s, "Seconds of publishing (unless --events)")
      ->capture_default_str();
  app.add_option("-n,--events", o.events, "Events over all publishers instead of a duration; 0: use --duration")
      ->capture_default_str();
  app.add_option("-w,--window", o.window, "Events in flight per publisher")->capture_default_str();
  app.add_option("-b,--batch", o.batch, "Events per Publish message (1..256)")->capture_default_str();
  app.add_option("--credit", o.credit, "Subscriber credit window (events)")->capture_default_str();
  app.add_option("--backlog", o.backlog, "Catch-up test: events queued for a subscriber while it is away; 0: skip")
      ->capture_default_str();
  app.add_flag("--curve", o.curve, "CurveZMQ (keys generated for the run) instead of plaintext");
  app.add_flag("--json", o.json, "Print one flat JSON object (keys in bench/README.md)");
  app.add_flag("!--no-raw", o.raw, "Skip the raw-limit measurements");
  app.add_option("--raw-seconds", o.raw_seconds, "Duration of each raw-limit measurement")
      ->capture_default_str();
  app.add_option("--broker", o.broker_binary, "The lintas-broker binary")->capture_default_str();
  app.add_flag("--storage", o.storage,
               "After the run: bytes per event on disk, WAL left after a clean shutdown, restart time "
               "and RSS on that data");
  CLI11_PARSE(app, argc, argv);
  o.publishers = std::clamp<size_t>(o.publishers, 1, 32);
  o.subscribers = std::clamp<size_t>(o.subscribers, 0, 32);
  o.batch = std::clamp<size_t>(o.batch, 1, 256);
  o.credit = std::max<uint32_t>(o.credit, 1);

  ConfigureLogging("error", false);
  testutil::TempDir dir;

  // The topology: publishers in Thailand, subscribers in Cambodia, one idle
  // inbox (when there are no subscribers) and one late subscriber.
  std::vector<BenchNode> nodes;
  for (size_t i = 0; i < o.publishers; ++i) {
    nodes.push_back({fmt::format("bench-p{}", i), "THA", fmt::format("th-bench-p{}", i), true, false, "", ""});
  }
  for (size_t i = 0; i < o.subscribers; ++i) {
    nodes.push_back({fmt::format("bench-s{}", i), "KHM", fmt::format("kh-bench-s{}", i), false, true, "", ""});
  }
  nodes.push_back({"bench-idle", "KHM", "kh-bench-idle", false, true, "", ""});
  nodes.push_back({"bench-late", "KHM", "kh-bench-late", false, true, "", ""});
  if (o.curve) {
    for (auto& n : nodes) NewCurveKeys(&n.public_key, &n.secret_key);
  }
  const BenchNode& idle = nodes[o.publishers + o.subscribers];
  const BenchNode& late = nodes[o.publishers + o.subscribers + 1];

  BrokerChild broker(o.broker_binary, dir.Sub("broker"), nodes, o.curve);
  zmq::context_t ctx(2);

  // Phase 1: publishing, with live subscribers.
  std::vector<PublisherOptions> pubs;
  std::vector<SubscriberOptions> subs;
  for (size_t i = 0; i < o.publishers; ++i) {
    PublisherOptions p;
    p.client = ClientFor(nodes[i], broker.endpoint(), broker.public_key());
    p.origin_agency = nodes[i].agency;
    if (o.subscribers == 0) p.destinations.emplace_back(idle.country, idle.agency);
    for (size_t s = 0; s < o.subscribers; ++s) {
      p.destinations.emplace_back(nodes[o.publishers + s].country, nodes[o.publishers + s].agency);
    }
    p.event_bytes = o.event_bytes;
    p.rate = o.rate / static_cast<double>(o.publishers);
    p.count = o.events / o.publishers + (i < o.events % o.publishers ? 1 : 0);
    p.window = o.window;
    p.batch = o.batch;
    pubs.push_back(std::move(p));
  }
  for (size_t s = 0; s < o.subscribers; ++s) {
    SubscriberOptions so;
    so.client = ClientFor(nodes[o.publishers + s], broker.endpoint(), broker.public_key());
    so.credit = o.credit;
    subs.push_back(std::move(so));
  }
  PublishPhase publish;
  DeliveryPhase delivery;
  auto broker_cpu0 = ThreadCpuSeconds(broker.pid());
  double self_cpu0 = ProcessCpuSeconds(getpid());
  RunPhase(ctx, pubs, subs, &publish, &delivery, o.events > 0 ? 0 : o.duration_s);
  // CPU per acknowledged event, by broker thread, and the generator's own.
  std::map<std::string, double> cpu_us;  // role -> µs per event
  double broker_cpu_us = 0;
  double generator_cpu_us = 0;
  if (publish.acked > 0) {
    const double per_event = 1e6 / static_cast<double>(publish.acked);
    for (const auto& [name, seconds] : CpuSince(broker_cpu0, ThreadCpuSeconds(broker.pid()))) {
      cpu_us[ThreadRole(name)] += seconds * per_event;
      broker_cpu_us += seconds * per_event;
    }
    generator_cpu_us = (ProcessCpuSeconds(getpid()) - self_cpu0) * per_event;
  }
  CommitStats commits = broker.Commits();

  // Phase 2: a backlog for a subscriber that is away, then its catch-up.
  CatchUp catchup;
  if (o.backlog > 0) {
    catchup.events = o.backlog;
    std::vector<PublisherOptions> fill = pubs;
    for (size_t i = 0; i < fill.size(); ++i) {
      fill[i].destinations = {{late.country, late.agency}};
      fill[i].rate = 0;
      fill[i].count = o.backlog / o.publishers + (i < o.backlog % o.publishers ? 1 : 0);
      fill[i].stop_at = Clock::time_point::max();
      fill[i].record_latency = false;
    }
    PublishPhase filled;
    RunPhase(ctx, fill, {}, &filled, nullptr, 0);
    catchup.fill_seconds = filled.seconds;
    catchup.events = filled.acked;
    if (!filled.error.empty()) catchup.error = filled.error;
    SubscriberOptions so;
    so.client = ClientFor(late, broker.endpoint(), broker.public_key());
    so.credit = o.credit;
    so.record_latency = false;
    std::atomic<uint64_t> expected{catchup.events};
    std::atomic<int64_t> deadline{SteadyNanos() + 120'000'000'000LL};
    std::atomic<size_t> ready{0};
    SubscriberResult r = RunSubscriber(ctx, so, expected, deadline, ready);
    if (!r.connected) catchup.error = "the late subscriber could not subscribe: " + r.error;
    catchup.received = r.received;
    catchup.seconds = r.received > 0 ? Seconds(r.last_record - r.subscribed_at) : 0;
  }
  uint64_t peak_rss = broker.PeakRssBytes();
  broker.Terminate();
  StorageFigures storage;
  if (o.storage) {
    storage = MeasureStorageAndRestart(o.broker_binary, dir.Sub("broker"), nodes, o.curve,
                                       publish.acked + catchup.events);
  }

  // The raw limits, with the broker gone.
  double avg_batch = commits.commits > 0 ? commits.events / commits.commits : 0;
  size_t raw_batch = std::max<size_t>(1, static_cast<size_t>(avg_batch + 0.5));
  double raw_rocksdb = 0, raw_rocksdb_1024 = 0, raw_zmq = 0, raw_zmq_curve = 0;
  FsyncLatency fsync;
  if (o.raw) {
    raw_rocksdb = SyncedWriteBatchRate(dir.Sub("raw-batch"), raw_batch, o.event_bytes, o.raw_seconds);
    raw_rocksdb_1024 = SyncedWriteBatchRate(dir.Sub("raw-1024"), 1024, o.event_bytes, o.raw_seconds);
    raw_zmq = ZmqDealerRouterRate(o.event_bytes, o.raw_seconds, false);
    if (o.curve) raw_zmq_curve = ZmqDealerRouterRate(o.event_bytes, o.raw_seconds, true);
    fsync = Fsync4KiB(dir.Sub("raw-fsync"), o.raw_seconds);
  }

  double rate = publish.seconds > 0 ? static_cast<double>(publish.acked) / publish.seconds : 0;
  double mbps = rate * static_cast<double>(o.event_bytes) / 1e6;
  double delivery_rate = delivery.seconds > 0 ? static_cast<double>(delivery.received) / delivery.seconds : 0;
  double catchup_rate = catchup.seconds > 0 ? static_cast<double>(catchup.received) / catchup.seconds : 0;
  double commit_ms = commits.commits > 0 ? 1000 * commits.seconds / commits.commits : 0;
  uint64_t expected_deliveries = 0;
  for (size_t s = 0; s < o.subscribers && s < publish.acked_per_destination.size(); ++s) {
    expected_deliveries += publish.acked_per_destination[s];
  }
  std::string error = publish.error.empty() ? delivery.error : publish.error;
  if (error.empty()) error = catchup.error;
  bool complete = error.empty() && publish.refused == 0 && publish.unanswered == 0 &&
                  delivery.received >= expected_deliveries && catchup.received >= catchup.events;

  FlatJson j;
  j.String("system", "lintas");
  j.String("security", o.curve ? "curve" : "plaintext");
  j.Integer("publishers", o.publishers);
  j.Integer("subscribers", o.subscribers);
  j.Integer("event_bytes", o.event_bytes);
  j.Number("rate_target", o.rate);
  j.Number("duration_s", o.events > 0 ? 0 : o.duration_s);
  j.Integer("events_target", o.events);
  j.Integer("window", o.window);
  j.Integer("batch", o.batch);
  j.Integer("credit", o.credit);
  j.Integer("published_events", publish.acked);
  j.Integer("refused_events", publish.refused);
  j.Integer("overloaded_events", publish.overloaded);
  j.Integer("unanswered_events", publish.unanswered);
  j.Number("publish_seconds", publish.seconds);
  j.Number("durable_events_per_s", rate);
  j.Number("durable_mb_per_s", mbps);
  j.Number("ack_p50_ms", publish.ack_ms.Percentile(0.50));
  j.Number("ack_p99_ms", publish.ack_ms.Percentile(0.99));
  j.Number("ack_p999_ms", publish.ack_ms.Percentile(0.999));
  j.Number("ack_max_ms", publish.ack_ms.Max());
  j.Number("max_schedule_lag_ms", publish.max_lag_ms);
  j.Integer("delivered_events", delivery.received);
  j.Number("delivery_events_per_s", delivery_rate);
  j.Number("delivery_p50_ms", delivery.delivery_ms.Percentile(0.50));
  j.Number("delivery_p99_ms", delivery.delivery_ms.Percentile(0.99));
  j.Number("delivery_p999_ms", delivery.delivery_ms.Percentile(0.999));
  j.Integer("catchup_events", catchup.received);
  j.Number("catchup_fill_seconds", catchup.fill_seconds);
  j.Number("catchup_seconds", catchup.seconds);
  j.Number("catchup_events_per_s", catchup_rate);
  j.Integer("broker_peak_rss_bytes", peak_rss);
  j.Number("commits", commits.commits);
  j.Number("commit_avg_batch_events", avg_batch);
  j.Number("commit_avg_ms", commit_ms);
  j.Number("committed_bytes_per_event", commits.events > 0 ? commits.bytes / commits.events : 0);
  j.Integer("raw_rocksdb_batch", o.raw ? raw_batch : 0);
  j.Number("raw_rocksdb_events_per_s", raw_rocksdb);
  j.Number("raw_rocksdb_1024_events_per_s", raw_rocksdb_1024);
  j.Number("raw_zmq_msgs_per_s", raw_zmq);
  j.Number("raw_zmq_curve_msgs_per_s", raw_zmq_curve);
  j.Number("raw_fsync_4k_per_s", fsync.per_second);
  j.Number("raw_fsync_4k_p50_ms", fsync.p50_ms);
  j.Number("raw_fsync_4k_p99_ms", fsync.p99_ms);
  j.Number("ratio_to_raw_rocksdb", raw_rocksdb > 0 ? rate / raw_rocksdb : 0);
  if (o.storage) {
    j.Integer("storage_events", storage.events);
    j.Integer("storage_data_bytes", storage.data_bytes);
    j.Integer("storage_wal_bytes", storage.wal_bytes);
    j.Number("storage_bytes_per_event",
             storage.events > 0 ? static_cast<double>(storage.data_bytes) / storage.events : 0);
    j.Number("restart_seconds", storage.restart_seconds);
    j.Integer("restart_rss_bytes", storage.restart_rss_bytes);
  }
  j.Number("broker_cpu_us_per_event", broker_cpu_us);
  for (const auto& [role, us] : cpu_us) j.Number("broker_cpu_us_per_event_" + role, us);
  j.Number("generator_cpu_us_per_event", generator_cpu_us);
  j.Integer("complete", complete ? 1 : 0);
  j.String("error", error);

  if (o.json) {
    std::cout << j.Render();
    return complete ? 0 : 1;
  }
  auto row = [](const std::string& name, const std::string& value, const std::string& note = "") {
    std::cout << fmt::format("{:<40} {:>14}  {}\n", name, value, note);
  };
  std::cout << fmt::format(
      "lintas-bench: {} publisher(s), {} subscriber(s), {} B events, {}, {}, {}\n", o.publishers,
      o.subscribers, o.event_bytes, o.rate > 0 ? fmt::format("{:.0f} events/s", o.rate) : "as fast as possible",
      o.events > 0 ? fmt::format("{} events", o.events) : fmt::format("{:.0f} s", o.duration_s),
      o.curve ? "CURVE" : "plaintext");
  row("durable publish events/s", fmt::format("{:.0f}", rate),
      fmt::format("{} acked in {:.2f} s", publish.acked, publish.seconds));
  row("durable publish MB/s", fmt::format("{:.1f}", mbps));
  row("ack latency p50 / p99 / p99.9 (ms)",
      fmt::format("{:.2f} / {:.2f} / {:.2f}", publish.ack_ms.Percentile(0.5),
                  publish.ack_ms.Percentile(0.99), publish.ack_ms.Percentile(0.999)));
  if (o.rate > 0) row("worst lag behind schedule (ms)", fmt::format("{:.1f}", publish.max_lag_ms));
  if (o.subscribers > 0) {
    row("publish-to-delivery p50 / p99 / p99.9 (ms)",
        fmt::format("{:.2f} / {:.2f} / {:.2f}", delivery.delivery_ms.Percentile(0.5),
                    delivery.delivery_ms.Percentile(0.99), delivery.delivery_ms.Percentile(0.999)));
    row("aggregate delivery events/s", fmt::format("{:.0f}", delivery_rate),
        fmt::format("{} delivered", delivery.received));
  }
  if (o.backlog > 0) {
    row("catch-up events/s", fmt::format("{:.0f}", catchup_rate),
        fmt::format("backlog of {} read in {:.2f} s", catchup.received, catchup.seconds));
  }
  {
    std::string split;
    for (const auto& [role, us] : cpu_us) {
      if (us >= 0.05) split += fmt::format("{}{} {:.1f}", split.empty() ? "" : ", ", role, us);
    }
    row("broker CPU per event (µs)", fmt::format("{:.1f}", broker_cpu_us), split);
    row("load generator CPU per event (µs)", fmt::format("{:.1f}", generator_cpu_us),
        generator_cpu_us > broker_cpu_us ? "more than the broker: the figure is the generator's"
                                         : "less than the broker");
  }
  if (o.storage) {
    row("on disk after a clean shutdown (B/event)",
        fmt::format("{:.0f}", storage.events > 0 ? static_cast<double>(storage.data_bytes) / storage.events : 0),
        fmt::format("{:.1f} MiB for {} events, WAL {:.1f} MiB", storage.data_bytes / 1048576.0,
                    storage.events, storage.wal_bytes / 1048576.0));
    row("restart on that data (s)", fmt::format("{:.2f}", storage.restart_seconds),
        storage.error.empty() ? fmt::format("RSS {:.1f} MiB after the start", storage.restart_rss_bytes / 1048576.0)
                              : storage.error);
  }
  row("broker peak RSS (MiB)", fmt::format("{:.1f}", static_cast<double>(peak_rss) / (1 << 20)));
  row("average commit batch (events)", fmt::format("{:.1f}", avg_batch),
      fmt::format("{:.0f} commits, {:.2f} ms each, {:.0f} B of records per event", commits.commits,
                  commit_ms, commits.events > 0 ? commits.bytes / commits.events : 0));
  if (publish.refused > 0 || publish.unanswered > 0) {
    row("refused / unanswered", fmt::format("{} / {}", publish.refused, publish.unanswered),
        fmt::format("{} overloaded", publish.overloaded));
  }
  if (o.raw) {
    std::cout << "raw limits, same run, same machine:\n";
    row(fmt::format("RocksDB synced WriteBatch of {} events/s", raw_batch), fmt::format("{:.0f}", raw_rocksdb),
        fmt::format("Lintas reaches {:.2f} of it", raw_rocksdb > 0 ? rate / raw_rocksdb : 0));
    row("RocksDB synced WriteBatch of 1024 events/s", fmt::format("{:.0f}", raw_rocksdb_1024));
    row("ZeroMQ DEALER->ROUTER msgs/s", fmt::format("{:.0f}", raw_zmq),
        fmt::format("{} B messages, TCP loopback", o.event_bytes));
    if (o.curve) row("ZeroMQ DEALER->ROUTER CURVE msgs/s", fmt::format("{:.0f}", raw_zmq_curve));
    row("fsync of 4 KiB per s", fmt::format("{:.0f}", fsync.per_second),
        fmt::format("p50 {:.3f} ms, p99 {:.3f} ms", fsync.p50_ms, fsync.p99_ms));
  }
  if (!error.empty()) std::cout << "error: " << error << "\n";
  if (!complete) std::cout << "INCOMPLETE: not every event was acknowledged and delivered\n";
  return complete ? 0 : 1;
}

}  // namespace
}  // namespace lintas::bench

int main(int argc, char** argv) {
  try {
    return lintas::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "lintas-bench: " << e.what() << "\n";
    return 2;
  }
}
