// Failover between two lintas-broker processes on the JetStream backend: a
// real 3-server nats-server cluster on loopback, broker A active (it holds
// the lease), broker B standing by (bound to nothing). A node publishes; A is
// killed with SIGKILL; B takes the lease once it lapses, rebuilds its state
// from the streams, checks the Merkle tree against A's last signed
// checkpoint and serves. The node falls back to B's endpoint (as a node's
// broker.endpoints list does) and resends what was not acknowledged.
// Afterwards the stream holds every acknowledged event once, at its
// acknowledged offset, with no gap, and the audit trail verifies across the
// failover.
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "lintas/audit/export_format.h"
#include "lintas/audit/signer.h"
#include "lintas/common/clock.h"
#include "lintas/node/audit_client.h"
#include "lintas/store/jetstream_store.h"
#include "testutil/broker_harness.h"
#include "testutil/nats_cluster.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kLeaseTtlMs = 3000;

class JetStreamFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::NatsServerAvailable()) GTEST_SKIP() << "nats-server is not installed";
    cluster_ = std::make_unique<testutil::NatsCluster>(3);
    std::filesystem::create_directories(dir_.Sub("a"));
    std::filesystem::create_directories(dir_.Sub("b"));
    // Both brokers sign with the same key (the region's), so that nodes'
    // checkpoints verify whichever is active.
    extra_ = testutil::JetStreamToml(cluster_->urls(), "FAILOVER", kLeaseTtlMs, 1000) +
             "\n[audit]\nsigning_key_file = \"" + dir_.Sub("audit-signing.key") +
             "\"\ncheckpoint_every_events = 100\ncheckpoint_interval_ms = 200\n";
    endpoint_a_ = "tcp://127.0.0.1:" + std::to_string(testutil::FreeTcpPort());
    endpoint_b_ = "tcp://127.0.0.1:" + std::to_string(testutil::FreeTcpPort());
  }

  std::string NewEvent(std::string* id) {
    wire::EventId event_id = ids_.Next();
    *id = event_id.ToString();
    fb::EventT e = testutil::SampleEvent(fb::Body::ReferralCreated, event_id, NowMicros());
    return testutil::PackEvent(e);
  }

  // Connects to the first endpoint of [A, B] that answers (a node's
  // broker.endpoints fallback), polling until `deadline`.
  std::unique_ptr<node::BrokerClient> ConnectAny(const std::string& node_id, Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      for (const auto& endpoint : {endpoint_a_, endpoint_b_}) {
        auto options = testutil::NodeOptions(endpoint, node_id);
        options.connect_timeout = 300ms;
        auto client = std::make_unique<node::BrokerClient>(ctx_, options);
        if (client->Connect().ok()) return client;
      }
    }
    return nullptr;
  }

  testutil::TempDir dir_;
  zmq::context_t ctx_;
  wire::EventIdGenerator ids_;
  std::unique_ptr<testutil::NatsCluster> cluster_;
  std::string extra_;
  std::string endpoint_a_;
  std::string endpoint_b_;
};

TEST_F(JetStreamFailoverTest, AStandbyTakesOverAndNothingAcknowledgedIsLostOrDuplicated) {
  testutil::BrokerProcess a(dir_.Sub("a"), endpoint_a_, extra_);
  testutil::BrokerProcess b(dir_.Sub("b"), endpoint_b_, extra_, /*wait=*/false);
  // The standby binds nothing while A holds the lease.
  EXPECT_FALSE(b.WaitListening(1500ms)) << "the standby serves while the active broker lives";
  ASSERT_TRUE(b.Running()) << "the standby exited";

  constexpr size_t kEvents = 2000;
  std::vector<std::string> events(kEvents);
  std::vector<std::string> ids(kEvents);
  for (size_t i = 0; i < kEvents; ++i) events[i] = NewEvent(&ids[i]);
  std::map<std::string, uint64_t> acked;
  std::set<size_t> unacked;
  for (size_t i = 0; i < kEvents; ++i) unacked.insert(i);

  auto deadline = Clock::now() + 90s;
  auto th = ConnectAny("th-node", deadline);
  ASSERT_NE(th, nullptr);
  node::CheckpointReply seen;
  bool killed = false;
  Clock::time_point killed_at;
  double takeover_ms = -1;
  while (!unacked.empty() && Clock::now() < deadline) {
    std::vector<size_t> which;
    std::vector<std::string> batch;
    for (auto it = unacked.begin(); it != unacked.end() && batch.size() < 100; ++it) {
      which.push_back(*it);
      batch.push_back(events[*it]);
    }
    if (!killed && acked.size() >= kEvents / 2) {
      // A node holds A's latest checkpoint; then A dies with a batch in flight.
      auto auditor = ConnectAny("vn-node", deadline);
      ASSERT_NE(auditor, nullptr);
      node::AuditClient client(auditor.get());
      auto cp = client.Checkpoint();
      ASSERT_TRUE(cp.ok()) << cp.error().message;
      seen = *cp;
      ASSERT_TRUE(th->Publish(std::span(batch)).ok());
      a.Kill();
      killed = true;
      killed_at = Clock::now();
      ASSERT_TRUE(b.WaitListening(60s)) << "the standby never took over";
      takeover_ms = std::chrono::duration<double, std::milli>(Clock::now() - killed_at).count();
      th = ConnectAny("th-node", deadline);  // the node falls back to B
      ASSERT_NE(th, nullptr);
    }
    auto out = testutil::PublishAndWait(*th, batch, 20s);
    for (size_t i = 0; i < out.size(); ++i) {
      if (!out[i].acked) continue;
      auto [it, fresh] = acked.emplace(ids[which[i]], out[i].offset);
      EXPECT_EQ(it->second, out[i].offset) << "event " << ids[which[i]] << " acked at two offsets";
      unacked.erase(which[i]);
    }
  }
  ASSERT_TRUE(killed);
  ASSERT_TRUE(unacked.empty()) << unacked.size() << " events never acknowledged";
  std::cout << "[ info ] takeover: the standby listened " << takeover_ms
            << " ms after the active broker was killed (lease ttl " << kLeaseTtlMs << " ms)\n";
  // Bounded: the lease's TTL, the standby's poll, and its start-up.
  EXPECT_LT(takeover_ms, kLeaseTtlMs + 20000.0);

  // The stream alone: every acknowledged event once, at its offset, no gap.
  {
    store::JetStreamOptions o;
    o.servers = cluster_->urls();
    o.stream = "FAILOVER_LOG";
    o.access_stream = "FAILOVER_ACCESS";
    o.bucket = "FAILOVER_STATE";
    o.lease_bucket = "FAILOVER_LEASE";
    o.cache_dir = dir_.Sub("verify-cache");
    auto opened = store::JetStreamStore::Open(o);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    ASSERT_EQ((*opened)->size(), kEvents) << "every event once, and nothing else";
    std::set<std::string> seen_ids;
    for (uint64_t offset = 1; offset <= kEvents; ++offset) {
      auto record = (*opened)->ReadRecord(offset);
      ASSERT_TRUE(record.ok() && record->has_value()) << "gap at offset " << offset;
      std::string id = wire::EventId::FromFb(*testutil::RecordEvent(**record)->id()).ToString();
      EXPECT_TRUE(seen_ids.insert(id).second) << "event " << id << " twice";
      auto it = acked.find(id);
      ASSERT_NE(it, acked.end());
      EXPECT_EQ(it->second, offset);
    }
  }

  // The audit trail continues: B's checkpoint extends the one A signed, and
  // a complete export from B verifies under the region's key.
  auto auditor = ConnectAny("audit-node", Clock::now() + 10s);
  ASSERT_NE(auditor, nullptr);
  node::AuditClient client(auditor.get());
  auto deadline_cp = Clock::now() + 10s;
  Result<node::CheckpointReply> cp = client.Checkpoint(seen.parsed.size);
  while (cp.ok() && cp->parsed.size < kEvents && Clock::now() < deadline_cp) {
    cp = client.Checkpoint(seen.parsed.size);  // polling: B signs every 200 ms
  }
  ASSERT_TRUE(cp.ok()) << cp.error().message;
  EXPECT_EQ(cp->parsed.size, kEvents);
  auto extends = node::CheckExtends(seen.parsed, *cp);
  EXPECT_TRUE(extends.ok()) << extends.error().message;
  std::ostringstream exported;
  auto n = client.Export({}, "failover test (pseudonymous)", exported, audit::ExportFormat::kJsonLines);
  ASSERT_TRUE(n.ok()) << n.error().message;
  auto key = audit::LoadPublicKey(dir_.Sub("audit-signing.key") + ".pub");
  ASSERT_TRUE(key.ok());
  std::istringstream in(exported.str());
  auto report = audit::VerifyExport(in, *key);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(b.Terminate(), 0);
}

}  // namespace
}  // namespace lintas
