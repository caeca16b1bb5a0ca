// The failed-commit path: the disk refuses one WAL or record segment append
// or sync while a node publishes. The events of the failed group commit are
// refused with storage_error (retryable), nothing acknowledged is lost, and
// once the disk works again the broker continues from the store's next
// offset: the resent events are stored once and the offsets have no gap. A
// power cut at the end checks that what was acknowledged after the failure
// was synced too.
#include <iostream>
#include <set>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "durable_broker_fixture.h"
#include "lintas/audit/hash.h"
#include "lintas/wire/errc.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;

constexpr size_t kPerRound = 20;
constexpr auto kRecoveryTimeout = 30s;

using FaultAt = std::tuple<testutil::FaultOp, std::string>;  // the call, the file's suffix

class FailedCommitTest : public DurableBrokerTest, public ::testing::WithParamInterface<FaultAt> {
 protected:
  // Resends the unacknowledged `events` until all are acknowledged or the
  // deadline passes; only storage_error may refuse them meanwhile.
  void ResendUntilAcked(std::vector<SentEvent>& events) {
    auto deadline = std::chrono::steady_clock::now() + kRecoveryTimeout;
    for (;;) {
      std::vector<SentEvent> pending;
      for (const auto& e : events) {
        if (e.acked_offset == 0) pending.push_back(e);
      }
      if (pending.empty()) return;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << pending.size() << " events still refused after the failure cleared";
      auto out = Publish(pending);
      for (size_t i = 0; i < out.size(); ++i) {
        ASSERT_TRUE(out[i].answered);
        if (out[i].acked) {
          // A duplicate ack is allowed: a batch whose sync failed may have
          // reached the disk after all (the store is reopened, as after a
          // crash). Its offset is checked below.
          resent_duplicates_ += out[i].duplicate ? 1 : 0;
        } else {
          ASSERT_EQ(out[i].code, static_cast<uint16_t>(wire::errc::storage_error))
              << out[i].message;
        }
      }
      for (const auto& p : pending) {  // Publish recorded their acks

        for (auto& e : events) {
          if (e.id == p.id && p.acked_offset != 0) e.acked_offset = p.acked_offset;
        }
      }
    }
  }

  size_t resent_duplicates_ = 0;
};

TEST_P(FailedCommitTest, RefusedBatchIsRetryableAndTheLogContinuesWithoutAGap) {
  StartBroker();
  auto before = PublishAcked(1, kPerRound);
  ASSERT_FALSE(HasFailure());

  // The next write of the WAL (".log") or of the record segment (".seg")
  // fails: the whole group commit is refused. The fault must hit the next
  // commit, not the index write of the last one.
  ASSERT_TRUE(WaitForIndexes());
  auto [op, file_suffix] = GetParam();
  fs_->InjectError(op, file_suffix, 1);
  auto failed = MakeEvents(kPerRound);
  auto out = Publish(failed);
  ASSERT_EQ(fs_->errors_injected(), 1);
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(out[i].answered) << i;
    EXPECT_FALSE(out[i].acked) << "event " << i << " acknowledged from a failed commit";
    EXPECT_EQ(out[i].code, static_cast<uint16_t>(wire::errc::storage_error)) << out[i].message;
    EXPECT_TRUE(wire::IsRetryable(static_cast<wire::errc>(out[i].code)));
  }

  // The disk works again (the injection fired once): the publisher resends.
  ResendUntilAcked(failed);
  ASSERT_FALSE(HasFailure());
  auto after = PublishAcked(1, kPerRound);
  ASSERT_FALSE(HasFailure());
  std::cout << "resent after the failure: " << failed.size()
            << " duplicates=" << resent_duplicates_ << "\n";

  std::vector<SentEvent> all = before;
  all.insert(all.end(), failed.begin(), failed.end());
  all.insert(all.end(), after.begin(), after.end());
  // The broker continued from the store's next offset: 1, 2, ... without a gap.
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].acked_offset, i + 1) << i;
  // The audit trail's leaves still match the records offset by offset (also
  // when the failed batch turned out stored after all).
  store::Store& live = broker_->broker().store();
  auto leaves = live.ReadLeafBlock(0);
  ASSERT_TRUE(leaves.ok() && leaves->has_value());
  ASSERT_EQ((*leaves)->size(), all.size() * 32);
  for (uint64_t offset = 1; offset <= all.size(); ++offset) {
    auto record = live.ReadRecord(offset);
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_EQ((*leaves)->substr((offset - 1) * 32, 32), audit::AsString(audit::LeafHash(**record)))
        << "Merkle leaf of offset " << offset;
  }

  CutPower();
  auto store = Reopen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(LostEvents(*store, all), std::vector<uint64_t>{});
  EXPECT_EQ(store->next_offset(), all.size() + 1);
  // Each event is stored once: the dedup index and the log agree.
  std::set<wire::EventId> seen;
  for (uint64_t offset = 1; offset < store->next_offset(); ++offset) {
    auto record = store->ReadRecord(offset);
    ASSERT_TRUE(record.ok() && record->has_value()) << "gap at offset " << offset;
    const fb::Event* event = testutil::RecordEvent(**record);
    ASSERT_NE(event, nullptr);
    wire::EventId id = wire::EventId::FromFb(*event->id());
    EXPECT_TRUE(seen.insert(id).second) << "event stored twice, again at offset " << offset;
    auto found = store->FindEvent(id);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(*found, std::optional<uint64_t>(offset));
  }
}

INSTANTIATE_TEST_SUITE_P(
    WalOrSegmentFault, FailedCommitTest,
    ::testing::Combine(::testing::Values(testutil::FaultOp::kAppend, testutil::FaultOp::kSync),
                       ::testing::Values(std::string(".log"), std::string(".seg"))),
    [](const ::testing::TestParamInfo<FaultAt>& p) {
      std::string file = std::get<1>(p.param) == ".log" ? "Wal" : "Segment";
      bool append = std::get<0>(p.param) == testutil::FaultOp::kAppend;
      return file + (append ? "AppendFails" : "SyncFails");
    });

}  // namespace
}  // namespace lintas
