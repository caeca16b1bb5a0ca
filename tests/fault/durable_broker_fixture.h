// The fixture of the durability tests: a real broker (its loop on a thread)
// whose RocksDbStore runs on a FaultInjectionFs in a temporary directory, a
// real node client over loopback TCP, and the checks made after a power cut.
#pragma once

#include <chrono>
#include <map>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lintas/common/clock.h"
#include "lintas/store/rocksdb_store.h"
#include "lintas/wire/event_id.h"
#include "testutil/broker_harness.h"
#include "testutil/fault_injection_fs.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas {

// One event a test made, and what it was acknowledged with (0: not yet).
struct SentEvent {
  wire::EventId id;
  std::string bytes;
  uint64_t acked_offset = 0;
};

// Ownership: owns the directory, the file system, the broker and the client.
// Used by the test's thread only.
class DurableBrokerTest : public ::testing::Test {
 protected:
  // Opens a RocksDbStore on the fault-injecting file system.
  std::unique_ptr<store::RocksDbStore> OpenStore(bool unsafe_skip_sync) {
    store::RocksDbOptions options;
    options.path = dir_.Sub("data");
    options.file_system = fs_;
    options.unsafe_skip_sync_for_tests = unsafe_skip_sync;
    auto opened = store::RocksDbStore::Open(options);
    if (!opened.ok()) {
      ADD_FAILURE() << opened.error().message;
      return nullptr;
    }
    return std::move(opened).value();
  }

  // Starts a broker on the store in dir_/data and connects th-node to it.
  void StartBroker(bool unsafe_skip_sync = false) {
    auto store = OpenStore(unsafe_skip_sync);
    ASSERT_NE(store, nullptr);
    broker_ = std::make_unique<testutil::InProcessBroker>(testutil::TestConfig(dir_.Sub("data")),
                                                          std::move(store));
    client_ = std::make_unique<node::BrokerClient>(
        ctx_, testutil::NodeOptions(broker_->endpoint(), "th-node"));
    auto s = client_->Connect();
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  // `n` new events from THA addressed to kh-mosvy.
  std::vector<SentEvent> MakeEvents(size_t n) {
    std::vector<SentEvent> out;
    for (size_t i = 0; i < n; ++i) {
      wire::EventId id = ids_.Next();
      out.push_back({id, testutil::PackEvent(testutil::ReferralToKhm(id, NowMicros())), 0});
    }
    return out;
  }

  // Publishes `events` in one Publish and records their acks.
  std::vector<testutil::PublishOutcome> Publish(std::vector<SentEvent>& events) {
    std::vector<std::string> bytes;
    for (const auto& e : events) bytes.push_back(e.bytes);
    auto out = testutil::PublishAndWait(*client_, bytes);
    for (size_t i = 0; i < events.size(); ++i) {
      if (out[i].acked) events[i].acked_offset = out[i].offset;
    }
    return out;
  }

  // Publishes `rounds` Publish messages of `per_round` new events (one group
  // commit each, at least) and expects every event acknowledged.
  std::vector<SentEvent> PublishAcked(size_t rounds, size_t per_round) {
    std::vector<SentEvent> all;
    for (size_t r = 0; r < rounds; ++r) {
      auto events = MakeEvents(per_round);
      auto out = Publish(events);
      for (size_t i = 0; i < out.size(); ++i) {
        EXPECT_TRUE(out[i].acked) << "round " << r << " event " << i << ": " << out[i].message;
      }
      all.insert(all.end(), events.begin(), events.end());
    }
    return all;
  }

  // Waits (polling, with a deadline) until the broker's index thread has
  // written the index entries of everything committed, so that the next
  // write to the WAL is the next commit's.
  bool WaitForIndexes() {
    store::Store& live = broker_->broker().store();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (live.index_watermark() < live.size()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  // The power fails: nothing reaches the disk from now on; the broker dies
  // (its drain and close write nothing); the unsynced data is dropped.
  testutil::PowerCutReport CutPower() {
    fs_->CutPower();
    client_.reset();
    broker_.reset();
    testutil::PowerCutReport report = fs_->RestorePower();
    EXPECT_EQ(report.errors, std::vector<std::string>{});
    return report;
  }

  // Reopens dir_/data as the broker would after the power came back.
  std::unique_ptr<store::RocksDbStore> Reopen() { return OpenStore(false); }

  // The acknowledged events that `store` does not hold at their offset.
  static std::vector<uint64_t> LostEvents(store::Store& store,
                                          const std::vector<SentEvent>& events) {
    std::vector<uint64_t> lost;
    for (const auto& e : events) {
      if (e.acked_offset == 0) continue;
      auto record = store.ReadRecord(e.acked_offset);
      const fb::Event* event =
          record.ok() && record->has_value() ? testutil::RecordEvent(**record) : nullptr;
      bool held = event != nullptr && wire::EventId::FromFb(*event->id()) == e.id;
      if (!held) lost.push_back(e.acked_offset);
    }
    return lost;
  }

  testutil::TempDir dir_;
  std::shared_ptr<testutil::FaultInjectionFs> fs_ =
      std::make_shared<testutil::FaultInjectionFs>();
  zmq::context_t ctx_;
  wire::EventIdGenerator ids_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
  std::unique_ptr<node::BrokerClient> client_;
};

}  // namespace lintas
