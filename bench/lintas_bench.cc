// lintas-bench: the load generator. N publishing nodes and M subscribing
// nodes speak LTP/1 over TCP on loopback (plaintext or CURVE) to a
// lintas-broker child process; it reports durable publish throughput, ack
// and publish-to-delivery latency, the delivery rate (or, with --fanout, the
// rate at which each of N subscribers takes every event), the catch-up rate
// of a subscriber with a backlog, the broker's peak RSS and commit batch
// size, and the raw limits of this machine measured in the same run;
// --sealed publishes pre-sealed events to a broker that requires them.
// bench/README.md documents the options and every --json key.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>
#include <vector>

#include "bench_options.h"
#include "bench_report.h"
#include "broker_child.h"
#include "durable_relay.h"
#include "event_template.h"
#include "lintas/common/logging.h"
#include "lintas/seal/seal_key.h"
#include "load_phase.h"
#include "sealed_pool.h"
#include "testutil/temp_dir.h"
#include "thread_cpu.h"

namespace lintas::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The fan-out subscribers' named subscription: an empty filter matches
// every distributed event (docs/PROTOCOL.md §4.3).
constexpr const char* kAlertSubscription = "alerts";

// The nodes of one run: publishers in Thailand, subscribers in Cambodia, one
// idle inbox (when there are no subscribers) and one late subscriber; with
// --sealed, a seal key pair per node. Owned by Main; read by all phases.
struct Topology {
  std::vector<BenchNode> nodes;
  std::vector<seal::SealKeyPair> seal_keys;  // parallel to nodes; empty unless sealed
  size_t publishers = 0;
  size_t subscribers = 0;

  const BenchNode& publisher(size_t i) const { return nodes[i]; }
  const BenchNode& subscriber(size_t i) const { return nodes[publishers + i]; }
  const BenchNode& idle() const { return nodes[publishers + subscribers]; }
  const BenchNode& late() const { return nodes[publishers + subscribers + 1]; }
};

BenchNode MakeNode(const std::string& id, const std::string& country, const std::string& agency,
                   bool publish) {
  BenchNode n;
  n.id = id;
  n.country = country;
  n.agency = agency;
  n.publish = publish;
  n.subscribe = !publish;
  return n;
}

Topology MakeTopology(const Options& o) {
  Topology t;
  t.publishers = o.publishers;
  t.subscribers = o.subscriber_nodes();
  for (size_t i = 0; i < t.publishers; ++i) {
    t.nodes.push_back(
        MakeNode(fmt::format("bench-p{}", i), "THA", fmt::format("th-bench-p{}", i), true));
  }
  for (size_t i = 0; i < t.subscribers; ++i) {
    t.nodes.push_back(
        MakeNode(fmt::format("bench-s{}", i), "KHM", fmt::format("kh-bench-s{}", i), false));
  }
  t.nodes.push_back(MakeNode("bench-idle", "KHM", "kh-bench-idle", false));
  t.nodes.push_back(MakeNode("bench-late", "KHM", "kh-bench-late", false));
  for (auto& n : t.nodes) {
    if (o.curve) NewCurveKeys(&n.public_key, &n.secret_key);
    if (o.sealed) {
      t.seal_keys.push_back(seal::SealKeyring::Generate());
      n.seal_public_key = seal::ToBase64(t.seal_keys.back().public_key);
    }
  }
  return t;
}

// One pool per publisher, sealed on one thread each before the clock (and the
// CPU accounting) starts. Throws std::runtime_error when sealing fails.
std::vector<SealedPool> SealPools(const Options& o, const Topology& t) {
  std::vector<SealTarget> targets;
  for (size_t s = 0; s < t.subscribers; ++s) {
    const BenchNode& n = t.subscriber(s);
    targets.push_back({n.country, n.agency, n.id, t.seal_keys[t.publishers + s].public_key});
  }
  if (targets.empty()) {
    targets.push_back(
        {t.idle().country, t.idle().agency, t.idle().id, t.seal_keys[t.publishers].public_key});
  }
  std::vector<SealedPool> pools(t.publishers);
  std::vector<std::string> errors(t.publishers);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < t.publishers; ++i) {
    threads.emplace_back([&, i] {
      size_t n = o.events / t.publishers + (i < o.events % t.publishers ? 1 : 0);
      const BenchNode& me = t.publisher(i);
      auto pool = BuildSealedPool(me.country, me.agency, me.id, t.seal_keys[i].public_key, targets,
                                  n, o.event_bytes);
      if (pool.ok()) {
        pools[i] = std::move(*pool);
      } else {
        errors[i] = pool.error().message;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) {
    if (!e.empty()) throw std::runtime_error("sealing the events failed: " + e);
  }
  return pools;
}

std::vector<PublisherOptions> MakePublishers(const Options& o, const Topology& t,
                                             const BrokerChild& broker,
                                             const std::vector<SealedPool>& pools) {
  std::vector<PublisherOptions> pubs;
  for (size_t i = 0; i < o.publishers; ++i) {
    PublisherOptions p;
    p.client = ClientFor(t.publisher(i), broker.endpoint(), broker.public_key());
    p.origin_agency = t.publisher(i).agency;
    if (o.fanout > 0) {
      p.kind = EventKind::kRegionalAlert;
      p.destinations.emplace_back("", "");  // the region
    } else {
      if (t.subscribers == 0) p.destinations.emplace_back(t.idle().country, t.idle().agency);
      for (size_t s = 0; s < t.subscribers; ++s) {
        p.destinations.emplace_back(t.subscriber(s).country, t.subscriber(s).agency);
      }
    }
    if (o.sealed) {
      p.kind = EventKind::kSealed;
      p.sealed = &pools[i];
    }
    p.event_bytes = o.event_bytes;
    p.rate = o.rate / static_cast<double>(o.publishers);
    p.count = o.events / o.publishers + (i < o.events % o.publishers ? 1 : 0);
    p.window = o.window;
    p.batch = o.batch;
    pubs.push_back(std::move(p));
  }
  return pubs;
}

std::vector<SubscriberOptions> MakeSubscribers(const Options& o, const Topology& t,
                                               const BrokerChild& broker) {
  std::vector<SubscriberOptions> subs;
  for (size_t s = 0; s < t.subscribers; ++s) {
    SubscriberOptions so;
    so.client = ClientFor(t.subscriber(s), broker.endpoint(), broker.public_key());
    so.credit = o.credit;
    if (o.fanout > 0) so.subscription = kAlertSubscription;
    // A sealed record's stamp is inside the ciphertext: nothing to time. In
    // fan-out every subscriber takes the same records, so the first one
    // times them: finding the stamp in each record on 8 threads would add
    // to the generator's CPU, which shares the machine with the broker.
    so.record_latency = !o.sealed && (o.fanout == 0 || s == 0);
    subs.push_back(std::move(so));
  }
  return subs;
}

// Phase 1, with the broker's and the generator's CPU per acknowledged event.
void RunPublishPhase(const Options& o, zmq::context_t& ctx, const BrokerChild& broker,
                     const std::vector<PublisherOptions>& pubs,
                     const std::vector<SubscriberOptions>& subs, RunFigures* f) {
  auto broker_cpu0 = ThreadCpuSeconds(broker.pid());
  double self_cpu0 = ProcessCpuSeconds(getpid());
  RunPhase(ctx, pubs, subs, &f->publish, &f->delivery, o.events > 0 ? 0 : o.duration_s,
           o.fanout > 0 ? Expect::kEverything : Expect::kOwnDestination);
  if (f->publish.acked > 0) {
    const double per_event = 1e6 / static_cast<double>(f->publish.acked);
    for (const auto& [name, seconds] : CpuSince(broker_cpu0, ThreadCpuSeconds(broker.pid()))) {
      f->cpu_us[ThreadRole(name)] += seconds * per_event;
      f->broker_cpu_us += seconds * per_event;
    }
    f->generator_cpu_us = (ProcessCpuSeconds(getpid()) - self_cpu0) * per_event;
  }
  f->commits = broker.Commits();
}

// Phase 2: a backlog for a subscriber that is away, then its catch-up.
CatchUp RunCatchUp(const Options& o, zmq::context_t& ctx, const Topology& t,
                   const BrokerChild& broker, const std::vector<PublisherOptions>& pubs) {
  CatchUp catchup;
  catchup.events = o.backlog;
  std::vector<PublisherOptions> fill = pubs;
  for (size_t i = 0; i < fill.size(); ++i) {
    fill[i].destinations = {{t.late().country, t.late().agency}};
    fill[i].kind = EventKind::kReferral;
    fill[i].sealed = nullptr;
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
  so.client = ClientFor(t.late(), broker.endpoint(), broker.public_key());
  so.credit = o.credit;
  so.record_latency = false;
  std::atomic<uint64_t> expected{catchup.events};
  std::atomic<int64_t> deadline{SteadyNanos() + 120'000'000'000LL};
  std::atomic<size_t> ready{0};
  SubscriberResult r = RunSubscriber(ctx, so, expected, deadline, ready);
  if (!r.connected) catchup.error = "the late subscriber could not subscribe: " + r.error;
  catchup.received = r.received;
  catchup.seconds =
      r.received > 0 ? std::chrono::duration<double>(r.last_record - r.subscribed_at).count() : 0;
  return catchup;
}

// Phase 3: the raw limits, with the broker gone.
RawFigures MeasureRaw(const Options& o, testutil::TempDir& dir, const CommitStats& commits) {
  RawFigures raw;
  double avg_batch = commits.commits > 0 ? commits.events / commits.commits : 0;
  raw.batch = std::max<size_t>(1, static_cast<size_t>(avg_batch + 0.5));
  if (!o.raw) return raw;
  raw.rocksdb = SyncedWriteBatchRate(dir.Sub("raw-batch"), raw.batch, o.event_bytes, o.raw_seconds);
  raw.rocksdb_1024 = SyncedWriteBatchRate(dir.Sub("raw-1024"), 1024, o.event_bytes, o.raw_seconds);
  raw.zmq = ZmqDealerRouterRate(o.event_bytes, o.raw_seconds, false);
  raw.zmq_relay = ZmqRelayRate(o.event_bytes, o.raw_seconds);
  // The same window in flight as the publishers together.
  raw.durable_relay = DurableRelayRate(dir.Sub("raw-relay"), o.event_bytes, o.publishers * o.window, o.raw_seconds);
  if (o.curve) raw.zmq_curve = ZmqDealerRouterRate(o.event_bytes, o.raw_seconds, true);
  raw.fsync = Fsync4KiB(dir.Sub("raw-fsync"), o.raw_seconds);
  return raw;
}

int Main(int argc, char** argv) {
  int exit_code = 0;
  std::optional<Options> parsed = ParseOptions(argc, argv, &exit_code);
  if (!parsed) return exit_code;
  const Options& o = *parsed;
  ConfigureLogging("error", false);
  testutil::TempDir dir;
  Topology topology = MakeTopology(o);
  RunFigures f;
  f.wire_event_bytes = static_cast<double>(o.event_bytes);
  std::vector<SealedPool> pools;
  if (o.sealed) {
    if (!o.json)
      std::cout << fmt::format("sealing {} events before the clock starts...\n", o.events);
    auto sealing = Clock::now();
    pools = SealPools(o, topology);
    f.seal_seconds = std::chrono::duration<double>(Clock::now() - sealing).count();
    double bytes = 0;
    for (const auto& p : pools) bytes += p.AverageBytes() * static_cast<double>(p.size());
    f.wire_event_bytes = bytes / static_cast<double>(std::max<uint64_t>(o.events, 1));
  }

  // Fan-out runs check every delivery against a routing policy, as a
  // deployment does for distributed events (docs/SECURITY.md).
  std::string extra_toml;
  if (!o.broker_config_extra.empty()) {
    std::ifstream in(o.broker_config_extra);
    if (!in) throw std::runtime_error("cannot read " + o.broker_config_extra);
    extra_toml.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  BrokerChild broker(
      o.broker_binary, dir.Sub("broker"), topology.nodes,
      BrokerChildOptions{.curve = o.curve,
                         .require_sealed = o.sealed,
                         .enforce_policy = o.fanout > 0,
                         .extra_toml = extra_toml});
  zmq::context_t ctx(2);
  std::vector<PublisherOptions> pubs = MakePublishers(o, topology, broker, pools);
  RunPublishPhase(o, ctx, broker, pubs, MakeSubscribers(o, topology, broker), &f);
  if (o.backlog > 0) f.catchup = RunCatchUp(o, ctx, topology, broker, pubs);
  f.peak_rss = broker.PeakRssBytes();
  broker.Terminate();
  if (o.storage) {
    f.storage = MeasureStorageAndRestart(o.broker_binary, dir.Sub("broker"), topology.nodes,
                                         o.curve, f.publish.acked + f.catchup.events);
  }
  f.raw = MeasureRaw(o, dir, f.commits);

  std::string error;
  bool complete = Complete(o, f, &error);
  if (o.json) {
    std::cout << ToJson(o, f, complete, error).Render();
  } else {
    PrintTable(o, f, complete, error);
  }
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
