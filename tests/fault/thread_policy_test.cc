// Role addressing and handling codes through a thread, against a real broker
// over real sockets and a real RocksDB: COUNTRY/role reaches the designated
// counterpart's node only; an ambiguous role is refused naming the field; an
// H2 thread cannot be forwarded by anyone at any depth, a party-less node
// cannot answer into it, and an answer weaker than its parent is refused.
#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lintas/common/clock.h"
#include "lintas/wire/errc.h"
#include "testutil/broker_harness.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;

// Viet Nam's border guard has a node of its own; Malaysia has two labour
// agencies and no counterpart designated for the role.
std::string AddressingConfig(const std::string& data_dir) {
  return fmt::format(R"([broker]
id = "test-broker"
endpoint = "tcp://127.0.0.1:*"
data_dir = "{}"
log_level = "warn"

[security]
mode = "plaintext"
require_sealed = false  # hand-built events

[directory]
agencies_csv = "{}/ops/directory/agencies.csv"

[[directory.agencies]]
id = "my-labour-a"
country = "MYS"
roles = ["labour"]

[[directory.agencies]]
id = "my-labour-b"
country = "MYS"
roles = ["labour"]

[[nodes]]
id = "th-node"
country = "THA"

[[nodes]]
id = "vn-node"
country = "VNM"
agencies = ["vn-mps-cpd", "vn-molisa", "vn-bluedragon"]

[[nodes]]
id = "vn-bgc-node"
country = "VNM"
agencies = ["vn-bgc"]

[[nodes]]
id = "my-node"
country = "MYS"
)",
                     data_dir, LINTAS_SOURCE_DIR);
}

class ThreadPolicyTest : public ::testing::Test {
 protected:
  void StartBroker(const std::string& toml) {
    broker_ = std::make_unique<testutil::InProcessBroker>(broker::ParseConfig(toml, "/"));
  }

  std::unique_ptr<node::BrokerClient> Connect(const std::string& node_id, const std::string& country) {
    node::ClientOptions o;
    o.endpoint = broker_->endpoint();
    o.node_id = node_id;
    o.country = country;
    auto client = std::make_unique<node::BrokerClient>(ctx_, o);
    auto s = client->Connect();
    EXPECT_TRUE(s.ok()) << s.error().message;
    return client;
  }

  struct To {
    std::string country;
    std::string agency;  // empty: by role
    fb::Role role = fb::Role::Unspecified;
  };

  // A SpontaneousInformation from `country`/`agency` to `to`, answering
  // `parent` (if set) with handling `h`; its id in `id_out` if given.
  std::string Event(const std::string& country, const std::string& agency, std::vector<To> to,
                    fb::HandlingCode h, const wire::EventId* parent = nullptr,
                    wire::EventId* id_out = nullptr) {
    wire::EventId id = ids_.Next();
    if (id_out != nullptr) *id_out = id;
    fb::EventT e = testutil::SampleEvent(fb::Body::SpontaneousInformation, id, NowMicros());
    e.origin->country = country;
    e.origin->agency = agency;
    e.destinations.clear();
    for (const auto& t : to) {
      auto d = std::make_unique<fb::DestinationT>();
      d->country = t.country;
      d->agency = t.agency;
      d->role = t.role;
      e.destinations.push_back(std::move(d));
    }
    e.handling = h;
    e.handling_text = h == fb::HandlingCode::H3 ? "not for court use without the originator's consent" : "";
    if (parent != nullptr) e.parent_id = std::make_unique<fb::Uuid>(parent->ToFb());
    return testutil::PackEvent(e);
  }

  static void ExpectRefused(const testutil::PublishOutcome& o, wire::errc code, const std::string& field) {
    ASSERT_TRUE(o.answered);
    EXPECT_FALSE(o.acked);
    EXPECT_EQ(o.code, static_cast<uint16_t>(code)) << o.message;
    EXPECT_EQ(o.field, field) << o.message;
  }

  // The handling code of the event stored at `offset`.
  fb::HandlingCode StoredHandling(uint64_t offset) {
    auto record = broker_->broker().store().ReadRecord(offset);
    EXPECT_TRUE(record.ok() && record->has_value());
    return testutil::RecordEvent(**record)->handling();
  }

  testutil::TempDir dir_;
  zmq::context_t ctx_;
  wire::EventIdGenerator ids_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
};

TEST_F(ThreadPolicyTest, RoleAddressingReachesOnlyTheDesignatedCounterpart) {
  StartBroker(AddressingConfig(dir_.Sub("data")));
  auto vn = Connect("vn-node", "VNM");
  auto bgc = Connect("vn-bgc-node", "VNM");
  ASSERT_TRUE(testutil::Subscribe(*vn, "inbox"));
  ASSERT_TRUE(testutil::Subscribe(*bgc, "inbox"));
  auto th = Connect("th-node", "THA");
  using H = fb::HandlingCode;
  auto out = testutil::PublishAndWait(*th, {
      // VNM/police: vn-mps-cpd is the designated counterpart, vn-bgc is police too.
      Event("THA", "th-rtp-atpd", {{"VNM", "", fb::Role::Police}}, H::H0),
      // The border guard, named outright.
      Event("THA", "th-rtp-atpd", {{"VNM", "vn-bgc"}}, H::H0),
      // Two labour agencies in Malaysia, none designated.
      Event("THA", "th-rtp-atpd", {{"VNM", "vn-molisa"}, {"MYS", "", fb::Role::Labour}}, H::H0),
  });
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].acked) << out[0].message;
  EXPECT_TRUE(out[1].acked) << out[1].message;
  ExpectRefused(out[2], wire::errc::unknown_destination, "destinations[1].role");
  EXPECT_NE(out[2].message.find("no counterpart is designated"), std::string::npos) << out[2].message;

  auto vn_got = testutil::ReceiveDeliveries(*vn, "inbox", 1, 5s);
  ASSERT_EQ(vn_got.size(), 1u);
  EXPECT_EQ(vn_got[0].offset, out[0].offset);
  // Deliveries come in log order: the border guard's first is the event
  // naming it, so the role-addressed one was never routed there.
  auto bgc_got = testutil::ReceiveDeliveries(*bgc, "inbox", 1, 5s);
  ASSERT_EQ(bgc_got.size(), 1u);
  EXPECT_EQ(bgc_got[0].offset, out[1].offset);
  EXPECT_EQ(broker_->broker().store().size(), 2u);
}

TEST_F(ThreadPolicyTest, TwoCounterpartsForOneRoleStopTheBrokerNamingBoth) {
  std::string toml = AddressingConfig(dir_.Sub("data")) +
                     "\n[[directory.agencies]]\nid = \"vn-second-police\"\ncountry = \"VNM\"\n"
                     "roles = [\"police\"]\ncounterpart = [\"police\"]\n";
  try {
    broker::ParseConfig(toml, "/");
    FAIL() << "two designated counterparts for VNM/police were accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'vn-mps-cpd' and 'vn-second-police'"), std::string::npos) << e.what();
  }
}

TEST_F(ThreadPolicyTest, AnH2ThreadCannotBeForwardedByAnyoneAtAnyDepth) {
  StartBroker(testutil::TestConfigToml(dir_.Sub("data")));
  auto th = Connect("th-node", "THA");
  auto vn = Connect("vn-node", "VNM");
  auto la = Connect("la-node", "LAO");
  auto kh = Connect("kh-node", "KHM");
  using H = fb::HandlingCode;
  // Viet Nam asks Laos and Thailand, H2.
  wire::EventId request;
  auto sent = testutil::PublishAndWait(
      *vn, {Event("VNM", "vn-mps-cpd", {{"LAO", "la-mps-aht"}, {"THA", "th-rtp-atpd"}}, H::H2, nullptr, &request)});
  ASSERT_TRUE(sent[0].acked) << sent[0].message;

  // Laos answers Viet Nam: once weaker than the request, once keeping H2.
  wire::EventId answer;
  auto la_out = testutil::PublishAndWait(*la, {
      Event("LAO", "la-mps-aht", {{"VNM", "vn-mps-cpd"}}, H::H0, &request),
      Event("LAO", "la-mps-aht", {{"VNM", "vn-mps-cpd"}}, H::H2, &request, &answer),
  });
  ExpectRefused(la_out[0], wire::errc::policy_denied, "handling");
  ASSERT_TRUE(la_out[1].acked) << la_out[1].message;
  EXPECT_EQ(StoredHandling(la_out[1].offset), H::H2);

  // Cambodia never received the request: it may not answer it at all.
  auto kh_out = testutil::PublishAndWait(*kh, {Event("KHM", "kh-ahtjp", {{"THA", "th-rtp-atpd"}}, H::H2, &request)});
  ExpectRefused(kh_out[0], wire::errc::policy_denied, "parent_id");
  // Thailand received the request but not Laos's answer: it may not answer that.
  auto th_out = testutil::PublishAndWait(*th, {Event("THA", "th-rtp-atpd", {{"VNM", "vn-mps-cpd"}}, H::H2, &answer)});
  ExpectRefused(th_out[0], wire::errc::policy_denied, "parent_id");

  // Viet Nam, the request's originator, answers Laos's answer (a grandchild
  // of nothing but its own request): it may also share onward.
  wire::EventId follow_up;
  auto vn_out = testutil::PublishAndWait(
      *vn, {Event("VNM", "vn-mps-cpd", {{"LAO", "la-mps-aht"}}, H::H2, &answer, &follow_up)});
  ASSERT_TRUE(vn_out[0].acked) << vn_out[0].message;

  // Two levels below the request, Laos may address only the request's parties.
  auto deep = testutil::PublishAndWait(*la, {
      Event("LAO", "la-mps-aht", {{"KHM", "kh-ahtjp"}}, H::H2, &follow_up),   // onward: refused
      Event("LAO", "la-mps-aht", {{"THA", "th-rtp-atpd"}}, H::H3, &follow_up),  // stricter, but...
  });
  ExpectRefused(deep[0], wire::errc::policy_denied, "destinations");
  // ...Thailand is a party of the request but not of the follow-up: refused too.
  ExpectRefused(deep[1], wire::errc::policy_denied, "destinations");
  auto back = testutil::PublishAndWait(*la, {Event("LAO", "la-mps-aht", {{"VNM", "vn-mps-cpd"}}, H::H3, &follow_up)});
  ASSERT_TRUE(back[0].acked) << back[0].message;
  EXPECT_EQ(StoredHandling(back[0].offset), H::H3);
  // Nothing refused was stored: the request, the answer, the follow-up, the last answer.
  EXPECT_EQ(broker_->broker().store().size(), 4u);
}

// After a restart the thread is in table files, not in memory: the loop does
// not read them itself, the log reader does, and the rules come out the same.
// Replies to events committed moments ago are judged on the loop from its
// recent records, the thread above them too: no log reader, whatever the
// page cache holds (segments are written past it).
TEST_F(ThreadPolicyTest, AReplyToARecentEventIsJudgedFromMemoryWithoutTheLogReader) {
  StartBroker(testutil::TestConfigToml(dir_.Sub("data")));
  auto vn = Connect("vn-node", "VNM");
  auto la = Connect("la-node", "LAO");
  const auto h2 = fb::HandlingCode::H2;
  wire::EventId request;
  wire::EventId answer;
  ASSERT_TRUE(testutil::PublishAndWait(*vn, {Event("VNM", "vn-mps-cpd", {{"LAO", "la-mps-aht"}}, h2, nullptr,
                                                   &request)})[0].acked);
  ASSERT_TRUE(testutil::PublishAndWait(*la, {Event("LAO", "la-mps-aht", {{"VNM", "vn-mps-cpd"}}, h2, &request,
                                                   &answer)})[0].acked);
  auto follow_up = testutil::PublishAndWait(*vn, {Event("VNM", "vn-mps-cpd", {{"LAO", "la-mps-aht"}}, h2, &answer)});
  ASSERT_TRUE(follow_up[0].acked) << follow_up[0].message;
  EXPECT_EQ(broker_->broker().probe().reads_deferred(), 0u);
}

TEST_F(ThreadPolicyTest, AThreadStoredBeforeARestartIsJudgedTheSameWhenTheLogReaderReadsIt) {
  std::string toml = testutil::TestConfigToml(dir_.Sub("data"));
  StartBroker(toml);
  using H = fb::HandlingCode;
  wire::EventId request;
  wire::EventId answer;
  std::string answer_bytes;
  uint64_t answer_offset = 0;
  {
    auto vn = Connect("vn-node", "VNM");
    auto la = Connect("la-node", "LAO");
    auto sent = testutil::PublishAndWait(
        *vn, {Event("VNM", "vn-mps-cpd", {{"LAO", "la-mps-aht"}, {"THA", "th-rtp-atpd"}}, H::H2, nullptr, &request)});
    ASSERT_TRUE(sent[0].acked) << sent[0].message;
    answer_bytes = Event("LAO", "la-mps-aht", {{"VNM", "vn-mps-cpd"}}, H::H2, &request, &answer);
    auto la_out = testutil::PublishAndWait(*la, {answer_bytes});
    ASSERT_TRUE(la_out[0].acked) << la_out[0].message;
    answer_offset = la_out[0].offset;
  }
  broker_.reset();  // closes RocksDB: the memtables go to table files
  StartBroker(toml);
  auto th = Connect("th-node", "THA");
  auto vn = Connect("vn-node", "VNM");
  auto la = Connect("la-node", "LAO");
  auto kh = Connect("kh-node", "KHM");
  // Laos resends its answer: a duplicate, at its first offset.
  auto resent = testutil::PublishAndWait(*la, {answer_bytes});
  ASSERT_TRUE(resent[0].acked) << resent[0].message;
  EXPECT_TRUE(resent[0].duplicate);
  EXPECT_EQ(resent[0].offset, answer_offset);
  // Cambodia never received the request; Thailand not Laos's answer.
  auto kh_out = testutil::PublishAndWait(*kh, {Event("KHM", "kh-ahtjp", {{"THA", "th-rtp-atpd"}}, H::H2, &request)});
  ExpectRefused(kh_out[0], wire::errc::policy_denied, "parent_id");
  auto th_out = testutil::PublishAndWait(*th, {Event("THA", "th-rtp-atpd", {{"VNM", "vn-mps-cpd"}}, H::H2, &answer)});
  ExpectRefused(th_out[0], wire::errc::policy_denied, "parent_id");
  // Two levels below the request (through the log): weaker is refused, H2 to Laos goes.
  auto vn_out = testutil::PublishAndWait(*vn, {
      Event("VNM", "vn-mps-cpd", {{"LAO", "la-mps-aht"}}, H::H0, &answer),
      Event("VNM", "vn-mps-cpd", {{"LAO", "la-mps-aht"}}, H::H2, &answer),
  });
  ExpectRefused(vn_out[0], wire::errc::policy_denied, "handling");
  ASSERT_TRUE(vn_out[1].acked) << vn_out[1].message;
  EXPECT_EQ(broker_->broker().store().size(), 3u);
  // The lookups were the log reader's, not the loop's.
  EXPECT_GT(broker_->broker().probe().reads_deferred(), 0u);
}

}  // namespace
}  // namespace lintas
