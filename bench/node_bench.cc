// lintas-node-bench: events/s through a node's receiving side (delivery from
// the broker, verification, the inbox and the case model in one synced write
// per delivered batch) into (a) ONE case that grows to --events events, with
// the rate per 10,000-event window to show that an event's cost does not grow
// with its case, and (b) --events events spread over --cases cases; beside
// the raw limit of a synced RocksDB WriteBatch of the same batch size,
// measured in the same run. A benchmark, not a test: it asserts nothing but
// that every event reached the case model.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <rocksdb/db.h>

#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/erasure_worker.h"
#include "lintas/node/node.h"
#include "lintas/wire/examples.h"
#include "raw_limits.h"
#include "stats.h"
#include "testutil/broker_harness.h"
#include "testutil/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fb = lintas::fb;
namespace node = lintas::node;
namespace wire = lintas::wire;

// The rate of scenario (a) is reported per tenth of its events (10,000 for
// the default 100,000).
constexpr uint64_t kWindows = 10;
// Events a publisher keeps unacknowledged (the broker allows 16384 per peer).
constexpr size_t kPublishWindow = 8192;
// How often the case model is looked at while events arrive.
constexpr auto kPollEvery = 2ms;
// A scenario that has not finished after this long, or whose case model has
// not grown for kStallTimeout, is reported as incomplete.
constexpr auto kScenarioTimeout = 900s;
constexpr auto kStallTimeout = 120s;

// One event from th-rtp-atpd (THA) to kh-mosvy (KHM) in `case_id`: a
// ReferralCreated when `parent` is null, else an answer the originator may
// send on its own referral (SpontaneousInformation and ReadReceipt, in turn),
// which the case model records as an event of the referral's item.
std::string BuildEvent(wire::EventIdGenerator& ids, const std::string& case_id, const wire::EventId* parent,
                       uint64_t n) {
  fb::Body type = parent == nullptr ? fb::Body::ReferralCreated
                  : n % 2 == 0      ? fb::Body::SpontaneousInformation
                                    : fb::Body::ReadReceipt;
  wire::EventId id = ids.Next();
  fb::EventT e = wire::ExampleEvent(type, id, lintas::NowMicros());
  e.destinations.clear();
  auto to = std::make_unique<fb::DestinationT>();
  to->country = "KHM";
  to->agency = "kh-mosvy";
  e.destinations.push_back(std::move(to));
  e.case_id = case_id;
  e.parent_id = parent ? std::make_unique<fb::Uuid>(parent->ToFb()) : nullptr;
  return wire::PackEvent(e);
}

struct Workload {
  std::vector<std::string> events;  // in publishing order
  std::vector<std::string> cases;   // case ids
  size_t per_case = 0;              // events each case ends with
};

// `cases` cases of `per_case` events each: every referral first, then the
// answers in waves (the k-th answer of every case, case by case), so that a
// delivered batch touches many cases, and the last event published is the
// last event of the last case.
Workload BuildWorkload(size_t cases, size_t per_case) {
  Workload w;
  w.per_case = per_case;
  wire::EventIdGenerator ids;
  std::vector<wire::EventId> referrals;
  w.events.reserve(cases * per_case);
  for (size_t c = 0; c < cases; ++c) {
    w.cases.push_back(fmt::format("TH-BENCH-{:06}", c + 1));
    w.events.push_back(BuildEvent(ids, w.cases.back(), nullptr, 0));
    referrals.push_back(wire::EventId::FromFb(*fb::GetEvent(w.events.back().data())->id()));
  }
  for (size_t k = 1; k < per_case; ++k) {
    for (size_t c = 0; c < cases; ++c) w.events.push_back(BuildEvent(ids, w.cases[c], &referrals[c], k));
  }
  return w;
}

struct Published {
  uint64_t acked = 0;
  uint64_t refused = 0;
  std::string error;
};

// th-node publishing `events` in Publish messages of the broker's max_batch,
// with up to kPublishWindow unanswered: the first `roots` (the referrals)
// first, and the answers once the broker has committed them (it refuses an
// answer to an event still in flight). Sets `started_ns` at the first Publish.
Published Publish(const std::string& endpoint, const std::vector<std::string>& events, size_t roots,
                  std::atomic<int64_t>* started_ns) {
  Published out;
  zmq::context_t ctx;
  node::BrokerClient client(ctx, lintas::testutil::NodeOptions(endpoint, "th-node"));
  if (auto s = client.Connect(); !s.ok()) {
    out.error = "publisher: " + s.error().message;
    return out;
  }
  size_t batch = std::max<size_t>(1, client.ready().max_batch);
  size_t next = 0;
  size_t in_flight = 0;
  bool first = true;
  auto deadline = Clock::now() + kScenarioTimeout;
  while (out.acked + out.refused < events.size() && Clock::now() < deadline) {
    size_t phase_end = out.acked + out.refused < roots ? roots : events.size();
    while (next < phase_end && in_flight + batch <= kPublishWindow) {
      size_t n = std::min(batch, phase_end - next);
      auto seq = client.Publish(std::span(events).subspan(next, n));
      if (!seq.ok()) break;  // would block: answers first
      if (first) {
        first = false;
        started_ns->store(Clock::now().time_since_epoch().count());
      }
      next += n;
      in_flight += n;
    }
    auto in = client.Receive(100ms);
    if (!in.ok() || !in->has_value()) continue;
    const auto& m = **in;
    if (m.command == lintas::proto::Command::Ack) {
      size_t n = m.control()->command_as_Ack()->entries()->size();
      out.acked += n;
      in_flight -= std::min(in_flight, n);
    } else if (m.command == lintas::proto::Command::Nack) {
      const auto* nack = m.control()->command_as_Nack();
      if (out.error.empty() && nack->message()) out.error = "broker refused an event: " + nack->message()->str();
      ++out.refused;
      in_flight -= std::min<size_t>(in_flight, 1);
    }
  }
  if (out.acked + out.refused < events.size() && out.error.empty()) out.error = "publisher: timed out";
  return out;
}

struct Outcome {
  uint64_t events = 0;   // in the case model at the end
  uint64_t expected = 0;
  double seconds = 0;    // first publish -> all in the case model
  uint64_t window_events = 0;          // (a): a tenth of the events
  std::vector<double> window_seconds;  // (a): per window_events
  uint64_t db_bytes = 0;
  uint64_t wal_bytes = 0;
  uint64_t compacted_bytes = 0;  // the same directory after a full compaction
  size_t event_bytes = 0;  // average, as published
  size_t deliver_batch = 0;
  // Erasing the last case once everything arrived (docs/ERASURE.md): the
  // synced write that destroys its keys and scrubs its case model, then the
  // shred (flush and compaction) that follows off the caller's thread.
  double erase_seconds = 0;
  double shred_seconds = 0;
  Published published;
};

struct DiskUse {
  uint64_t total = 0;
  uint64_t wal = 0;  // RocksDB's write-ahead log files (*.log)
};

DiskUse DirectoryBytes(const std::filesystem::path& dir) {
  DiskUse use;
  std::error_code ec;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (!f.is_regular_file(ec)) continue;
    use.total += f.file_size(ec);
    if (f.path().extension() == ".log" && f.path().filename() != "LOG") use.wal += f.file_size(ec);
  }
  return use;
}

// Opens the (closed) node database in `dir`, compacts every column family
// and closes it again: what the events take once superseded versions of the
// case header, items and indexes are gone. False if it cannot.
bool CompactAll(const std::string& dir) {
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok()) return false;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(rocksdb::Options(), dir, families, &handles, &raw).ok()) return false;
  std::unique_ptr<rocksdb::DB> db(raw);
  bool ok = true;
  for (auto* h : handles) {
    ok = ok && db->Flush(rocksdb::FlushOptions(), h).ok();
    ok = ok && db->CompactRange(rocksdb::CompactRangeOptions(), h, nullptr, nullptr).ok();
  }
  for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
  return ok && db->Close().ok();
}

// Events the case model holds for `case_id` (0 if unknown).
uint64_t EventsIn(node::Node& kh, const std::string& case_id) {
  auto view = kh.cases().CaseView(case_id, lintas::NowMicros(), 0);
  if (!view.ok() || !view->has_value()) return 0;
  return (**view).value("events_total", uint64_t{0});
}

// Erases `case_id` at `kh` (here only, as retention does) and waits for the
// shred that follows: both timed into `out`.
void EraseLast(node::Node& kh, const std::string& case_id, Outcome* out) {
  uint64_t shreds = kh.erasure().shreds_done();
  nlohmann::json tombstone = node::Erasure{.case_id = case_id,
                                           .at_us = lintas::NowMicros(),
                                           .country = "KHM",
                                           .agency = "kh-mosvy",
                                           .justification = "benchmark",
                                           .reason = "retention"}
                                 .ToJson();
  auto start = Clock::now();
  auto erased = kh.erasure().EraseHere(case_id, tombstone, lintas::NowMicros());
  auto written = Clock::now();
  if (!erased.ok() || !*erased) return;
  out->erase_seconds = std::chrono::duration<double>(written - start).count();
  auto deadline = written + kScenarioTimeout;
  while (kh.erasure().shreds_done() == shreds && Clock::now() < deadline) std::this_thread::sleep_for(kPollEvery);
  out->shred_seconds = std::chrono::duration<double>(Clock::now() - written).count();
}

// Runs one scenario: a fresh broker and receiving node, the workload
// published, the case model watched until it holds every event.
Outcome Run(const lintas::testutil::TempDir& dir, const std::string& name, const Workload& w, bool windows) {
  Outcome out;
  out.expected = w.events.size();
  size_t bytes = 0;
  for (const auto& e : w.events) bytes += e.size();
  out.event_bytes = w.events.empty() ? 0 : bytes / w.events.size();
  lintas::testutil::InProcessBroker broker(lintas::testutil::TestConfig(dir.Sub(name + "-broker")));
  node::NodeConfig c;
  c.id = "kh-node";
  c.country = "KHM";
  c.default_agency = "kh-mosvy";
  c.agencies = {c.default_agency};
  c.data_dir = dir.Sub(name + "-kh-node");
  c.api_port = 0;
  c.broker_endpoint = broker.endpoint();
  c.retry_initial_ms = 20;
  c.retry_max_ms = 200;
  c.log_level = "error";
  c.security = "plaintext";
  c.max_events_per_case = std::max<uint64_t>(200000, w.per_case + 1);
  c.max_cases_per_partner = std::max<uint64_t>(20000, w.cases.size() + 1);
  // Receipts would go back out through the broker to th-node's inbox: work
  // of the sending side, not of the receiving side measured here.
  c.auto_delivery_receipt = false;
  out.deliver_batch = c.credit;
  {
    node::Node kh(c);
    kh.Start();
    auto deadline = Clock::now() + 10s;
    while (!kh.broker_connected() && Clock::now() < deadline) std::this_thread::sleep_for(kPollEvery);
    if (!kh.broker_connected()) {
      out.published.error = "the receiving node did not connect to the broker";
      return out;
    }
    std::atomic<int64_t> started_ns{0};
    std::thread publisher([&] { out.published = Publish(broker.endpoint(), w.events, w.cases.size(), &started_ns); });
    const std::string& last_case = w.cases.back();
    out.window_events = windows ? std::max<uint64_t>(1, w.per_case / kWindows) : 0;
    uint64_t next_window = out.window_events;
    Clock::time_point window_start{};
    deadline = Clock::now() + kScenarioTimeout;
    uint64_t held = 0;
    uint64_t seen = 0;
    auto grew = Clock::now();
    while (Clock::now() < deadline && Clock::now() - grew < kStallTimeout) {
      // (a) one case: its count is the progress. (b) the last case's count
      // reaches per_case only with the very last event (in order delivery).
      held = EventsIn(kh, last_case);
      auto now = Clock::now();
      if (window_start == Clock::time_point{} && started_ns.load() != 0) {
        window_start = Clock::time_point(Clock::duration(started_ns.load()));
      }
      while (windows && held >= next_window && window_start != Clock::time_point{}) {
        out.window_seconds.push_back(std::chrono::duration<double>(now - window_start).count());
        window_start = now;
        next_window += out.window_events;
      }
      if (held >= w.per_case) break;
      if (held != seen) {
        seen = held;
        grew = now;
      }
      std::this_thread::sleep_for(kPollEvery);  // polling with a deadline
    }
    auto end = Clock::now();
    if (started_ns.load() != 0) {
      out.seconds = std::chrono::duration<double>(end - Clock::time_point(Clock::duration(started_ns.load()))).count();
    }
    publisher.join();
    // Count what every case holds (not timed).
    if (w.cases.size() == 1) {
      out.events = held;
    } else {
      for (const auto& id : w.cases) out.events += EventsIn(kh, id);
    }
    EraseLast(kh, last_case, &out);
    kh.Stop();
  }
  DiskUse use = DirectoryBytes(c.data_dir);
  out.db_bytes = use.total;
  out.wal_bytes = use.wal;
  if (CompactAll(c.data_dir)) out.compacted_bytes = DirectoryBytes(c.data_dir).total;
  return out;
}

void PrintScenario(const std::string& title, const Outcome& o, double raw) {
  double rate = o.seconds > 0 ? static_cast<double>(o.events) / o.seconds : 0;
  std::cout << title << "\n";
  std::cout << fmt::format("  {:<46} {:>12.0f} {:>12.0f} {:>7.2f}\n",
                           fmt::format("events/s (raw: synced batch of {})", o.deliver_batch), rate, raw,
                           raw > 0 ? rate / raw : 0);
  std::cout << fmt::format("  {:<46} {:>12.1f}\n", "microseconds per event (wall clock)", rate > 0 ? 1e6 / rate : 0);
  std::cout << fmt::format("  {:<46} {:>12.2f}\n", "seconds (first publish -> all in the case model)", o.seconds);
  for (size_t i = 0; i < o.window_seconds.size(); ++i) {
    double r = o.window_seconds[i] > 0 ? static_cast<double>(o.window_events) / o.window_seconds[i] : 0;
    std::cout << fmt::format("  {:<46} {:>12.0f} {:>12.1f} us/event\n",
                             fmt::format("events {:>6}-{:<6} events/s", i * o.window_events + 1, (i + 1) * o.window_events),
                             r, r > 0 ? 1e6 / r : 0);
  }
  std::cout << fmt::format("  {:<46} {:>12.1f}\n", "receiving node's RocksDB directory (MiB)",
                           static_cast<double>(o.db_bytes) / (1024.0 * 1024.0));
  std::cout << fmt::format("  {:<46} {:>12.1f}\n", "  of which write-ahead log (MiB)",
                           static_cast<double>(o.wal_bytes) / (1024.0 * 1024.0));
  std::cout << fmt::format("  {:<46} {:>12.0f}\n", "bytes on disk per event",
                           o.events ? static_cast<double>(o.db_bytes) / static_cast<double>(o.events) : 0);
  std::cout << fmt::format("  {:<46} {:>12.1f}\n", "the same after a full compaction (MiB)",
                           static_cast<double>(o.compacted_bytes) / (1024.0 * 1024.0));
  std::cout << fmt::format("  {:<46} {:>12.0f}\n", "bytes per event after compaction",
                           o.events ? static_cast<double>(o.compacted_bytes) / static_cast<double>(o.events) : 0);
  std::cout << fmt::format("  {:<46} {:>12.3f}\n", "erasing the last case: synced write (s)", o.erase_seconds);
  std::cout << fmt::format("  {:<46} {:>12.3f}\n", "  then shredding the store (s)", o.shred_seconds);
  std::cout << fmt::format("  {:<46} {:>12}\n", "in the case model / published",
                           fmt::format("{} / {}", o.events, o.expected));
  if (!o.published.error.empty()) std::cout << "  error: " << o.published.error << "\n";
}

void JsonScenario(lintas::bench::FlatJson& j, const std::string& p, const Outcome& o) {
  double rate = o.seconds > 0 ? static_cast<double>(o.events) / o.seconds : 0;
  j.Integer(p + "events", o.events);
  j.Integer(p + "expected_events", o.expected);
  j.Number(p + "seconds", o.seconds);
  j.Number(p + "events_per_s", rate);
  for (size_t i = 0; i < o.window_seconds.size(); ++i) {
    double r = o.window_seconds[i] > 0 ? static_cast<double>(o.window_events) / o.window_seconds[i] : 0;
    j.Number(fmt::format("{}window_{}_events_per_s", p, i + 1), r);
  }
  j.Integer(p + "db_bytes", o.db_bytes);
  j.Integer(p + "db_wal_bytes", o.wal_bytes);
  j.Integer(p + "db_compacted_bytes", o.compacted_bytes);
  j.Number(p + "db_compacted_bytes_per_event",
           o.events ? static_cast<double>(o.compacted_bytes) / static_cast<double>(o.events) : 0);
  j.Number(p + "db_bytes_per_event", o.events ? static_cast<double>(o.db_bytes) / static_cast<double>(o.events) : 0);
  j.Number(p + "erase_seconds", o.erase_seconds);
  j.Number(p + "shred_seconds", o.shred_seconds);
  j.String(p + "error", o.published.error);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lintas-node-bench: events/s into a node's case model, one large case and many cases"};
  size_t events = 100000;
  size_t cases = 10000;
  bool quick = false;
  bool json = false;
  double raw_seconds = 2;
  app.add_option("-n,--events", events, "Events in each scenario (the one case grows to this many)")
      ->capture_default_str();
  app.add_option("-c,--cases", cases, "Cases of scenario (b), over which its events are spread")
      ->capture_default_str();
  app.add_flag("--quick", quick, "10x fewer events and cases");
  app.add_flag("--json", json, "One flat JSON object instead of the table");
  app.add_option("--raw-seconds", raw_seconds, "Duration of the raw-limit measurement")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    events = std::max<size_t>(1, events / 10);
    cases = std::max<size_t>(1, cases / 10);
  }
  cases = std::clamp<size_t>(cases, 1, events);

  lintas::ConfigureLogging("error", false);
  lintas::testutil::TempDir dir;
  Outcome one = Run(dir, "one-case", BuildWorkload(1, events), true);
  Outcome many = Run(dir, "many-cases", BuildWorkload(cases, events / cases), false);
  double raw = lintas::bench::SyncedWriteBatchRate(dir.Sub("raw"), one.deliver_batch, one.event_bytes, raw_seconds);

  if (json) {
    lintas::bench::FlatJson j;
    j.String("system", "lintas-node");
    j.Integer("event_bytes", one.event_bytes);
    j.Integer("deliver_batch", one.deliver_batch);
    JsonScenario(j, "one_case_", one);
    j.Integer("many_cases", cases);
    j.Integer("many_cases_events_per_case", events / cases);
    JsonScenario(j, "many_cases_", many);
    j.Integer("raw_rocksdb_batch", one.deliver_batch);
    j.Number("raw_rocksdb_events_per_s", raw);
    std::cout << j.Render();
  } else {
    std::cout << fmt::format(
        "lintas-node-bench: events of {} B from th-node through an in-process broker into kh-node's case model,\n"
        "up to {} per delivered batch (one synced write each)\n",
        one.event_bytes, one.deliver_batch);
    std::cout << fmt::format("  {:<46} {:>12} {:>12} {:>7}\n", "figure", "Lintas", "raw limit", "ratio");
    PrintScenario(fmt::format("(a) one case growing to {} events", one.expected), one, raw);
    PrintScenario(fmt::format("(b) {} cases of {} events each", cases, events / cases), many, raw);
  }
  bool complete = one.events == one.expected && many.events == many.expected;
  return complete ? 0 : 1;
}
