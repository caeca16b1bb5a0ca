// Regional statistics without sockets: the request's checks, suppression
// and its totals, and a scan over a MemoryStore log.
#include "../src/regional_stats.h"

#include <gtest/gtest.h>

#include <random>

#include "lintas/store/memory_store.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/record.h"

namespace lintas::broker {
namespace {

using D = proto::StatsDimension;

StatsKey OD(const std::string& origin, const std::string& destination) { return {origin, destination, 0, -1, 0}; }

// Every total published must be the sum of published cells only, so that no
// suppressed cell can be recovered from the table: checked for each total
// against the cells it sums.
void ExpectNothingRecoverable(const std::vector<proto::StatsCellT>& published, const std::vector<D>& by) {
  auto in_total = [&](const proto::StatsCellT& total, const proto::StatsCellT& cell) {
    return (total.origin_country.empty() || total.origin_country == cell.origin_country) &&
           (total.destination_country.empty() || total.destination_country == cell.destination_country) &&
           (total.body_type == 0 || total.body_type == cell.body_type) &&
           (total.priority == -1 || total.priority == cell.priority) && (total.month == 0 || total.month == cell.month);
  };
  (void)by;
  for (const auto& t : published) {
    if (!t.total) continue;
    uint64_t sum = 0;
    bool any_suppressed = false;
    for (const auto& c : published) {
      if (c.total || !in_total(t, c)) continue;
      sum += c.count;
      any_suppressed = any_suppressed || c.suppressed;
    }
    EXPECT_EQ(t.suppressed, any_suppressed) << t.origin_country << "/" << t.destination_country;
    EXPECT_EQ(t.count, t.suppressed ? 0u : sum) << t.origin_country << "/" << t.destination_country;
  }
  for (const auto& c : published) {
    EXPECT_TRUE(!c.suppressed || c.count == 0u) << "a suppressed cell carries no number";
  }
}

TEST(RegionalStatsTest, SmallCellsAreSuppressedAndTotalsThatIncludeThemWithheld) {
  std::map<StatsKey, uint64_t> counts{{OD("THA", "KHM"), 7}, {OD("THA", "VNM"), 3}, {OD("KHM", "THA"), 6},
                                      {OD("KHM", "VNM"), 5}, {OD("VNM", "THA"), 1}};
  std::vector<D> by{D::Origin, D::Destination};
  auto cells = PublishCells(counts, by, kStatsThreshold);
  using P = std::pair<std::string, std::string>;
  std::map<P, proto::StatsCellT> got;
  for (const auto& c : cells) got[{c.origin_country, c.destination_country}] = c;
  EXPECT_EQ(got[P("THA", "KHM")].count, 7u);
  EXPECT_FALSE(got[P("THA", "KHM")].suppressed);
  EXPECT_TRUE(got[P("THA", "VNM")].suppressed);
  EXPECT_EQ(got[P("KHM", "VNM")].count, 5u) << "5 is not below the threshold";
  EXPECT_FALSE(got[P("KHM", "VNM")].suppressed);
  EXPECT_TRUE(got[P("VNM", "THA")].suppressed);
  // Totals: KHM's row has no small cell, THA's has one.
  EXPECT_EQ(got[P("KHM", "")].count, 11u);
  EXPECT_FALSE(got[P("KHM", "")].suppressed);
  EXPECT_TRUE(got[P("THA", "")].suppressed);
  EXPECT_TRUE(got[P("", "VNM")].suppressed);
  EXPECT_EQ(got[P("", "KHM")].count, 7u);
  EXPECT_TRUE(got[P("", "")].suppressed) << "the grand total would give the small cells' sum away";
  EXPECT_EQ(cells.size(), 5u + 3u + 3u + 1u);
  ExpectNothingRecoverable(cells, by);
}

TEST(RegionalStatsTest, RandomTablesNeverPublishATotalThatRevealsASuppressedCell) {
  std::mt19937 rng(20261204);
  const std::vector<std::string> countries{"THA", "KHM", "VNM", "LAO"};
  for (int round = 0; round < 200; ++round) {
    std::map<StatsKey, uint64_t> counts;
    for (const auto& o : countries) {
      for (const auto& d : countries) {
        for (int8_t p = 0; p < 3; ++p) {
          if (rng() % 3 == 0) counts[{o, d, 0, p, 0}] = rng() % 12;
        }
      }
    }
    std::vector<D> by{D::Origin, D::Destination, D::Priority};
    ExpectNothingRecoverable(PublishCells(counts, by, kStatsThreshold), by);
  }
}

TEST(RegionalStatsTest, RequestChecksNameTheField) {
  auto parse = [](proto::AuditQueryT q) {
    proto::ControlT c;
    c.command.Set(std::move(q));
    std::string bytes = wire::EncodeControl(c);
    return ParseStatsRequest(*proto::GetControl(bytes.data())->command_as_AuditQuery());
  };
  proto::AuditQueryT q;
  q.kind = proto::AuditQueryKind::Stats;
  q.stats_by = {0, 1};
  q.from_month = 202601;
  q.to_month = 202612;
  EXPECT_TRUE(parse(q).ok());
  auto bad = [&](auto change, const std::string& field) {
    proto::AuditQueryT b = q;
    change(b);
    auto r = parse(b);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.error().field, field) << r.error().message;
  };
  bad([](proto::AuditQueryT& b) { b.stats_by.clear(); }, "stats_by");
  bad([](proto::AuditQueryT& b) { b.stats_by = {0, 0}; }, "stats_by");
  bad([](proto::AuditQueryT& b) { b.stats_by = {9}; }, "stats_by");
  bad([](proto::AuditQueryT& b) { b.from_month = 202613; }, "from_month");
  bad([](proto::AuditQueryT& b) { b.to_month = 202512; }, "to_month");
  bad([](proto::AuditQueryT& b) { b.from_month = 201001; }, "to_month");  // more than 120 months
}

// A log of referrals (origin, destination, priority) received in two months;
// the scan counts those of the months asked for, a few records per step.
TEST(RegionalStatsTest, ScanCountsTheMonthsAskedForStepByStep) {
  store::MemoryStore log;
  const int64_t oct = MonthStartUs(202610) + 3600LL * 1000000;
  const int64_t nov = MonthStartUs(202611) + 3600LL * 1000000;
  struct Row {
    const char* origin;
    const char* destination;
    fb::Priority priority;
    int64_t at;
  };
  std::vector<Row> rows;
  for (int i = 0; i < 6; ++i) rows.push_back({"THA", "KHM", fb::Priority::Urgent, oct + i});
  for (int i = 0; i < 2; ++i) rows.push_back({"KHM", "THA", fb::Priority::Routine, oct + 10 + i});
  for (int i = 0; i < 9; ++i) rows.push_back({"THA", "KHM", fb::Priority::Routine, nov + i});
  uint64_t offset = 0;
  for (const auto& r : rows) {
    wire::EventIdGenerator ids;
    fb::EventT e = wire::ExampleEvent(fb::Body::ReferralCreated, ids.Next(), r.at);
    e.origin->country = r.origin;
    e.destinations.clear();
    auto d = std::make_unique<fb::DestinationT>();
    d->country = r.destination;
    d->agency = "any-agency";
    e.destinations.push_back(std::move(d));
    e.priority = r.priority;
    std::string event = wire::PackEvent(e);
    store::AppendEntry entry;
    entry.offset = ++offset;
    entry.event_id = ids.Next();
    entry.record = wire::EncodeRecord(offset, r.at, wire::PublisherInfo{"node", r.origin, ""}, wire::AsBytes(event));
    entry.index.received_at_us = r.at;
    ASSERT_TRUE(log.Append(std::span(&entry, 1)).ok());
  }
  StatsScan scan(StatsRequest{{D::Origin, D::Priority, D::Month}, 202610, 202610}, log.size());
  int steps = 0;
  for (;;) {
    auto done = scan.Step(log, 3);
    ASSERT_TRUE(done.ok()) << done.error().message;
    ++steps;
    if (*done) break;
    ASSERT_LT(steps, 100);
  }
  EXPECT_GE(steps, 3) << "8 records in October, 3 per step";
  std::map<StatsKey, uint64_t> expected{{{"THA", "", 0, 1, 202610}, 6}, {{"KHM", "", 0, 0, 202610}, 2}};
  EXPECT_EQ(scan.counts(), expected);
  // November only: the window starts in the middle of the log.
  StatsScan later(StatsRequest{{D::Origin, D::Priority}, 202611, 202612}, log.size());
  for (int i = 0; i < 100; ++i) {
    auto done = later.Step(log, 4);
    ASSERT_TRUE(done.ok());
    if (*done) break;
  }
  EXPECT_EQ(later.counts(), (std::map<StatsKey, uint64_t>{{{"THA", "", 0, 0, 0}, 9}}));
  // A window with nothing in it.
  StatsScan none(StatsRequest{{D::Origin}, 202501, 202509}, log.size());
  auto done = none.Step(log, 4);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(*done);
  EXPECT_TRUE(none.counts().empty());
}

}  // namespace
}  // namespace lintas::broker
