// The routing policy and handling code H2, against a real broker over real
// sockets and a real RocksDB: an exchange no rule allows is refused with
// policy_denied and never stored; a distributed event reaches only the
// countries the policy allows; an H2 event is neither distributed nor
// transferred onward by its recipients.
#include <functional>

#include <gtest/gtest.h>

#include "lintas/common/clock.h"
#include "lintas/wire/errc.h"
#include "testutil/broker_harness.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPolicy = R"(
[policy]
default = "deny"

[[policy.rules]]
name = "tha-to-khm-welfare-and-police"
from = ["THA"]
to = ["KHM"]
roles = ["social_welfare", "police"]

[[policy.rules]]
name = "answers-to-tha"
from = ["KHM", "VNM", "LAO"]
to = ["THA"]

[[policy.rules]]
name = "tha-to-vnm-referrals"
from = ["THA"]
to = ["VNM"]
events = ["ReferralCreated"]

[[policy.rules]]
name = "forced-criminality-alerts"
from = ["THA"]
to = ["VNM", "PHL"]
events = ["AlertPublished", "AlertCancelled"]
categories = ["ForcedCriminality"]

[[policy.rules]]
name = "missing-person-alerts-to-lao"
from = ["THA"]
to = ["LAO"]
events = ["AlertPublished"]
categories = ["MissingPerson"]

[[policy.rules]]
name = "vnm-to-khm"
from = ["VNM"]
to = ["KHM"]
)";

class PolicyTest : public ::testing::Test {
 protected:
  PolicyTest() {
    auto config =
        broker::ParseConfig(testutil::TestConfigToml(dir_.Sub("data")) + kPolicy, "/");
    broker_ = std::make_unique<testutil::InProcessBroker>(config);
  }

  std::unique_ptr<node::BrokerClient> Connect(const std::string& node_id) {
    auto client = std::make_unique<node::BrokerClient>(
        ctx_, testutil::NodeOptions(broker_->endpoint(), node_id));
    auto s = client->Connect();
    EXPECT_TRUE(s.ok()) << s.error().message;
    return client;
  }

  // An event of `type` from `country`/`agency` to one agency, changed by
  // `mutate`; its id in `id_out` if given.
  std::string Event(fb::Body type, const std::string& country, const std::string& agency,
                    const std::string& to_country, const std::string& to_agency,
                    const std::function<void(fb::EventT&)>& mutate = {},
                    wire::EventId* id_out = nullptr) {
    wire::EventId id = ids_.Next();
    if (id_out != nullptr) *id_out = id;
    fb::EventT e = testutil::SampleEvent(type, id, NowMicros());
    e.origin->country = country;
    e.origin->agency = agency;
    e.destinations.clear();
    auto d = std::make_unique<fb::DestinationT>();
    d->country = to_country;
    d->agency = to_agency;
    e.destinations.push_back(std::move(d));
    if (mutate) mutate(e);
    return testutil::PackEvent(e);
  }

  std::string Alert(fb::DistributionKind kind, std::vector<std::string> countries,
                    fb::AlertCategory category, fb::HandlingCode handling = fb::HandlingCode::H0) {
    fb::EventT e = testutil::SampleEvent(fb::Body::AlertPublished, ids_.Next(), NowMicros());
    e.distribution->kind = kind;
    e.distribution->countries = std::move(countries);
    e.body.AsAlertPublished()->category = category;
    e.handling = handling;
    return testutil::PackEvent(e);
  }

  static std::function<void(fb::EventT&)> AnswerTo(const wire::EventId& parent,
                                                   fb::HandlingCode handling = fb::HandlingCode::H0) {
    return [parent, handling](fb::EventT& e) {
      e.parent_id = std::make_unique<fb::Uuid>(parent.ToFb());
      e.handling = handling;
    };
  }

  static void ExpectPolicyDenied(const testutil::PublishOutcome& o, const std::string& field) {
    ASSERT_TRUE(o.answered);
    EXPECT_FALSE(o.acked);
    EXPECT_EQ(o.code, static_cast<uint16_t>(wire::errc::policy_denied)) << o.message;
    EXPECT_EQ(o.field, field) << o.message;
  }

  testutil::TempDir dir_;
  zmq::context_t ctx_;
  wire::EventIdGenerator ids_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
};

TEST_F(PolicyTest, AnExchangeNoRuleAllowsIsRefusedAndNeverStored) {
  auto th = Connect("th-node");
  using B = fb::Body;
  auto out = testutil::PublishAndWait(*th, {
      Event(B::ReferralCreated, "THA", "th-msdhs", "KHM", "kh-mosvy"),  // welfare role: allowed
      Event(B::ReferralCreated, "THA", "th-msdhs", "KHM", "kh-ncct"),   // focal point: no rule
      Event(B::ReferralCreated, "THA", "th-msdhs", "LAO", "la-molsw"),  // no THA -> LAO referrals
      Event(B::ReferralCreated, "THA", "th-msdhs", "VNM", "vn-molisa"), // allowed
      Event(B::InformationRequested, "THA", "th-rtp-atpd", "VNM", "vn-mps-cpd"),  // type not allowed
      Alert(fb::DistributionKind::SelectedCountries, {"VNM"}, fb::AlertCategory::RecruitmentScam),
      Alert(fb::DistributionKind::SelectedCountries, {"PHL"}, fb::AlertCategory::ForcedCriminality),
  });
  ASSERT_EQ(out.size(), 7u);
  EXPECT_TRUE(out[0].acked) << out[0].message;
  ExpectPolicyDenied(out[1], "destinations[0]");
  ExpectPolicyDenied(out[2], "destinations[0]");
  EXPECT_TRUE(out[3].acked) << out[3].message;
  ExpectPolicyDenied(out[4], "destinations[0]");
  ExpectPolicyDenied(out[5], "distribution.countries[0]");
  EXPECT_TRUE(out[6].acked) << out[6].message;
  EXPECT_EQ(broker_->broker().store().size(), 3u);
  EXPECT_NE(broker_->broker().probe().Scrape().find(
                "lintas_broker_refusals_total{code=\"policy_denied\"} 4"),
            std::string::npos)
      << broker_->broker().probe().Scrape();
}

TEST_F(PolicyTest, ARegionalAlertReachesOnlyTheCountriesThePolicyAllows) {
  auto vn = Connect("vn-node");
  auto la = Connect("la-node");
  ASSERT_TRUE(testutil::Subscribe(*vn, "alerts"));
  ASSERT_TRUE(testutil::Subscribe(*la, "alerts"));
  auto th = Connect("th-node");
  auto out = testutil::PublishAndWait(*th, {
      Alert(fb::DistributionKind::Regional, {}, fb::AlertCategory::ForcedCriminality),  // VNM only
      Alert(fb::DistributionKind::Regional, {}, fb::AlertCategory::MissingPerson),      // LAO only
  });
  for (const auto& o : out) ASSERT_TRUE(o.acked) << o.message;
  auto vn_got = testutil::ReceiveDeliveries(*vn, "alerts", 1, 5s);
  ASSERT_EQ(vn_got.size(), 1u);
  EXPECT_EQ(vn_got[0].offset, out[0].offset);
  // Deliveries come in log order: Laos's first is the second alert, so the
  // first was withheld, not merely late.
  auto la_got = testutil::ReceiveDeliveries(*la, "alerts", 1, 5s);
  ASSERT_EQ(la_got.size(), 1u);
  EXPECT_EQ(la_got[0].offset, out[1].offset);
}

TEST_F(PolicyTest, AnH2EventIsNeverDistributed) {
  auto th = Connect("th-node");
  auto out = testutil::PublishAndWait(
      *th, {Alert(fb::DistributionKind::Regional, {}, fb::AlertCategory::ForcedCriminality,
                  fb::HandlingCode::H2)});
  ExpectPolicyDenied(out[0], "distribution");
  EXPECT_EQ(broker_->broker().store().size(), 0u);
}

TEST_F(PolicyTest, TheRecipientOfAnH2EventCannotTransferItOnward) {
  auto th = Connect("th-node");
  auto vn = Connect("vn-node");
  using B = fb::Body;
  wire::EventId h2_id;
  wire::EventId h0_id;
  auto sent = testutil::PublishAndWait(*th, {
      Event(B::ReferralCreated, "THA", "th-msdhs", "VNM", "vn-molisa",
            [](fb::EventT& e) { e.handling = fb::HandlingCode::H2; }, &h2_id),
      Event(B::ReferralCreated, "THA", "th-msdhs", "VNM", "vn-molisa", {}, &h0_id),
  });
  for (const auto& o : sent) ASSERT_TRUE(o.acked) << o.message;

  auto answers = testutil::PublishAndWait(*vn, {
      // Back to the originator: a party of the H2 event (an answer keeps H2).
      Event(B::ReferralAcknowledged, "VNM", "vn-molisa", "THA", "th-msdhs", AnswerTo(h2_id, fb::HandlingCode::H2)),
      // On to Cambodia, which the policy otherwise allows VNM to reach.
      Event(B::ReferralCreated, "VNM", "vn-molisa", "KHM", "kh-mosvy", AnswerTo(h2_id, fb::HandlingCode::H2)),
      // The same onward step for an event without H2 (the sample's H1, kept).
      Event(B::ReferralCreated, "VNM", "vn-molisa", "KHM", "kh-mosvy", AnswerTo(h0_id, fb::HandlingCode::H1)),
  });
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_TRUE(answers[0].acked) << answers[0].message;
  ExpectPolicyDenied(answers[1], "destinations");
  EXPECT_TRUE(answers[2].acked) << answers[2].message;

  // The originator itself may share its H2 event further (still H2: no
  // answer is weaker than its parent).
  auto own = testutil::PublishAndWait(
      *th, {Event(B::ReferralCreated, "THA", "th-msdhs", "KHM", "kh-mosvy", AnswerTo(h2_id, fb::HandlingCode::H2))});
  EXPECT_TRUE(own[0].acked) << own[0].message;
  EXPECT_EQ(broker_->broker().store().size(), 5u);
}

// Regression: an answer whose parent was still in the same commit window was
// refused as `overloaded` (retryable, so the node tore down its link), and a
// cancellation there took category 0, which no category rule allows.
TEST_F(PolicyTest, AnAnswerInItsParentsCommitWindowIsJudgedByTheParent) {
  auto vn = Connect("vn-node");
  ASSERT_TRUE(testutil::Subscribe(*vn, "alerts"));
  auto th = Connect("th-node");
  using B = fb::Body;
  wire::EventId h2_id;
  wire::EventId alert_id = ids_.Next();
  fb::EventT alert = testutil::SampleEvent(B::AlertPublished, alert_id, NowMicros());
  alert.distribution->kind = fb::DistributionKind::Regional;
  alert.distribution->countries.clear();
  alert.body.AsAlertPublished()->category = fb::AlertCategory::ForcedCriminality;
  fb::EventT cancel = testutil::SampleEvent(B::AlertCancelled, ids_.Next(), NowMicros());
  cancel.distribution->kind = fb::DistributionKind::Regional;
  cancel.distribution->countries.clear();
  cancel.parent_id = std::make_unique<fb::Uuid>(alert_id.ToFb());
  // One Publish frame: each answer is read while its parent is in flight.
  auto out = testutil::PublishAndWait(*th, {
      Event(B::ReferralCreated, "THA", "th-msdhs", "VNM", "vn-molisa",
            [](fb::EventT& e) { e.handling = fb::HandlingCode::H2; }, &h2_id),
      // The originator may share its own H2 event (keeping H2).
      Event(B::ReferralCreated, "THA", "th-msdhs", "KHM", "kh-mosvy", AnswerTo(h2_id, fb::HandlingCode::H2)),
      testutil::PackEvent(alert),
      testutil::PackEvent(cancel),
  });
  ASSERT_EQ(out.size(), 4u);
  for (const auto& o : out) EXPECT_TRUE(o.acked) << o.message;
  // The cancellation carries the alert's category: the subscriber gets both.
  auto got = testutil::ReceiveDeliveries(*vn, "alerts", 2, 5s);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].offset, out[2].offset);
  EXPECT_EQ(got[1].offset, out[3].offset);
}

TEST(PolicyConfigTest, MistakesInRulesNameTheField) {
  testutil::TempDir dir;
  std::string base = testutil::TestConfigToml(dir.Sub("data"));
  auto error_of = [&](const std::string& policy) -> std::string {
    try {
      broker::ParseConfig(base + policy, "/");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of("[policy]\n[[policy.rules]]\nto = [\"KHM\"]\n").find("policy.rules[0].from"),
            std::string::npos);
  EXPECT_NE(error_of("[policy]\n[[policy.rules]]\nfrom = [\"THA\"]\nto = [\"QQQ\"]\n")
                .find("policy.rules[0].to: 'QQQ'"),
            std::string::npos);
  EXPECT_NE(error_of("[policy]\n[[policy.rules]]\nfrom = [\"*\"]\nto = [\"*\"]\nevents = "
                     "[\"ReferalCreated\"]\n")
                .find("policy.rules[0].events: 'ReferalCreated'"),
            std::string::npos);
  EXPECT_NE(error_of("[policy]\n[[policy.rules]]\nfrom = [\"*\"]\nto = [\"*\"]\nroles = "
                     "[\"spy\"]\n")
                .find("policy.rules[0].roles: unknown role 'spy'"),
            std::string::npos);
  EXPECT_NE(error_of("[policy]\ndefault = \"maybe\"\n").find("policy.default"), std::string::npos);
  EXPECT_EQ(error_of("[policy]\n[[policy.rules]]\nfrom = [\"*\"]\nto = [\"*\"]\n"), "");
}

}  // namespace
}  // namespace lintas
