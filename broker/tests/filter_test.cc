// Subscription filters and distribution summaries.
#include "lintas/broker/filter.h"

#include <random>

#include <gtest/gtest.h>

namespace lintas::broker {
namespace {

DistributionSummary Alert(fb::DistributionKind kind, std::vector<std::string> countries,
                          fb::AlertCategory category, fb::Priority priority) {
  DistributionSummary s;
  s.kind = kind;
  s.body = fb::Body::AlertPublished;
  s.category = static_cast<uint8_t>(category);
  s.priority = priority;
  s.origin = "IDN";
  s.countries = std::move(countries);
  return s;
}

TEST(FilterTest, SummaryRoundTrips) {
  auto s = Alert(fb::DistributionKind::SelectedCountries, {"PHL", "MYS"},
                 fb::AlertCategory::RecruitmentScam, fb::Priority::Urgent);
  auto back = DistributionSummary::Decode(s.Encode());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->countries, s.countries);
  EXPECT_EQ(back->origin, "IDN");
  EXPECT_EQ(back->category, s.category);
  EXPECT_EQ(back->priority, fb::Priority::Urgent);
}

TEST(FilterTest, SelectedCountriesReachOnlyThoseCountries) {
  SubscriptionFilter all;
  auto s = Alert(fb::DistributionKind::SelectedCountries, {"PHL", "MYS"},
                 fb::AlertCategory::RecruitmentScam, fb::Priority::Routine);
  EXPECT_TRUE(all.Matches(s, "MYS"));
  EXPECT_FALSE(all.Matches(s, "THA"));
  EXPECT_TRUE(all.Matches(Alert(fb::DistributionKind::Regional, {}, fb::AlertCategory::Other,
                                fb::Priority::Routine),
                          "THA"));
}

TEST(FilterTest, EachCriterionNarrows) {
  auto s = Alert(fb::DistributionKind::Regional, {}, fb::AlertCategory::RecruitmentScam,
                 fb::Priority::Urgent);
  SubscriptionFilter f;
  f.origin_countries = {"THA"};
  EXPECT_FALSE(f.Matches(s, "MYS"));
  f.origin_countries = {"IDN"};
  EXPECT_TRUE(f.Matches(s, "MYS"));
  f.alert_categories = {static_cast<uint8_t>(fb::AlertCategory::ScamCompound)};
  EXPECT_FALSE(f.Matches(s, "MYS"));
  f.alert_categories = {static_cast<uint8_t>(fb::AlertCategory::RecruitmentScam)};
  f.min_priority = static_cast<int8_t>(fb::Priority::LifeThreatening);
  EXPECT_FALSE(f.Matches(s, "MYS"));
  f.min_priority = static_cast<int8_t>(fb::Priority::Urgent);
  EXPECT_TRUE(f.Matches(s, "MYS"));
  f.body_types = {static_cast<uint8_t>(fb::Body::AlertCancelled)};
  EXPECT_FALSE(f.Matches(s, "MYS"));
}

TEST(FilterTest, FilterEncodingRoundTrips) {
  SubscriptionFilter f;
  f.origin_countries = {"IDN", "PHL"};
  f.body_types = {18, 19};
  f.alert_categories = {3};
  f.min_priority = 1;
  SubscriptionFilter back = SubscriptionFilter::Decode(f.Encode());
  EXPECT_EQ(back.origin_countries, f.origin_countries);
  EXPECT_EQ(back.body_types, f.body_types);
  EXPECT_EQ(back.alert_categories, f.alert_categories);
  EXPECT_EQ(back.min_priority, 1);
}

TEST(FilterTest, DecodingGarbageNeverReadsOutOfBounds) {
  std::mt19937 rng(3);
  for (int i = 0; i < 10000; ++i) {
    std::string junk(rng() % 40, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    (void)DistributionSummary::Decode(junk);
    (void)SubscriptionFilter::Decode(junk);
  }
  EXPECT_FALSE(DistributionSummary::Decode("\x01").has_value());
}

}  // namespace
}  // namespace lintas::broker
