// The node's statistics without a node: the query's parsing (errors name the
// field), each item's facts, grouping and percentiles.
#include "lintas/node/item_stats.h"

#include <gtest/gtest.h>

#include "lintas/node/human_time.h"

namespace lintas::node {
namespace {

using nlohmann::json;

constexpr int64_t kSecond = 1'000'000;
const int64_t kNow = *ParseWhen("2026-12-04T12:00Z", 0);

TEST(ItemStatsTest, QueryAcceptsHumanDatesMonthsAndDurations) {
  auto q = ParseStatsQuery("2026-11", "2026-11", "partner,exploitation", kNow);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->from_us, *ParseWhen("2026-11-01", 0));
  EXPECT_EQ(q->to_us, *ParseWhen("2026-12-01", 0)) << "a month is included whole";
  EXPECT_EQ(q->by, (std::vector<std::string>{"partner", "exploitation"}));
  q = ParseStatsQuery("30d", "2026-12-03", "", kNow);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->from_us, kNow - 30 * 86400 * kSecond) << "a duration means that long ago";
  EXPECT_EQ(q->to_us, *ParseWhen("2026-12-04", 0)) << "a day is included whole";
  q = ParseStatsQuery("2026-12-01T10:00+07:00", "", "", kNow);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->from_us, *ParseWhen("2026-12-01T03:00Z", 0));
  EXPECT_EQ(q->to_us, INT64_MAX);
}

TEST(ItemStatsTest, BadValuesNameTheirField) {
  auto field = [](const std::string& from, const std::string& to, const std::string& by) {
    auto q = ParseStatsQuery(from, to, by, kNow);
    EXPECT_FALSE(q.ok());
    return q.ok() ? std::string() : q.error().field;
  };
  EXPECT_EQ(field("yesterday", "", ""), "from");
  EXPECT_EQ(field("", "2026-13", ""), "to");
  EXPECT_EQ(field("2026-12", "2026-11", ""), "to");
  EXPECT_EQ(field("", "", "partner,colour"), "by");
  EXPECT_EQ(field("", "", "partner,partner"), "by");
}

TEST(ItemStatsTest, NearestRankPercentiles) {
  std::vector<int64_t> v{10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  EXPECT_EQ(NearestRank(v, 50), 50);
  EXPECT_EQ(NearestRank(v, 90), 90);
  EXPECT_EQ(NearestRank({7}, 50), 7);
  EXPECT_EQ(NearestRank({1, 2, 3}, 50), 2);
  EXPECT_EQ(NearestRank({1, 2, 3}, 90), 3);
}

json Item(const std::string& kind, const std::string& state, int64_t created, int64_t due) {
  return {{"kind", kind},          {"state", state},          {"direction", "outgoing"},
          {"counterpart", {{"country", "KHM"}, {"agency", "kh-mosvy"}}},
          {"priority", "Urgent"},  {"local_agency", "th-rtp-atpd"}, {"created_at_us", created},
          {"due_us", due},         {"exploitation", "ForcedLabour"}};
}

TEST(ItemStatsTest, FactsOfAnItemAndItsDeadline) {
  int64_t t0 = kNow - 10 * 3600 * kSecond;
  json accepted = Item("referral", "accepted", t0, t0 + 3600 * kSecond);
  accepted["answered_at_us"] = t0 + 1800 * kSecond;
  accepted["closed_by"] = json::array({{{"agency", "kh-mosvy"}, {"outcome", "Reintegrated"}}});
  ItemFacts f = FactsOf(accepted, false, false, kNow);
  EXPECT_EQ(f.deadline, "met");
  EXPECT_EQ(f.outcome, "Reintegrated");
  EXPECT_EQ(f.response_us, 1800 * kSecond);
  EXPECT_EQ(f.month, "2026-12");
  EXPECT_EQ(FactsOf(Item("referral", "acknowledged", t0, t0 + kSecond), false, false, kNow).deadline, "missed");
  EXPECT_TRUE(FactsOf(Item("referral", "acknowledged", t0, t0 + kSecond), false, false, kNow).overdue_now);
  EXPECT_EQ(FactsOf(Item("request", "requested", t0, kNow + kSecond), false, false, kNow).deadline, "open");
  EXPECT_EQ(FactsOf(Item("request", "provided", t0, t0 + kSecond), true, true, kNow).deadline, "missed");
  json broker_refused = Item("referral", "refused", t0, t0 + kSecond);
  broker_refused["refusal"] = {{"code", "policy_denied"}, {"message", "no route"}};
  EXPECT_EQ(FactsOf(broker_refused, false, false, kNow).deadline, "not_applicable");
  EXPECT_EQ(FactsOf(broker_refused, false, false, kNow).reason, "none");
  json refused = Item("request", "refused", t0, t0 + 3600 * kSecond);
  refused["refusal"] = {{"reason", "OngoingInvestigation"}, {"note", ""}};
  EXPECT_EQ(FactsOf(refused, false, false, kNow).deadline, "met") << "the partner's refusal is an answer";
  EXPECT_EQ(FactsOf(refused, false, false, kNow).reason, "OngoingInvestigation");
  json declined = Item("referral", "declined", t0, t0 + 3600 * kSecond);
  declined["decline"] = {{"reason", "NotCompetent"}, {"note", "free text never counted"}};
  EXPECT_EQ(FactsOf(declined, false, false, kNow).reason, "NotCompetent");
  EXPECT_EQ(FactsOf(Item("request", "provided", t0, t0), false, false, kNow).exploitation, "ForcedLabour");
}

TEST(ItemStatsTest, ReportGroupsThePeriodsItems) {
  int64_t t0 = kNow - 3600 * kSecond;
  std::vector<ItemFacts> items;
  for (int i = 0; i < 4; ++i) {
    json item = Item(i < 3 ? "referral" : "request", "accepted", t0 + i * kSecond, t0 + 7200 * kSecond);
    item["answered_at_us"] = t0 + i * kSecond + (i + 1) * 60 * kSecond;  // 1, 2, 3, 4 minutes
    items.push_back(FactsOf(item, false, false, kNow));
  }
  items.push_back(FactsOf(Item("referral", "sent", t0 - 86400 * kSecond * 40, t0), false, false, kNow));
  StatsQuery q;
  q.from_us = t0 - 60 * kSecond;
  q.by = {"type"};
  json r = StatsReport(items, q, kNow);
  EXPECT_EQ(r["items"], 4) << "the old item is outside the period";
  EXPECT_EQ(r["deadlines"]["met"], 4);
  EXPECT_EQ(r["response_time"]["answered"], 4);
  EXPECT_DOUBLE_EQ(r["response_time"]["p50_s"].get<double>(), 120.0);
  EXPECT_DOUBLE_EQ(r["response_time"]["p90_s"].get<double>(), 240.0);
  ASSERT_EQ(r["groups"].size(), 2u);
  EXPECT_EQ(r["groups"][0]["key"], json({{"type", "referral"}}));
  EXPECT_EQ(r["groups"][0]["items"], 3);
  EXPECT_EQ(r["groups"][1]["key"], json({{"type", "request"}}));
  EXPECT_TRUE(r["groups"][1]["response_time"]["p50_s"].is_number());
  q.by.clear();
  EXPECT_TRUE(StatsReport(items, q, kNow)["groups"].empty());
}

}  // namespace
}  // namespace lintas::node
