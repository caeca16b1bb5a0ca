// The broker's guarantees, each against a real broker (its loop on a thread)
// over real ZeroMQ sockets on 127.0.0.1, on both store backends: a real
// RocksDB in a temporary directory, and a real 3-server nats-server JetStream
// cluster on loopback (started once for the whole binary, fresh streams and
// buckets for every broker).
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <thread>
#include <set>

#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <rocksdb/db.h>

#include "lintas/broker/broker.h"
#include "lintas/common/clock.h"
#include "lintas/store/rocksdb_store.h"
#include "lintas/store/store.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/verify.h"
#include "testutil/broker_harness.h"
#include "testutil/nats_cluster.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas::broker {
namespace {

using namespace std::chrono_literals;
using testutil::PublishAndWait;
using testutil::ReceiveDeliveries;

enum class Backend { kRocksDb, kJetStream };

// The cluster every JetStream test shares: started at its first use, killed
// at exit.
testutil::NatsCluster& SharedCluster() {
  static auto* cluster = new testutil::NatsCluster(3);
  static const bool registered = [] {
    std::atexit([] { delete cluster; });
    return true;
  }();
  (void)registered;
  return *cluster;
}

class BrokerTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kJetStream && !testutil::NatsServerAvailable()) {
      GTEST_SKIP() << "nats-server is not installed (ops/setup.sh installs it)";
    }
    Start();
  }

  // The test configuration on this test's backend. For JetStream, every data
  // directory gets its own streams and buckets (the same again on restart).
  broker::BrokerConfig Config(const std::string& data_dir,
                              const std::string& endpoint = "tcp://127.0.0.1:*",
                              uint32_t heartbeat_ms = 500) {
    auto config = testutil::TestConfig(data_dir, endpoint, heartbeat_ms);
    if (GetParam() != Backend::kJetStream) return config;
    static std::atomic<int> next{0};
    auto [it, fresh] = prefixes_.emplace(data_dir, "");
    if (fresh) it->second = fmt::format("T{}_{}", getpid(), next++);
    config.store_backend = broker::StoreBackend::kJetStream;
    config.jetstream.servers = SharedCluster().urls();
    config.jetstream.stream = it->second + "_LOG";
    config.jetstream.access_stream = it->second + "_ACCESS";
    config.jetstream.bucket = it->second + "_STATE";
    config.jetstream.lease_bucket = it->second + "_LEASE";
    config.jetstream.cache_dir = data_dir + "/jetstream-cache";
    return config;
  }

  void Start() { broker_ = std::make_unique<testutil::InProcessBroker>(Config(dir_.Sub("data"))); }
  void Restart() {
    broker_.reset();
    Start();
  }

  std::unique_ptr<node::BrokerClient> Connect(const std::string& node_id) {
    auto client = std::make_unique<node::BrokerClient>(
        ctx_, testutil::NodeOptions(broker_->endpoint(), node_id));
    auto s = client->Connect();
    EXPECT_TRUE(s.ok()) << s.error().message;
    return client;
  }

  // A valid event from THA (th-rtp-atpd), changed by `mutate`.
  std::string Event(const std::function<void(fb::EventT&)>& mutate = {}) {
    wire::EventId id = ids_.Next();
    fb::EventT e = testutil::ReferralToKhm(id, NowMicros());
    if (mutate) mutate(e);
    return testutil::PackEvent(e);
  }

  std::string AddressedTo(const std::string& country, const std::string& agency) {
    return Event([&](fb::EventT& e) {
      e.destinations[0]->country = country;
      e.destinations[0]->agency = agency;
    });
  }

  std::string Alert(fb::DistributionKind kind, std::vector<std::string> countries,
                    fb::AlertCategory category, fb::Priority priority) {
    wire::EventId id = ids_.Next();
    fb::EventT e = testutil::SampleEvent(fb::Body::AlertPublished, id, NowMicros());
    e.distribution->kind = kind;
    e.distribution->countries = std::move(countries);
    e.body.AsAlertPublished()->category = category;
    e.priority = priority;
    return testutil::PackEvent(e);
  }

  testutil::TempDir dir_;
  zmq::context_t ctx_;
  wire::EventIdGenerator ids_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
  std::map<std::string, std::string> prefixes_;  // data dir -> stream name prefix
};

std::set<uint64_t> OffsetsOf(const std::vector<testutil::Delivered>& d) {
  std::set<uint64_t> out;
  for (const auto& x : d) out.insert(x.offset);
  return out;
}

TEST_P(BrokerTest, PublishIsAcknowledgedWithTheOffsetOfASyncedRecord) {
  auto th = Connect("th-node");
  std::string event = Event();
  auto out = PublishAndWait(*th, {event});
  ASSERT_TRUE(out[0].acked) << out[0].message;
  EXPECT_FALSE(out[0].duplicate);
  EXPECT_EQ(out[0].offset, 1u);
  auto record = broker_->broker().store().ReadRecord(out[0].offset);
  ASSERT_TRUE(record.ok() && record->has_value());
  const fb::Event* stored = testutil::RecordEvent(**record);
  ASSERT_NE(stored, nullptr);
  // The bytes are stored exactly as received, with the authenticated publisher.
  auto verified = wire::VerifyRecord(wire::AsBytes(**record));
  ASSERT_TRUE(verified.ok());
  auto bytes = wire::RecordEventBytes(**verified);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), event);
  EXPECT_EQ((*verified)->publisher()->node_id()->str(), "th-node");
}

TEST_P(BrokerTest, ResendAfterADroppedAckGetsTheOriginalOffset) {
  std::string event = Event();
  uint64_t offset = 0;
  {
    auto th = Connect("th-node");
    auto first = PublishAndWait(*th, {Event(), event});
    ASSERT_TRUE(first[1].acked);
    offset = first[1].offset;
  }
  // The node never saw that ack (a new connection, as after a crash): it resends.
  auto th = Connect("th-node");
  auto again = PublishAndWait(*th, {event, event});
  ASSERT_TRUE(again[0].acked && again[1].acked);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].offset, offset);
  EXPECT_EQ(again[1].offset, offset);
  EXPECT_EQ(broker_->broker().store().size(), 2u);
}

TEST_P(BrokerTest, DuplicateInsideOneBatchIsStoredOnce) {
  auto th = Connect("th-node");
  std::string event = Event();
  auto out = PublishAndWait(*th, {event, event, event});
  ASSERT_TRUE(out[0].acked && out[1].acked && out[2].acked);
  EXPECT_EQ(out[0].offset, out[1].offset);
  EXPECT_EQ(out[0].offset, out[2].offset);
  EXPECT_FALSE(out[0].duplicate);
  EXPECT_TRUE(out[1].duplicate && out[2].duplicate);
  EXPECT_EQ(broker_->broker().store().size(), 1u);
}

// Regression: a group commit holding thousands of one node's events must not
// produce an Ack control frame over its size cap (the node would drop it).
TEST_P(BrokerTest, ManyEventsInOneGroupCommitAreAllAcknowledged) {
  auto th = Connect("th-node");
  std::vector<std::string> events;
  for (int i = 0; i < 4096; ++i) events.push_back(Event());
  std::map<uint64_t, bool> pending;
  for (size_t i = 0; i < events.size(); i += 256) {
    auto first = th->Publish(std::span(events).subspan(i, 256));
    ASSERT_TRUE(first.ok());
    for (uint64_t s = *first; s < *first + 256; ++s) pending[s] = true;
  }
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
    auto in = th->Receive(100ms);
    ASSERT_TRUE(in.ok()) << in.error().message;
    if (!in->has_value() || (*in)->command != proto::Command::Ack) continue;
    for (const auto* e : *(*in)->control()->command_as_Ack()->entries()) pending.erase(e->seq());
  }
  EXPECT_TRUE(pending.empty()) << pending.size() << " events never acknowledged";
  EXPECT_EQ(broker_->broker().store().size(), 4096u);
}

TEST_P(BrokerTest, EventsFromOneNodeKeepTheirPublishOrder) {
  auto th = Connect("th-node");
  auto vn = Connect("vn-node");
  std::vector<std::string> th_events;
  std::vector<std::string> vn_events;
  for (int i = 0; i < 600; ++i) th_events.push_back(Event());
  for (int i = 0; i < 300; ++i) {
    vn_events.push_back(Event([](fb::EventT& e) {
      e.origin->country = "VNM";
      e.origin->agency = "vn-mps-cpd";
    }));
  }
  // Interleave two publishers; each one's offsets must follow its own order.
  ASSERT_TRUE(th->Publish(std::span(th_events).subspan(0, 256)).ok());
  auto vn_out = PublishAndWait(*vn, vn_events);
  auto th_rest = std::vector<std::string>(th_events.begin() + 256, th_events.end());
  auto th_out = PublishAndWait(*th, th_rest);
  for (size_t i = 1; i < vn_out.size(); ++i) {
    ASSERT_TRUE(vn_out[i].acked);
    EXPECT_LT(vn_out[i - 1].offset, vn_out[i].offset);
  }
  for (size_t i = 1; i < th_out.size(); ++i) {
    ASSERT_TRUE(th_out[i].acked);
    EXPECT_LT(th_out[i - 1].offset, th_out[i].offset);
  }
  EXPECT_EQ(broker_->broker().store().size(), 900u);
}

TEST_P(BrokerTest, AddressedEventReachesKhmAndNotVnm) {
  auto kh = Connect("kh-node");
  auto vn = Connect("vn-node");
  ASSERT_TRUE(testutil::Subscribe(*kh, "inbox"));
  ASSERT_TRUE(testutil::Subscribe(*vn, "inbox"));
  auto th = Connect("th-node");
  auto to_kh = PublishAndWait(*th, {AddressedTo("KHM", "kh-mosvy")});
  auto to_vn = PublishAndWait(*th, {AddressedTo("VNM", "vn-molisa")});
  ASSERT_TRUE(to_kh[0].acked && to_vn[0].acked);

  auto kh_got = ReceiveDeliveries(*kh, "inbox", 1, 5s);
  ASSERT_EQ(kh_got.size(), 1u);
  EXPECT_EQ(kh_got[0].offset, to_kh[0].offset);
  // VNM's inbox is delivered in log order: had the KHM referral reached it, it
  // would come before VNM's own.
  auto vn_got = ReceiveDeliveries(*vn, "inbox", 1, 5s);
  ASSERT_EQ(vn_got.size(), 1u);
  EXPECT_EQ(vn_got[0].offset, to_vn[0].offset);
}

TEST_P(BrokerTest, RoleIsResolvedThroughTheDirectory) {
  auto kh = Connect("kh-node");
  ASSERT_TRUE(testutil::Subscribe(*kh, "inbox"));
  auto th = Connect("th-node");
  std::string by_role = Event([](fb::EventT& e) {
    e.destinations[0]->agency.clear();
    e.destinations[0]->role = fb::Role::SocialWelfare;  // kh-mosvy, served by kh-node
  });
  auto out = PublishAndWait(*th, {by_role});
  ASSERT_TRUE(out[0].acked) << out[0].message;
  auto got = ReceiveDeliveries(*kh, "inbox", 1, 5s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].offset, out[0].offset);

  std::string no_such_role = Event([](fb::EventT& e) {
    e.destinations[0]->agency.clear();
    e.destinations[0]->role = fb::Role::Labour;  // no labour agency in KHM
  });
  auto refused = PublishAndWait(*th, {no_such_role});
  ASSERT_TRUE(refused[0].answered);
  EXPECT_FALSE(refused[0].acked);
  EXPECT_EQ(refused[0].code, static_cast<uint16_t>(wire::errc::unknown_destination));
  EXPECT_EQ(refused[0].field, "destinations[0].role");
}

TEST_P(BrokerTest, SubscriptionFiltersSelectDistributedEvents) {
  auto vn = Connect("vn-node");
  auto ph = Connect("ph-node");
  proto::FilterT filter;
  filter.alert_categories = {static_cast<uint8_t>(fb::AlertCategory::ForcedCriminality)};
  filter.min_priority = static_cast<int8_t>(fb::Priority::Urgent);
  ASSERT_TRUE(testutil::Subscribe(*vn, "alerts", &filter));
  ASSERT_TRUE(testutil::Subscribe(*ph, "alerts", &filter));
  auto th = Connect("th-node");
  using K = fb::DistributionKind;
  using C = fb::AlertCategory;
  using P = fb::Priority;
  auto out = PublishAndWait(*th, {
      Alert(K::Regional, {}, C::ForcedCriminality, P::LifeThreatening),     // both
      Alert(K::Regional, {}, C::RecruitmentScam, P::LifeThreatening),       // neither: category
      Alert(K::SelectedCountries, {"PHL"}, C::ForcedCriminality, P::Urgent),  // PHL only
      Alert(K::Regional, {}, C::ForcedCriminality, P::Routine),             // neither: priority
      AddressedTo("VNM", "vn-molisa"),                                      // inbox only
      Alert(K::SelectedCountries, {"VNM", "PHL"}, C::ForcedCriminality, P::Urgent),  // both
  });
  for (const auto& o : out) ASSERT_TRUE(o.acked) << o.message;
  auto vn_got = ReceiveDeliveries(*vn, "alerts", 2, 5s);
  EXPECT_EQ(OffsetsOf(vn_got), (std::set<uint64_t>{out[0].offset, out[5].offset}));
  auto ph_got = ReceiveDeliveries(*ph, "alerts", 3, 5s);
  EXPECT_EQ(OffsetsOf(ph_got), (std::set<uint64_t>{out[0].offset, out[2].offset, out[5].offset}));
}

TEST_P(BrokerTest, APackedSubscriberGetsTheSameRecordsInFewerFrames) {
  auto vn = Connect("vn-node");
  auto ph = Connect("ph-node");
  ASSERT_TRUE(testutil::Subscribe(*vn, "alerts", nullptr, proto::StartPosition::Resume, 0,
                                  /*packed=*/true));
  ASSERT_TRUE(testutil::Subscribe(*ph, "alerts"));
  auto th = Connect("th-node");
  std::vector<std::string> alerts;
  for (int i = 0; i < 300; ++i) {
    auto category =
        i % 3 == 0 ? fb::AlertCategory::ForcedCriminality : fb::AlertCategory::RecruitmentScam;
    alerts.push_back(Alert(fb::DistributionKind::Regional, {}, category, fb::Priority::Urgent));
  }
  auto out = PublishAndWait(*th, alerts, 30s);
  for (const auto& o : out) ASSERT_TRUE(o.acked) << o.message;

  std::vector<testutil::Delivered> packed;
  size_t largest = 0;  // the most records one frame held
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (packed.size() < alerts.size() && std::chrono::steady_clock::now() < deadline) {
    auto in = vn->Receive(100ms);
    ASSERT_TRUE(in.ok()) << in.error().message;
    if (!in->has_value() || (*in)->command != proto::Command::Deliver) continue;
    const node::Incoming& m = **in;
    const auto* d = m.control()->command_as_Deliver();
    ASSERT_NE(d->record_sizes(), nullptr);
    size_t bytes = 0;  // as packed into one frame
    for (size_t i = 0; i < m.payload_count(); ++i) {
      bytes = wire::PackedRecordStart(bytes) + m.payload(i).size();
    }
    if (bytes <= wire::kMaxFrameBytes) {
      EXPECT_EQ(m.frames.size(), 2u)
          << "control and one frame for " << m.payload_count() << " records";
      largest = std::max(largest, m.payload_count());
    }
    for (size_t i = 0; i < m.payload_count(); ++i) {
      auto p = m.payload(i);
      ASSERT_TRUE(wire::VerifyRecord(p).ok()) << "record " << i;
      packed.push_back({d->offsets()->Get(i), std::string(p.begin(), p.end())});
    }
  }
  auto unpacked = ReceiveDeliveries(*ph, "alerts", alerts.size(), 10s);
  ASSERT_EQ(packed.size(), alerts.size());
  ASSERT_EQ(unpacked.size(), alerts.size());
  for (size_t i = 0; i < alerts.size(); ++i) {
    EXPECT_EQ(packed[i].offset, out[i].offset);
    EXPECT_EQ(packed[i].offset, unpacked[i].offset);
    EXPECT_EQ(packed[i].record, unpacked[i].record) << "offset " << packed[i].offset;
  }
  EXPECT_GT(largest, 1u);  // several records did share a frame
}

// Regression: a Deliver of 40 records of 240 KiB (9.4 MiB) passed the 8 MiB
// message cap; the node refused it whole, and it was sent again for ever.
TEST_P(BrokerTest, LargeRecordsComeInDeliversUnderTheMessageCap) {
  auto th = Connect("th-node");
  std::vector<testutil::PublishOutcome> out;
  for (int chunk = 0; chunk < 5; ++chunk) {  // Publishes under the cap too
    std::vector<std::string> events;
    for (int i = 0; i < 8; ++i) {
      events.push_back(wire::MinimalReferral(ids_.Next(), "THA", "th-rtp-atpd", "KHM", "kh-mosvy",
                                             240 * 1024));
    }
    for (auto& o : PublishAndWait(*th, events, 30s)) out.push_back(o);
  }
  for (const auto& o : out) ASSERT_TRUE(o.acked) << o.message;

  auto kh = Connect("kh-node");
  ASSERT_TRUE(
      testutil::Subscribe(*kh, "inbox", nullptr, proto::StartPosition::Resume, 0, /*packed=*/true));
  auto got = ReceiveDeliveries(*kh, "inbox", out.size(), 30s);
  ASSERT_EQ(got.size(), out.size());
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(got[i].offset, out[i].offset);

  auto audit = Connect("audit-node");
  ASSERT_TRUE(testutil::StartReplay(*audit, 3, "DPO request 2026-31",
                                    [](proto::ReplayT& r) { r.packed = true; }));
  auto replayed = ReceiveDeliveries(*audit, "", out.size() + 1, 30s, 3);
  ASSERT_EQ(replayed.size(), out.size());
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(replayed[i].offset, out[i].offset);
}

TEST_P(BrokerTest, OfflineSubscriberCatchesUpExactlyAndUnackedIsRedelivered) {
  auto th = Connect("th-node");
  std::vector<std::string> first;
  for (int i = 0; i < 5; ++i) first.push_back(AddressedTo("KHM", "kh-mosvy"));
  auto first_out = PublishAndWait(*th, first);
  {
    auto kh = Connect("kh-node");
    ASSERT_TRUE(testutil::Subscribe(*kh, "inbox"));
    auto got = ReceiveDeliveries(*kh, "inbox", 5, 5s);
    ASSERT_EQ(got.size(), 5u);
    // Acknowledge only the first three, then go offline.
    ASSERT_TRUE(kh->SendControl(wire::EncodeDeliveryAck("inbox", got[2].offset)).ok());
    ASSERT_TRUE(testutil::RoundTrip(*kh));  // the ack is processed before we leave
  }
  std::vector<std::string> while_offline;
  for (int i = 0; i < 20; ++i) while_offline.push_back(AddressedTo("KHM", "kh-mosvy"));
  auto offline_out = PublishAndWait(*th, while_offline);

  auto kh = Connect("kh-node");
  ASSERT_TRUE(testutil::Subscribe(*kh, "inbox"));
  auto got = ReceiveDeliveries(*kh, "inbox", 22, 10s);
  std::vector<uint64_t> expected{first_out[3].offset, first_out[4].offset};
  for (const auto& o : offline_out) expected.push_back(o.offset);
  std::vector<uint64_t> offsets;
  for (const auto& d : got) offsets.push_back(d.offset);
  EXPECT_EQ(offsets, expected);  // in order, no gap, nothing acknowledged twice
}

TEST_P(BrokerTest, SubscriberThatNeverAcknowledgesDoesNotBlockPublishersOrOthers) {
  auto kh = Connect("kh-node");
  ASSERT_TRUE(testutil::Subscribe(*kh, "inbox", nullptr, proto::StartPosition::Resume, 10));
  auto la = Connect("la-node");
  ASSERT_TRUE(testutil::Subscribe(*la, "inbox"));
  auto th = Connect("th-node");
  std::vector<std::string> events;
  for (int i = 0; i < 3000; ++i) events.push_back(AddressedTo("KHM", "kh-mosvy"));
  events.push_back(AddressedTo("LAO", "la-molsw"));
  auto out = PublishAndWait(*th, events, 60s);
  for (const auto& o : out) ASSERT_TRUE(o.acked) << o.message;
  auto la_got = ReceiveDeliveries(*la, "inbox", 1, 5s);
  ASSERT_EQ(la_got.size(), 1u);
  EXPECT_EQ(la_got[0].offset, out.back().offset);
  // The silent subscriber got no more than its credit.
  auto kh_got = ReceiveDeliveries(*kh, "inbox", 11, 300ms);
  EXPECT_EQ(kh_got.size(), 10u);
}

TEST_P(BrokerTest, RestartKeepsLogCursorsAndDedup) {
  std::string event = AddressedTo("KHM", "kh-mosvy");
  uint64_t offset = 0;
  {
    auto th = Connect("th-node");
    auto out = PublishAndWait(*th, {AddressedTo("KHM", "kh-mosvy"), event,
                                    AddressedTo("KHM", "kh-mosvy")});
    offset = out[1].offset;
    auto kh = Connect("kh-node");
    ASSERT_TRUE(testutil::Subscribe(*kh, "inbox"));
    auto got = ReceiveDeliveries(*kh, "inbox", 3, 5s);
    ASSERT_EQ(got.size(), 3u);
    ASSERT_TRUE(kh->SendControl(wire::EncodeDeliveryAck("inbox", got[1].offset)).ok());
    ASSERT_TRUE(testutil::RoundTrip(*kh));
  }
  Restart();
  auto th = Connect("th-node");
  auto again = PublishAndWait(*th, {event, AddressedTo("KHM", "kh-mosvy")});
  ASSERT_TRUE(again[0].acked && again[1].acked);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].offset, offset);
  EXPECT_EQ(again[1].offset, 4u);  // continues the log, never reuses an offset
  auto kh = Connect("kh-node");
  ASSERT_TRUE(testutil::Subscribe(*kh, "inbox"));
  auto got = ReceiveDeliveries(*kh, "inbox", 2, 5s);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].offset, 3u);  // the one not acknowledged before the restart
  EXPECT_EQ(got[1].offset, 4u);
  // After the restart the log was in table files: the resend's dedup lookup
  // and the catch-up read were the log reader's, not the loop's.
  EXPECT_GT(broker_->broker().probe().reads_deferred(), 0u);
}

TEST_P(BrokerTest, OriginMustBeTheNodesOwn) {
  auto th = Connect("th-node");
  auto out = PublishAndWait(*th, {Event([](fb::EventT& e) {
                                    e.origin->country = "KHM";
                                    e.origin->agency = "kh-mosvy";
                                  }),
                                  Event([](fb::EventT& e) { e.origin->agency = "vn-molisa"; })});
  for (const auto& o : out) {
    ASSERT_TRUE(o.answered);
    EXPECT_FALSE(o.acked);
    EXPECT_EQ(o.code, static_cast<uint16_t>(wire::errc::origin_mismatch));
  }
  EXPECT_EQ(broker_->broker().store().size(), 0u);
}

TEST_P(BrokerTest, InvalidEventIsNackedNamingTheFieldWhileTheRestOfTheBatchIsStored) {
  auto th = Connect("th-node");
  auto out = PublishAndWait(*th, {Event(), Event([](fb::EventT& e) { e.case_id.clear(); }),
                                  Event()});
  EXPECT_TRUE(out[0].acked);
  ASSERT_TRUE(out[1].answered);
  EXPECT_FALSE(out[1].acked);
  EXPECT_EQ(out[1].code, static_cast<uint16_t>(wire::errc::event_invalid));
  EXPECT_EQ(out[1].field, "case_id");
  EXPECT_TRUE(out[2].acked);
  EXPECT_EQ(out[2].offset, out[0].offset + 1);
}

TEST_P(BrokerTest, ReplayByCaseForAnAuditorWithJustification) {
  auto th = Connect("th-node");
  auto out = PublishAndWait(*th, {
      Event([](fb::EventT& e) { e.case_id = "TH-2026-0192"; }),
      Event([](fb::EventT& e) { e.case_id = "TH-2026-0007"; }),
      Event([](fb::EventT& e) { e.case_id = "TH-2026-0192"; }),
  });
  auto audit = Connect("audit-node");
  ASSERT_TRUE(testutil::StartReplay(*audit, 7, "DPO request 2026-17",
                                    [](proto::ReplayT& r) { r.case_id = "TH-2026-0192"; }));
  auto got = ReceiveDeliveries(*audit, "", 100, 5s, 7);
  EXPECT_EQ(OffsetsOf(got), (std::set<uint64_t>{out[0].offset, out[2].offset}));
}

// Regression: a replay skipped an index hit whose record the log could not
// give, and said nothing; the auditor now gets ReplayEnd.missing.
TEST_P(BrokerTest, AReplayNamesTheRecordsItsIndexPromisedButTheLogLacks) {
  std::vector<testutil::PublishOutcome> out;
  {
    auto th = Connect("th-node");
    out = PublishAndWait(*th, {
        Event([](fb::EventT& e) { e.case_id = "TH-2026-0192"; }),
        Event([](fb::EventT& e) { e.case_id = "TH-2026-0192"; }),
        Event([](fb::EventT& e) { e.case_id = "TH-2026-0192"; }),
    });
    for (const auto& o : out) ASSERT_TRUE(o.acked) << o.message;
  }
  broker_.reset();
  {
    // The RocksDB log, or on JetStream the local cache the broker reads
    // records from (the stream itself refuses deletes).
    auto store = store::RocksDbStore::Open(
        {GetParam() == Backend::kJetStream ? dir_.Sub("data") + "/jetstream-cache" : dir_.Sub("data")});
    ASSERT_TRUE(store.ok());
    std::string key(8, '\0');
    key[7] = static_cast<char>(out[1].offset);
    ASSERT_TRUE((*store)->db()->Delete(rocksdb::WriteOptions(), (*store)->log_family(), key).ok());
  }
  Start();
  auto audit = Connect("audit-node");
  ASSERT_TRUE(testutil::StartReplay(*audit, 9, "DPO request 2026-18",
                                    [](proto::ReplayT& r) { r.case_id = "TH-2026-0192"; }));
  auto replay = testutil::ReceiveReplay(*audit, 9, 5s);
  ASSERT_TRUE(replay.ended);
  EXPECT_EQ(OffsetsOf(replay.delivered), (std::set<uint64_t>{out[0].offset, out[2].offset}));
  EXPECT_EQ(replay.count, 2u);
  EXPECT_EQ(replay.missing, std::vector<uint64_t>{out[1].offset});
}

TEST_P(BrokerTest, ReplayByOriginOffsetRangeAndTimeRange) {
  auto th = Connect("th-node");
  auto vn = Connect("vn-node");
  auto vn_event = [&] {
    return Event([](fb::EventT& e) {
      e.origin->country = "VNM";
      e.origin->agency = "vn-mps-cpd";
    });
  };
  std::vector<uint64_t> vn_offsets;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(PublishAndWait(*th, {Event(), Event()})[1].acked);
    auto out = PublishAndWait(*vn, {vn_event()});
    ASSERT_TRUE(out[0].acked);
    vn_offsets.push_back(out[0].offset);
  }
  auto audit = Connect("audit-node");
  auto replay = [&](uint64_t id, const std::function<void(proto::ReplayT&)>& set) {
    proto::ControlT control;
    proto::ReplayT r;
    r.replay_id = id;
    r.justification = "steering committee review 2026-Q4";
    set(r);
    control.command.Set(std::move(r));
    EXPECT_TRUE(audit->SendControl(wire::EncodeControl(control)).ok());
    return OffsetsOf(ReceiveDeliveries(*audit, "", 1000, 5s, id));
  };
  EXPECT_EQ(replay(1, [](proto::ReplayT& r) { r.origin_country = "VNM"; }),
            std::set<uint64_t>(vn_offsets.begin(), vn_offsets.end()));
  EXPECT_EQ(replay(2, [](proto::ReplayT& r) {
              r.from_offset = 2;
              r.to_offset = 4;
            }),
            (std::set<uint64_t>{2, 3, 4}));
  // A time range: the expected set is computed from the records' own times.
  auto time_of = [&](uint64_t offset) {
    auto rec = broker_->broker().store().ReadRecord(offset);
    return wire::VerifyRecord(wire::AsBytes(**rec)).value()->received_at_us();
  };
  int64_t from = time_of(3);
  int64_t to = time_of(6);
  std::set<uint64_t> expected;
  for (uint64_t o = 1; o <= broker_->broker().store().size(); ++o) {
    if (time_of(o) >= from && time_of(o) <= to) expected.insert(o);
  }
  EXPECT_EQ(replay(3, [&](proto::ReplayT& r) {
              r.from_time_us = from;
              r.to_time_us = to;
            }),
            expected);
  EXPECT_TRUE(expected.count(3) && expected.count(6));
}

TEST_P(BrokerTest, DeadPeerIsDetectedAndItsUnackedDeliveriesComeBack) {
  broker_.reset();
  broker_ = std::make_unique<testutil::InProcessBroker>(
      Config(dir_.Sub("data"), "tcp://127.0.0.1:*", /*heartbeat_ms=*/100));
  {
    auto th = Connect("th-node");
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(PublishAndWait(*th, {AddressedTo("KHM", "kh-mosvy")})[0].acked);
  }
  auto kh = Connect("kh-node");
  ASSERT_TRUE(testutil::Subscribe(*kh, "inbox"));
  ASSERT_EQ(ReceiveDeliveries(*kh, "inbox", 3, 5s).size(), 3u);
  // kh-node now goes silent: no heartbeat, no ack. Within 3 intervals the
  // broker must end its session (and th-node's, silent too).
  auto deadline = std::chrono::steady_clock::now() + 5s;
  bool ended = false;
  while (!ended && std::chrono::steady_clock::now() < deadline) {
    ended = broker_->broker().probe().Scrape().find("lintas_broker_connected_nodes 0") !=
            std::string::npos;
    if (!ended) std::this_thread::sleep_for(20ms);  // polling a metric with a deadline
  }
  ASSERT_TRUE(ended) << "the silent peers were never declared dead";
  auto again = Connect("kh-node");
  ASSERT_TRUE(testutil::Subscribe(*again, "inbox"));
  EXPECT_EQ(ReceiveDeliveries(*again, "inbox", 3, 5s).size(), 3u);
}

TEST_P(BrokerTest, MetricsAreServedOverHttp) {
  auto config = Config(dir_.Sub("metrics-data"));
  config.metrics_endpoint = "127.0.0.1:0";
  testutil::InProcessBroker with_metrics(config);
  int port = with_metrics.broker().probe().metrics_port();
  ASSERT_GT(port, 0);
  httplib::Client http("127.0.0.1", port);
  auto response = http.Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("lintas_broker_log_size_events 0"), std::string::npos);
}

TEST_P(BrokerTest, ReplayIsRefusedWithoutAuditPermissionOrJustification) {
  auto expect_error = [&](node::BrokerClient& c, const std::string& justification,
                          wire::errc code) {
    proto::ControlT control;
    proto::ReplayT replay;
    replay.replay_id = 1;
    replay.justification = justification;
    control.command.Set(std::move(replay));
    ASSERT_TRUE(c.SendControl(wire::EncodeControl(control)).ok());
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto in = c.Receive(100ms);
      if (!in.ok() || !in->has_value() || (*in)->command != proto::Command::Error) continue;
      EXPECT_EQ((*in)->control()->command_as_Error()->code(), static_cast<uint16_t>(code));
      return;
    }
    ADD_FAILURE() << "no Error within 5 s";
  };
  auto th = Connect("th-node");
  expect_error(*th, "curious", wire::errc::permission_denied);
  auto audit = Connect("audit-node");
  expect_error(*audit, "", wire::errc::justification_required);
}

TEST_P(BrokerTest, UnknownNodeIsRefusedAtHello) {
  node::ClientOptions options = testutil::NodeOptions(broker_->endpoint(), "th-node");
  options.node_id = "xx-node";
  node::BrokerClient stranger(ctx_, options);
  auto s = stranger.Connect();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, wire::errc::permission_denied);
}

TEST_P(BrokerTest, MetricsAreExposedInPrometheusText) {
  auto th = Connect("th-node");
  auto out = PublishAndWait(*th, {Event(), Event([](fb::EventT& e) { e.origin->country = "XYZ"; })});
  ASSERT_TRUE(out[0].acked);
  std::string text = broker_->broker().probe().Scrape();
  EXPECT_NE(text.find("lintas_broker_events_published_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("lintas_broker_refusals_total{code=\"event_invalid\"} 1"), std::string::npos);
  EXPECT_NE(text.find("lintas_broker_commit_latency_seconds_count"), std::string::npos);
  EXPECT_NE(text.find("lintas_broker_connected_nodes 1"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, BrokerTest,
                         ::testing::Values(Backend::kRocksDb, Backend::kJetStream),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kJetStream ? "JetStream" : "RocksDb";
                         });

}  // namespace
}  // namespace lintas::broker
