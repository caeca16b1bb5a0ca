// Ingest without sockets or a store: admission (verification, validation,
// origin) and the decision (dedup, routing, policy, the thread's handling
// codes) from a frame and the state the publish path hands it.
#include "../src/ingest.h"

#include <deque>
#include <functional>

#include <gtest/gtest.h>

#include "lintas/common/clock.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/verify.h"
#include "testutil/sample_events.h"

namespace lintas::broker {
namespace {

const std::string kConfig = std::string(R"([broker]
data_dir = "/tmp/x"
[security]
mode = "plaintext"
require_sealed = false
[directory]
agencies_csv = ")") + LINTAS_SOURCE_DIR + R"(/ops/directory/agencies.csv"
[[nodes]]
id = "th-node"
country = "THA"
permissions = ["publish", "subscribe"]
[[nodes]]
id = "kh-node"
country = "KHM"
permissions = ["publish", "subscribe"]
[[nodes]]
id = "vn-node"
country = "VNM"
permissions = ["publish", "subscribe"]
)";

class IngestTest : public ::testing::Test {
 protected:
  IngestTest() : config_(ParseConfig(kConfig, "/")), directory_(config_), policy_(config_.policy) {
    state_.config = &config_;
    state_.directory = &directory_;
    state_.policy = &policy_;
  }

  const NodeConfig& Node(const std::string& id) { return *directory_.FindNode(id); }

  // A packed example referral from THA to KHM; kept alive by the fixture.
  std::span<const uint8_t> Frame(const std::function<void(fb::EventT&)>& edit = {}) {
    fb::EventT e = testutil::SampleEvent(fb::Body::ReferralCreated, ids_.Next(), NowMicros());
    if (edit) edit(e);
    packed_.push_back(testutil::PackEvent(e));
    return {reinterpret_cast<const uint8_t*>(packed_.back().data()), packed_.back().size()};
  }

  BrokerConfig config_;
  Directory directory_;
  RoutingPolicy policy_;
  IngestState state_;
  wire::EventIdGenerator ids_;
  std::deque<std::string> packed_;
};

TEST_F(IngestTest, AnEventIsAcceptedWithItsRoutingAndIndexKeys) {
  auto event = AdmitEvent(Node("th-node"), directory_, Frame());
  ASSERT_TRUE(event.ok()) << event.error().message;
  IngestDecision d = Ingest(state_, Node("th-node"), **event, {});
  ASSERT_TRUE(std::holds_alternative<Accepted>(d));
  const Accepted& a = std::get<Accepted>(d);
  EXPECT_EQ(a.index.inbox_nodes, std::vector<std::string>{"kh-node"});
  EXPECT_EQ(a.index.origin_country, "THA");
  EXPECT_EQ(a.index.case_id, (*event)->case_id() ? (*event)->case_id()->str() : "");
  EXPECT_FALSE(a.index.distribution.has_value());
  EXPECT_EQ(a.facts.originator, "th-node");
  EXPECT_EQ(a.facts.parties, std::vector<std::string>{"kh-node"});
}

TEST_F(IngestTest, ADuplicateIsAnsweredWithTheFirstCopysOffset) {
  auto event = AdmitEvent(Node("th-node"), directory_, Frame());
  ASSERT_TRUE(event.ok());
  IngestLookups lookups;
  lookups.stored_at = 42;
  IngestDecision d = Ingest(state_, Node("th-node"), **event, lookups);
  ASSERT_TRUE(std::holds_alternative<Duplicate>(d));
  EXPECT_EQ(std::get<Duplicate>(d).offset, 42u);
}

TEST_F(IngestTest, AdmissionRefusesAForeignOriginAndAnUnverifiableFrame) {
  auto foreign = AdmitEvent(Node("kh-node"), directory_, Frame());
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, wire::errc::origin_mismatch);
  EXPECT_EQ(foreign.error().field, "origin.country");

  auto agency = AdmitEvent(Node("th-node"), directory_,
                           Frame([](fb::EventT& e) { e.origin->agency = "kh-mosvy"; }));
  ASSERT_FALSE(agency.ok());
  EXPECT_EQ(agency.error().field, "origin.agency");

  std::string garbage(64, 'x');
  auto bad = AdmitEvent(Node("th-node"), directory_,
                        {reinterpret_cast<const uint8_t*>(garbage.data()), garbage.size()});
  EXPECT_FALSE(bad.ok());
}

TEST_F(IngestTest, AnUnknownDestinationIsRefusedNamingIt) {
  auto event = AdmitEvent(Node("th-node"), directory_, Frame([](fb::EventT& e) {
                            e.destinations[0]->agency = "no-such-agency";
                            e.destinations[0]->role = fb::Role::Unspecified;
                          }));
  ASSERT_TRUE(event.ok()) << event.error().message;
  IngestDecision d = Ingest(state_, Node("th-node"), **event, {});
  ASSERT_TRUE(std::holds_alternative<Error>(d));
  EXPECT_EQ(std::get<Error>(d).code, wire::errc::unknown_destination);
}

TEST_F(IngestTest, BelowAnH2EventOnlyItsPartiesMayAnswer) {
  // The parent: an H2 referral from th-node to kh-node.
  ParentFacts parent;
  parent.handling = fb::HandlingCode::H2;
  parent.originator = "th-node";
  parent.parties = {"kh-node"};
  parent.h2_threads.push_back({"th-node", {"kh-node"}});
  wire::EventId parent_id = ids_.Next();
  auto answer = [&](fb::EventT& e) {
    e.origin->country = "VNM";
    e.origin->agency = "vn-mps-cpd";
    e.destinations.clear();
    e.destinations.push_back(std::make_unique<fb::DestinationT>());
    e.destinations[0]->country = "THA";
    e.destinations[0]->agency = "th-rtp-atpd";
    e.handling = fb::HandlingCode::H2;
    e.parent_id = std::make_unique<fb::Uuid>(parent_id.ToFb());
  };
  auto event = AdmitEvent(Node("vn-node"), directory_, Frame(answer));
  ASSERT_TRUE(event.ok()) << event.error().message;
  IngestLookups lookups;
  lookups.parent = parent;
  IngestDecision d = Ingest(state_, Node("vn-node"), **event, lookups);
  ASSERT_TRUE(std::holds_alternative<Error>(d));
  EXPECT_EQ(std::get<Error>(d).code, wire::errc::policy_denied);
  // Without the parent's facts (no parent in the log) nothing is protected.
  EXPECT_TRUE(std::holds_alternative<Accepted>(Ingest(state_, Node("vn-node"), **event, {})));
}

}  // namespace
}  // namespace lintas::broker
