// Durability under a power cut (issue 14: "no test fails if fsync is
// removed"). A real broker on a fault-injecting file system acknowledges
// events published by a real node over loopback; then the power fails and
// every byte not synced is dropped. With the WAL synced before each ack,
// every acknowledged event is still at its offset; with the sync switched off
// (the test-only RocksDbOptions::unsafe_skip_sync_for_tests) the same power
// cut loses acknowledged events, which proves these tests catch a missing
// fsync.
#include <iostream>
#include <set>

#include <gtest/gtest.h>

#include "durable_broker_fixture.h"
#include "lintas/fb/audit_generated.h"
#include "lintas/node/audit_client.h"

namespace lintas {
namespace {

constexpr size_t kRounds = 5;     // Publish messages, hence group commits
constexpr size_t kPerRound = 20;  // events in each

using PowerCutTest = DurableBrokerTest;

TEST_F(PowerCutTest, EveryAcknowledgedEventSurvivesAPowerCutAtItsOffset) {
  StartBroker();
  auto events = PublishAcked(kRounds, kPerRound);
  ASSERT_FALSE(HasFailure());
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].acked_offset, i + 1);

  testutil::PowerCutReport cut = CutPower();
  std::cout << "power cut with sync: bytes_dropped=" << cut.bytes_dropped
            << " files_deleted=" << cut.files_deleted << "\n";

  auto store = Reopen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(LostEvents(*store, events), std::vector<uint64_t>{});
  EXPECT_EQ(store->next_offset(), events.size() + 1);
  for (const auto& e : events) {
    auto found = store->FindEvent(e.id);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(*found, std::optional<uint64_t>(e.acked_offset)) << "dedup index lost an event";
  }
}

TEST_F(PowerCutTest, BrokerContinuesAfterAPowerCutWithoutReusingAnOffset) {
  StartBroker();
  auto before = PublishAcked(2, kPerRound);
  ASSERT_FALSE(HasFailure());
  CutPower();

  StartBroker();
  // A resend of an acknowledged event is a duplicate with its original offset.
  std::vector<SentEvent> resend{before.back()};
  auto out = Publish(resend);
  ASSERT_TRUE(out[0].acked) << out[0].message;
  EXPECT_TRUE(out[0].duplicate);
  EXPECT_EQ(out[0].offset, before.back().acked_offset);
  // New events continue the log.
  auto after = PublishAcked(1, kPerRound);
  ASSERT_FALSE(HasFailure());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].acked_offset, before.size() + i + 1);
  }
}

// The secondary indexes (inbox, case, origin, time, distributed) are written
// after the ack, off the synced commit path, and synced by the next commit.
// A power cut after events are acknowledged but before their index entries
// were synced loses those entries; the restarted broker rebuilds them from
// the log before it serves, so the inbox and the case index still find every
// acknowledged event.
TEST_F(PowerCutTest, IndexEntriesLostInAPowerCutAreRebuiltFromTheLog) {
  StartBroker();
  auto events = PublishAcked(kRounds, kPerRound);
  ASSERT_FALSE(HasFailure());
  CutPower();
  std::string case_id;
  {
    auto store = Reopen();
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(LostEvents(*store, events), std::vector<uint64_t>{});
    // Nothing was synced after the last commit: its index entries are gone.
    ASSERT_LT(store->index_watermark(), events.size());
    auto record = store->ReadRecord(events.back().acked_offset);
    ASSERT_TRUE(record.ok() && record->has_value());
    const fb::Event* last = testutil::RecordEvent(**record);
    ASSERT_TRUE(last != nullptr && last->case_id() != nullptr);
    case_id = last->case_id()->str();
  }

  StartBroker();  // rebuilds the indexes before it serves
  {
    // The inbox of the addressee, delivered from the inbox index (a new
    // broker holds no recent records).
    node::BrokerClient kh(ctx_, testutil::NodeOptions(broker_->endpoint(), "kh-node"));
    ASSERT_TRUE(kh.Connect().ok());
    ASSERT_TRUE(testutil::Subscribe(kh, "inbox"));
    auto delivered = testutil::ReceiveDeliveries(kh, "inbox", events.size(), std::chrono::seconds(10));
    ASSERT_EQ(delivered.size(), events.size());
    for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(delivered[i].offset, events[i].acked_offset);
  }
  client_.reset();
  broker_.reset();

  auto store = Reopen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->index_watermark(), events.size());
  std::vector<store::ScanHit> hits;
  ASSERT_TRUE(store->Scan(store::Index::kInbox, "kh-node", 0, 1000, &hits).ok());
  EXPECT_EQ(hits.size(), events.size());
  hits.clear();
  ASSERT_TRUE(store->Scan(store::Index::kCase, case_id, 0, 1000, &hits).ok());
  std::vector<uint64_t> in_case;
  for (const auto& e : events) {
    auto record = store->ReadRecord(e.acked_offset);
    ASSERT_TRUE(record.ok() && record->has_value());
    const fb::Event* event = testutil::RecordEvent(**record);
    if (event->case_id() != nullptr && event->case_id()->str() == case_id) in_case.push_back(e.acked_offset);
  }
  std::vector<uint64_t> found;
  for (const auto& h : hits) found.push_back(h.offset);
  EXPECT_EQ(found, in_case);
  EXPECT_FALSE(in_case.empty());
}

// The guard: if nobody synced, the tests above would have to fail.
TEST_F(PowerCutTest, WithoutSyncAPowerCutLosesAcknowledgedEvents) {
  StartBroker(/*unsafe_skip_sync=*/true);
  auto events = PublishAcked(kRounds, kPerRound);
  ASSERT_FALSE(HasFailure());

  testutil::PowerCutReport cut = CutPower();
  EXPECT_GT(cut.bytes_dropped, 0u);

  auto store = Reopen();
  ASSERT_NE(store, nullptr);
  std::vector<uint64_t> lost = LostEvents(*store, events);
  std::cout << "power cut without sync: acknowledged=" << events.size()
            << " lost=" << lost.size() << " bytes_dropped=" << cut.bytes_dropped
            << " files_deleted=" << cut.files_deleted << "\n";
  EXPECT_GE(lost.size(), 1u) << "a power cut without fsync lost nothing: the fault "
                                "injection no longer models a power cut";
  // Deterministic: nothing was synced after the store opened, so the log
  // loses every event published since.
  EXPECT_EQ(lost.size(), events.size());
  EXPECT_EQ(store->next_offset(), 1u);
}

}  // namespace
}  // namespace lintas

namespace lintas {
namespace {

// A checkpoint a node was given must never be beyond what the broker still
// holds after a power cut: consultation records (written unsynced when a
// delivery is recorded) are synced before a checkpoint covers them, and the
// checkpoint before it is served.
TEST_F(PowerCutTest, ACheckpointANodeHoldsIsNeverBeyondTheLogsAfterAPowerCut) {
  StartBroker();
  auto events = PublishAcked(1, 5);
  ASSERT_FALSE(HasFailure());
  node::CheckpointReply held;
  {
    node::BrokerClient kh(ctx_, testutil::NodeOptions(broker_->endpoint(), "kh-node"));
    ASSERT_TRUE(kh.Connect().ok());
    ASSERT_TRUE(testutil::Subscribe(kh, "inbox"));
    ASSERT_EQ(testutil::ReceiveDeliveries(kh, "inbox", 5, std::chrono::seconds(5)).size(), 5u);
    // The broker syncs the consultation log at most every 200 ms: the first
    // delivery's record is synced at once, a second one within the window
    // is not, until the next sync.
    auto more = PublishAcked(1, 5);
    ASSERT_FALSE(HasFailure());
    ASSERT_EQ(testutil::ReceiveDeliveries(kh, "inbox", 5, std::chrono::seconds(5)).size(), 5u);
    node::AuditClient audit(&kh);
    auto cp = audit.Checkpoint();
    ASSERT_TRUE(cp.ok()) << cp.error().message;
    held = *cp;
  }
  ASSERT_GE(held.parsed.access_size, 1u);  // the deliveries are in it
  CutPower();
  auto store = Reopen();
  ASSERT_NE(store, nullptr);
  EXPECT_GE(store->size(), held.parsed.size);
  EXPECT_GE(store->access_size(), held.parsed.access_size)
      << "the node holds a checkpoint over consultation records the broker lost";
}

}  // namespace
}  // namespace lintas

namespace lintas {
namespace {

// Nothing is disclosed before its consultation record is durable: the
// record of a delivered batch is synced with a group commit before the batch
// is sent, so a power cut right after a delivery arrived leaves the record.
TEST_F(PowerCutTest, EveryDeliveryANodeReceivedIsInTheConsultationLogAfterAPowerCut) {
  StartBroker();
  std::vector<uint64_t> received;
  {
    node::BrokerClient kh(ctx_, testutil::NodeOptions(broker_->endpoint(), "kh-node"));
    ASSERT_TRUE(kh.Connect().ok());
    ASSERT_TRUE(testutil::Subscribe(kh, "inbox"));
    // Two deliveries in quick succession: the second's record is written
    // after the last commit of events (a timer sync would leave it unsynced).
    for (int round = 0; round < 2; ++round) {
      PublishAcked(1, 5);
      ASSERT_FALSE(HasFailure());
      for (const auto& d : testutil::ReceiveDeliveries(kh, "inbox", 5, std::chrono::seconds(5))) {
        received.push_back(d.offset);
      }
    }
    ASSERT_EQ(received.size(), 10u);
    CutPower();  // at once: no checkpoint asked, no later commit
  }
  auto store = Reopen();
  ASSERT_NE(store, nullptr);
  std::vector<std::pair<uint64_t, std::string>> records;
  ASSERT_TRUE(store->ScanAccess(0, 1000, &records).ok());
  std::set<uint64_t> recorded;
  for (const auto& [seq, bytes] : records) {
    const auto* r = fb::GetAccessRecord(bytes.data());
    if (r->action() != fb::AccessAction::Delivered || r->offsets() == nullptr) continue;
    recorded.insert(r->offsets()->begin(), r->offsets()->end());
  }
  for (uint64_t offset : received) {
    EXPECT_TRUE(recorded.count(offset)) << "offset " << offset
                                        << " was delivered but its consultation record was lost";
  }
}

}  // namespace
}  // namespace lintas
