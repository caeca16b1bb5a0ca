// lintas-stats-bench: what a regional statistics query costs the broker's
// loop. Appends --events referrals (in batches, as the committer would) to a
// RocksDbStore in a temporary directory, then runs StatsScan over them in the
// loop's steps (512 records) and reports records/s and the longest step
// (the longest pause one query adds to a turn of the loop), beside the raw
// limit: reading the same records by offset without parsing them, in the
// same run. A benchmark, not a test: it asserts only that every event was
// counted.
#include <algorithm>
#include <chrono>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "../broker/src/regional_stats.h"
#include "lintas/common/clock.h"
#include "lintas/store/rocksdb_store.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/record.h"
#include "testutil/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fb = lintas::fb;
namespace wire = lintas::wire;
namespace store = lintas::store;
namespace broker = lintas::broker;

constexpr size_t kStep = 512;        // as kStatsStepRecords in broker/src/stats_queries.cc
constexpr size_t kAppendBatch = 4096;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lintas-stats-bench: the cost of a regional statistics query to the broker's loop"};
  uint64_t events = 200000;
  app.add_option("--events", events, "Records in the log")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  lintas::testutil::TempDir dir;
  store::RocksDbOptions options;
  options.path = dir.Sub("log");
  auto log = store::RocksDbStore::Open(options);
  if (!log.ok()) {
    std::cerr << "open: " << log.error().message << "\n";
    return 1;
  }
  const char* countries[] = {"THA", "KHM", "VNM", "LAO", "MYS", "IDN", "PHL"};
  wire::EventIdGenerator ids;
  int64_t t0 = lintas::NowMicros();
  std::vector<store::AppendEntry> batch;
  for (uint64_t n = 1; n <= events; ++n) {
    fb::EventT e = wire::ExampleEvent(fb::Body::ReferralCreated, ids.Next(), t0 + static_cast<int64_t>(n));
    e.origin->country = countries[n % 7];
    e.destinations[0]->country = countries[(n / 7) % 7];
    e.priority = static_cast<fb::Priority>(n % 3);
    std::string bytes = wire::PackEvent(e);
    store::AppendEntry entry;
    entry.offset = n;
    entry.event_id = ids.Next();
    entry.record = wire::EncodeRecord(n, t0 + static_cast<int64_t>(n), wire::PublisherInfo{"node", "THA", ""},
                                      wire::AsBytes(bytes));
    entry.index.received_at_us = t0 + static_cast<int64_t>(n);
    batch.push_back(std::move(entry));
    if (batch.size() == kAppendBatch || n == events) {
      if (auto s = (*log)->Append(batch); !s.ok()) {
        std::cerr << "append: " << s.error().message << "\n";
        return 1;
      }
      batch.clear();
    }
  }
  uint32_t month = 0;
  {
    std::time_t t = static_cast<std::time_t>(t0 / 1000000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    month = static_cast<uint32_t>((tm.tm_year + 1900) * 100 + tm.tm_mon + 1);
  }
  using D = lintas::proto::StatsDimension;
  broker::StatsScan scan(broker::StatsRequest{{D::Origin, D::Destination, D::Priority, D::Month}, month, month},
                         (*log)->size());
  Clock::duration longest{};
  auto start = Clock::now();
  for (;;) {
    auto step_start = Clock::now();
    auto done = scan.Step(**log, kStep);
    longest = std::max(longest, Clock::now() - step_start);
    if (!done.ok()) {
      std::cerr << "scan: " << done.error().message << "\n";
      return 1;
    }
    if (*done) break;
  }
  double scan_s = Seconds(Clock::now() - start);
  uint64_t counted = 0;
  for (const auto& [key, n] : scan.counts()) counted += n;
  // The raw limit: the same records read by offset, not parsed.
  start = Clock::now();
  size_t bytes = 0;
  for (uint64_t o = 1; o <= events; ++o) {
    auto r = (*log)->ReadRecord(o);
    if (r.ok() && r->has_value()) bytes += (*r)->size();
  }
  double raw_s = Seconds(Clock::now() - start);
  std::cout << fmt::format("records {}  counted {} (once per destination country)  cells {}\n", events, counted,
                           scan.counts().size());
  std::cout << fmt::format("stats scan      {:>10.0f} records/s  ({:.2f} s; longest step of {} records {:.2f} ms)\n",
                           static_cast<double>(events) / scan_s, scan_s, kStep, Seconds(longest) * 1e3);
  std::cout << fmt::format("raw ReadRecord  {:>10.0f} records/s  ({:.2f} s, {} MiB)\n",
                           static_cast<double>(events) / raw_s, raw_s, bytes >> 20);
  return counted >= events ? 0 : 1;
}
