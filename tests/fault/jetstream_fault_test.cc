// The JetStream backend under server failures: a real 3-server nats-server
// cluster on loopback, a real broker on it, a node publishing while one
// server is killed with SIGKILL (or stopped with SIGSTOP, a partition as the
// others see it, then continued). Afterwards every acknowledged event is in
// the stream exactly once, at the offset it was acknowledged with, and the
// stream's offsets have no gap (read back through a fresh cache, i.e. from
// the stream alone).
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lintas/common/clock.h"
#include "lintas/store/jetstream_store.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/verify.h"
#include "testutil/broker_harness.h"
#include "testutil/nats_cluster.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;

enum class Fault { kKill, kStop };

class JetStreamFaultTest : public ::testing::TestWithParam<Fault> {
 protected:
  void SetUp() override {
    if (!testutil::NatsServerAvailable()) GTEST_SKIP() << "nats-server is not installed";
    cluster_ = std::make_unique<testutil::NatsCluster>(3);
  }

  // A new event; its id goes to `id`.
  std::string NewEvent(std::string* id) {
    wire::EventId event_id = ids_.Next();
    *id = event_id.ToString();
    return testutil::PackEvent(testutil::ReferralToKhm(event_id, NowMicros()));
  }

  testutil::TempDir dir_;
  zmq::context_t ctx_;
  wire::EventIdGenerator ids_;
  std::unique_ptr<testutil::NatsCluster> cluster_;
};

// The event ids of the stream's records 1..n, read from the stream alone
// (a JetStreamStore with an empty cache rebuilds it from the stream).
std::vector<std::string> StreamEventIds(const std::vector<std::string>& servers,
                                        const std::string& prefix, const std::string& cache_dir) {
  store::JetStreamOptions o;
  o.servers = servers;
  o.stream = prefix + "_LOG";
  o.access_stream = prefix + "_ACCESS";
  o.bucket = prefix + "_STATE";
  o.lease_bucket = prefix + "_LEASE";
  o.cache_dir = cache_dir;
  auto opened = store::JetStreamStore::Open(o);
  EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
  std::vector<std::string> out;
  if (!opened.ok()) return out;
  auto last = (*opened)->StreamLastSeq();
  EXPECT_TRUE(last.ok());
  EXPECT_EQ((*opened)->size(), last.ok() ? *last : 0) << "the cache must hold the whole stream";
  for (uint64_t offset = 1; offset <= (*opened)->size(); ++offset) {
    auto record = (*opened)->ReadRecord(offset);
    EXPECT_TRUE(record.ok() && record->has_value()) << "gap at offset " << offset;
    if (!record.ok() || !record->has_value()) {
      out.emplace_back();
      continue;
    }
    const fb::Event* event = testutil::RecordEvent(**record);
    out.push_back(wire::EventId::FromFb(*event->id()).ToString());
  }
  return out;
}

TEST_P(JetStreamFaultTest, NoAcknowledgedEventIsLostOrDuplicatedWhenAServerFails) {
  const std::string prefix = "FAULT";
  auto config = testutil::JetStreamTestConfig(dir_.Sub("data"), cluster_->urls(), prefix);
  testutil::InProcessBroker broker(config);
  node::BrokerClient th(ctx_, testutil::NodeOptions(broker.endpoint(), "th-node"));
  ASSERT_TRUE(th.Connect().ok());

  constexpr size_t kEvents = 3000;
  constexpr size_t kBatch = 100;
  std::vector<std::string> events(kEvents);
  std::vector<std::string> ids(kEvents);
  for (size_t i = 0; i < kEvents; ++i) events[i] = NewEvent(&ids[i]);
  std::map<std::string, uint64_t> acked;  // event id -> offset
  std::set<size_t> unacked;
  for (size_t i = 0; i < kEvents; ++i) unacked.insert(i);
  int failed_server = -1;
  size_t storage_errors = 0;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (!unacked.empty() && std::chrono::steady_clock::now() < deadline) {
    std::vector<size_t> which;
    std::vector<std::string> batch;
    for (auto it = unacked.begin(); it != unacked.end() && batch.size() < kBatch; ++it) {
      which.push_back(*it);
      batch.push_back(events[*it]);
    }
    if (failed_server < 0 && acked.size() >= kEvents / 3) {
      // Fail the server leading the log's Raft group while a batch is in
      // flight: the appends wait for a new leader, or fail and are resent.
      failed_server = cluster_->StreamLeader(prefix + "_LOG");
      ASSERT_GE(failed_server, 0) << "no leader found for the log stream";
      ASSERT_TRUE(th.Publish(std::span(batch)).ok());
      if (GetParam() == Fault::kKill) {
        cluster_->Kill(failed_server);
      } else {
        cluster_->Stop(failed_server);
      }
    }
    auto out = testutil::PublishAndWait(th, batch, 30s);
    for (size_t i = 0; i < out.size(); ++i) {
      if (!out[i].acked) {
        if (out[i].answered) ++storage_errors;
        continue;
      }
      auto [it, fresh] = acked.emplace(ids[which[i]], out[i].offset);
      // A resent event is acknowledged at the offset it got the first time.
      EXPECT_EQ(it->second, out[i].offset) << "event " << ids[which[i]] << " acked at two offsets";
      unacked.erase(which[i]);
    }
  }
  ASSERT_TRUE(unacked.empty()) << unacked.size() << " events never acknowledged";
  ASSERT_GE(failed_server, 0);
  if (GetParam() == Fault::kStop) cluster_->Continue(failed_server);  // the partition heals
  std::cout << "[ info ] server n" << failed_server + 1 << " failed; " << storage_errors
            << " publishes refused and resent meanwhile\n";

  // Every acknowledged event once in the stream, where it was acknowledged.
  ASSERT_TRUE(cluster_->WaitReady(30s, 1)) << "the two servers left have no leader";
  auto stream = StreamEventIds(cluster_->urls(), prefix, dir_.Sub("verify-cache"));
  ASSERT_EQ(stream.size(), kEvents) << "the stream must hold each event exactly once";
  std::set<std::string> seen;
  for (size_t i = 0; i < stream.size(); ++i) {
    EXPECT_TRUE(seen.insert(stream[i]).second) << "event " << stream[i] << " twice in the stream";
    auto it = acked.find(stream[i]);
    ASSERT_NE(it, acked.end()) << "offset " << i + 1 << " holds an event never acknowledged";
    EXPECT_EQ(it->second, i + 1);
  }
  EXPECT_EQ(broker.broker().store().size(), kEvents);
}

INSTANTIATE_TEST_SUITE_P(Faults, JetStreamFaultTest, ::testing::Values(Fault::kKill, Fault::kStop),
                         [](const ::testing::TestParamInfo<Fault>& param) {
                           return param.param == Fault::kKill ? "KillDashNine" : "Sigstop";
                         });

}  // namespace
}  // namespace lintas
