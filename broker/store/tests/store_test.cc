// The Store contract, checked against both implementations; recovery and
// durability checks against RocksDB only.
#include <memory>

#include <gtest/gtest.h>

#include "lintas/store/memory_store.h"
#include "lintas/store/rocksdb_store.h"
#include "testutil/temp_dir.h"

namespace lintas::store {
namespace {

AppendEntry Entry(uint64_t offset, wire::EventIdGenerator& ids, std::string case_id = "",
                  std::string origin = "THA", std::vector<std::string> inbox = {},
                  std::optional<std::string> distribution = std::nullopt) {
  AppendEntry e;
  e.offset = offset;
  e.event_id = ids.Next();
  e.record = "record-" + std::to_string(offset);
  e.index.case_id = std::move(case_id);
  e.index.origin_country = std::move(origin);
  e.index.received_at_us = 1793491200000000 + static_cast<int64_t>(offset) * 1000;
  e.index.inbox_nodes = std::move(inbox);
  e.index.distribution = std::move(distribution);
  return e;
}

// Appends `batch`, then writes its index entries as the broker's index
// thread does.
Status AppendIndexed(Store& store, const std::vector<AppendEntry>& batch) {
  if (auto s = store.Append(batch); !s.ok()) return s;
  std::vector<IndexEntry> index;
  for (const auto& e : batch) index.push_back({e.offset, e.index});
  return store.WriteIndexes(index);
}

std::vector<uint64_t> Offsets(const std::vector<ScanHit>& hits) {
  std::vector<uint64_t> out;
  for (const auto& h : hits) out.push_back(h.offset);
  return out;
}

template <typename T>
class StoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::is_same_v<T, RocksDbStore>) {
      auto opened = RocksDbStore::Open({dir_.Sub("db")});
      ASSERT_TRUE(opened.ok()) << opened.error().message;
      store_ = std::move(opened).value();
    } else {
      store_ = std::make_unique<MemoryStore>();
    }
  }
  testutil::TempDir dir_;
  std::unique_ptr<Store> store_;
  wire::EventIdGenerator ids_;
};

using Implementations = ::testing::Types<RocksDbStore, MemoryStore>;
TYPED_TEST_SUITE(StoreContractTest, Implementations);

TYPED_TEST(StoreContractTest, EmptyLogStartsAtOffsetOne) {
  EXPECT_EQ(this->store_->next_offset(), 1u);
  EXPECT_EQ(this->store_->size(), 0u);
  auto r = this->store_->ReadRecord(1);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TYPED_TEST(StoreContractTest, AppendThenReadAndFind) {
  std::vector<AppendEntry> batch{Entry(1, this->ids_), Entry(2, this->ids_)};
  ASSERT_TRUE(this->store_->Append(batch).ok());
  EXPECT_EQ(this->store_->next_offset(), 3u);
  auto rec = this->store_->ReadRecord(2);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(rec->has_value());
  EXPECT_EQ(**rec, "record-2");
  auto found = this->store_->FindEvent(batch[1].event_id);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, 2u);
  auto missing = this->store_->FindEvent(this->ids_.Next());
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TYPED_TEST(StoreContractTest, ReadRecordsGivesEachAskedRecordInOrderAndSaysWhichAreMissing) {
  // Enough records that RocksDB's iterator both steps (Next) and seeks over
  // a gap of records not asked for.
  std::vector<AppendEntry> batch;
  for (uint64_t offset = 1; offset <= 100; ++offset) batch.push_back(Entry(offset, this->ids_));
  ASSERT_TRUE(this->store_->Append(batch).ok());
  std::vector<uint64_t> asked{1, 2, 3, 5, 8, 60, 61, 99, 100, 101, 200};
  std::vector<std::optional<std::string>> out{std::string("stale")};
  ASSERT_TRUE(this->store_->ReadRecords(asked, &out).ok());
  ASSERT_EQ(out.size(), asked.size());
  for (size_t i = 0; i < asked.size(); ++i) {
    if (asked[i] <= 100) {
      ASSERT_TRUE(out[i].has_value()) << asked[i];
      EXPECT_EQ(*out[i], "record-" + std::to_string(asked[i]));
    } else {
      EXPECT_FALSE(out[i].has_value()) << asked[i];
    }
  }
  ASSERT_TRUE(this->store_->ReadRecords({}, &out).ok());
  EXPECT_TRUE(out.empty());
}

TYPED_TEST(StoreContractTest, RefusesAGapOrARewrite) {
  std::vector<AppendEntry> first{Entry(1, this->ids_)};
  ASSERT_TRUE(this->store_->Append(first).ok());
  std::vector<AppendEntry> gap{Entry(3, this->ids_)};
  auto s = this->store_->Append(gap);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, errc::invalid_append);
  std::vector<AppendEntry> rewrite{Entry(1, this->ids_)};
  EXPECT_FALSE(this->store_->Append(rewrite).ok());
  EXPECT_EQ(this->store_->next_offset(), 2u);
}

TYPED_TEST(StoreContractTest, IndexesScanInOffsetOrder) {
  std::vector<AppendEntry> batch{
      Entry(1, this->ids_, "TH-1", "THA", {"kh-node"}),
      Entry(2, this->ids_, "TH-2", "VNM", {"la-node"}, std::string("summary-2")),
      Entry(3, this->ids_, "TH-1", "THA", {"kh-node", "la-node"}),
      Entry(4, this->ids_, "TH-10", "THA", {}, std::string("summary-4")),
  };
  ASSERT_TRUE(AppendIndexed(*this->store_, batch).ok());
  std::vector<ScanHit> hits;
  ASSERT_TRUE(this->store_->Scan(Index::kCase, "TH-1", 0, 100, &hits).ok());
  EXPECT_EQ(Offsets(hits), (std::vector<uint64_t>{1, 3}));
  hits.clear();
  ASSERT_TRUE(this->store_->Scan(Index::kInbox, "la-node", 0, 100, &hits).ok());
  EXPECT_EQ(Offsets(hits), (std::vector<uint64_t>{2, 3}));
  hits.clear();
  ASSERT_TRUE(this->store_->Scan(Index::kInbox, "kh-node", 1, 100, &hits).ok());
  EXPECT_EQ(Offsets(hits), (std::vector<uint64_t>{3}));
  hits.clear();
  ASSERT_TRUE(this->store_->Scan(Index::kOrigin, "THA", 0, 2, &hits).ok());
  EXPECT_EQ(Offsets(hits), (std::vector<uint64_t>{1, 3}));
  hits.clear();
  ASSERT_TRUE(this->store_->Scan(Index::kDistributed, "", 0, 100, &hits).ok());
  ASSERT_EQ(Offsets(hits), (std::vector<uint64_t>{2, 4}));
  EXPECT_EQ(hits[1].value, "summary-4");
  hits.clear();
  ASSERT_TRUE(this->store_->Scan(Index::kLog, "", 2, 100, &hits).ok());
  EXPECT_EQ(Offsets(hits), (std::vector<uint64_t>{3, 4}));
  std::vector<uint64_t> times;
  int64_t base = 1793491200000000;
  ASSERT_TRUE(this->store_->ScanTime(base + 2000, base + 3000, 0, 100, &times).ok());
  EXPECT_EQ(times, (std::vector<uint64_t>{2, 3}));
}

TYPED_TEST(StoreContractTest, IndexesFollowTheLogUpToTheirWatermark) {
  EXPECT_EQ(this->store_->index_watermark(), 0u);
  std::vector<AppendEntry> batch{Entry(1, this->ids_, "TH-1"), Entry(2, this->ids_, "TH-1")};
  ASSERT_TRUE(this->store_->Append(batch).ok());
  // Appended, not yet indexed: the log has them, the case index not yet.
  EXPECT_EQ(this->store_->index_watermark(), 0u);
  std::vector<ScanHit> hits;
  ASSERT_TRUE(this->store_->Scan(Index::kLog, "", 0, 10, &hits).ok());
  EXPECT_EQ(Offsets(hits), (std::vector<uint64_t>{1, 2}));
  hits.clear();
  ASSERT_TRUE(this->store_->Scan(Index::kCase, "TH-1", 0, 10, &hits).ok());
  EXPECT_EQ(Offsets(hits), (std::vector<uint64_t>{}));
  // Index entries must continue the watermark and stay within the log.
  std::vector<IndexEntry> skip{{2, batch[1].index}};
  EXPECT_FALSE(this->store_->WriteIndexes(skip).ok());
  std::vector<IndexEntry> first{{1, batch[0].index}};
  ASSERT_TRUE(this->store_->WriteIndexes(first).ok());
  EXPECT_EQ(this->store_->index_watermark(), 1u);
  std::vector<IndexEntry> beyond{{2, batch[1].index}, {3, batch[1].index}};
  EXPECT_FALSE(this->store_->WriteIndexes(beyond).ok());
  std::vector<IndexEntry> second{{2, batch[1].index}};
  ASSERT_TRUE(this->store_->WriteIndexes(second).ok());
  EXPECT_EQ(this->store_->index_watermark(), 2u);
  ASSERT_TRUE(this->store_->Scan(Index::kCase, "TH-1", 0, 10, &hits).ok());
  EXPECT_EQ(Offsets(hits), (std::vector<uint64_t>{1, 2}));
}

TEST(RocksDbStoreTest, TheIndexWatermarkSurvivesAReopen) {
  testutil::TempDir dir;
  wire::EventIdGenerator ids;
  std::vector<AppendEntry> batch{Entry(1, ids, "TH-1"), Entry(2, ids, "TH-1"), Entry(3, ids)};
  {
    auto store = RocksDbStore::Open({dir.Sub("db")});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Append(batch).ok());
    std::vector<IndexEntry> two{{1, batch[0].index}, {2, batch[1].index}};
    ASSERT_TRUE((*store)->WriteIndexes(two).ok());
  }
  auto store = RocksDbStore::Open({dir.Sub("db")});
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->next_offset(), 4u);
  EXPECT_EQ((*store)->index_watermark(), 2u);  // offset 3 is for the owner to rebuild
  EXPECT_EQ((*store)->last_received_at_us(), batch[1].index.received_at_us);
}

TYPED_TEST(StoreContractTest, FindEventsAnswersEachIdInOrder) {
  std::vector<AppendEntry> batch{Entry(1, this->ids_), Entry(2, this->ids_)};
  ASSERT_TRUE(this->store_->Append(batch).ok());
  std::vector<wire::EventId> ids{batch[1].event_id, this->ids_.Next(), batch[0].event_id};
  std::vector<std::optional<uint64_t>> found;
  ASSERT_TRUE(this->store_->FindEvents(ids, &found).ok());
  EXPECT_EQ(found, (std::vector<std::optional<uint64_t>>{2u, std::nullopt, 1u}));
}

TYPED_TEST(StoreContractTest, CursorsRoundTripAndDelete) {
  ASSERT_TRUE(this->store_->PutCursor("kh-node/inbox", {41, "filter-bytes"}).ok());
  auto c = this->store_->GetCursor("kh-node/inbox");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->acked_offset, 41u);
  EXPECT_EQ((*c)->filter, "filter-bytes");
  ASSERT_TRUE(this->store_->DeleteCursor("kh-node/inbox").ok());
  auto gone = this->store_->GetCursor("kh-node/inbox");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

AccessEntry Access(uint64_t seq) {
  return AccessEntry{seq, "access-record-" + std::to_string(seq), std::string(32, static_cast<char>('a' + seq))};
}

TYPED_TEST(StoreContractTest, ACommitWritesRecordsConsultationRecordsCursorsAndACheckpointTogether) {
  Store& store = *this->store_;
  ASSERT_TRUE(store.PutCursor("vn-node/alerts", {5, ""}).ok());
  std::vector<AppendEntry> batch{Entry(1, this->ids_), Entry(2, this->ids_)};
  CommitWrites writes;
  writes.access = {Access(1), Access(2)};
  writes.cursors.emplace_back("kh-node/inbox", CursorState{1, "f"});
  writes.cursors.emplace_back("kh-node/inbox", CursorState{2, "f"});  // in order: the later wins
  writes.cursors.emplace_back("vn-node/alerts", std::nullopt);         // a delete
  writes.checkpoint.emplace(2, "signed-2");
  ASSERT_TRUE(store.Commit(batch, writes).ok());
  EXPECT_EQ(store.next_offset(), 3u);
  EXPECT_EQ(store.access_size(), 2u);
  std::vector<std::pair<uint64_t, std::string>> access;
  ASSERT_TRUE(store.ScanAccess(0, 10, &access).ok());
  ASSERT_EQ(access.size(), 2u);
  EXPECT_EQ(access[1].second, "access-record-2");
  std::vector<std::string> leaves;
  ASSERT_TRUE(store.ReadAccessLeaves(0, 2, &leaves).ok());
  EXPECT_EQ(leaves, (std::vector<std::string>{Access(1).leaf, Access(2).leaf}));
  auto cursor = store.GetCursor("kh-node/inbox");
  ASSERT_TRUE(cursor.ok() && cursor->has_value());
  EXPECT_EQ((*cursor)->acked_offset, 2u);
  auto deleted = store.GetCursor("vn-node/alerts");
  ASSERT_TRUE(deleted.ok());
  EXPECT_FALSE(deleted->has_value());
  auto checkpoint = store.LatestCheckpoint();
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  EXPECT_EQ(**checkpoint, "signed-2");

  // Writes alone (no records) are a commit too; a consultation record that
  // does not continue the sequence is refused, and nothing of it is written.
  CommitWrites alone;
  alone.access = {Access(3)};
  ASSERT_TRUE(store.Commit({}, alone).ok());
  EXPECT_EQ(store.access_size(), 3u);
  CommitWrites gap;
  gap.access = {Access(5)};
  std::vector<AppendEntry> next{Entry(3, this->ids_)};
  Status refused = store.Commit(next, gap);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(store.access_size(), 3u);
  EXPECT_EQ(store.next_offset(), 3u);
}

TEST(RocksDbStoreTest, ACommitsWritesSurviveAReopen) {
  testutil::TempDir dir;
  wire::EventIdGenerator ids;
  {
    auto store = RocksDbStore::Open({dir.Sub("db")});
    ASSERT_TRUE(store.ok());
    CommitWrites writes;
    writes.access = {Access(1)};
    writes.cursors.emplace_back("kh-node/inbox", CursorState{1, ""});
    writes.checkpoint.emplace(1, "signed-1");
    std::vector<AppendEntry> batch{Entry(1, ids)};
    ASSERT_TRUE((*store)->Commit(batch, writes).ok());
  }
  auto store = RocksDbStore::Open({dir.Sub("db")});
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->next_offset(), 2u);
  EXPECT_EQ((*store)->access_size(), 1u);
  auto cursor = (*store)->GetCursor("kh-node/inbox");
  ASSERT_TRUE(cursor.ok() && cursor->has_value());
  EXPECT_EQ((*cursor)->acked_offset, 1u);
  auto checkpoint = (*store)->LatestCheckpoint();
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  EXPECT_EQ(**checkpoint, "signed-1");
}

TEST(RocksDbStoreTest, ReopenRecoversOffsetsDedupIndexesAndCursors) {
  testutil::TempDir dir;
  wire::EventIdGenerator ids;
  std::vector<AppendEntry> batch{Entry(1, ids, "TH-1"), Entry(2, ids, "TH-1"), Entry(3, ids)};
  {
    auto store = RocksDbStore::Open({dir.Sub("db")});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(AppendIndexed(**store, batch).ok());
    ASSERT_TRUE((*store)->PutCursor("kh-node/inbox", {2, ""}).ok());
  }
  auto store = RocksDbStore::Open({dir.Sub("db")});
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->next_offset(), 4u);
  EXPECT_EQ((*store)->last_received_at_us(), batch[2].index.received_at_us);
  auto found = (*store)->FindEvent(batch[0].event_id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(**found, 1u);
  std::vector<ScanHit> hits;
  ASSERT_TRUE((*store)->Scan(Index::kCase, "TH-1", 0, 10, &hits).ok());
  EXPECT_EQ(Offsets(hits), (std::vector<uint64_t>{1, 2}));
  auto cursor = (*store)->GetCursor("kh-node/inbox");
  ASSERT_TRUE(cursor.ok() && cursor->has_value());
  EXPECT_EQ((*cursor)->acked_offset, 2u);
  std::vector<AppendEntry> next{Entry(4, ids)};
  EXPECT_TRUE((*store)->Append(next).ok());
}

TEST(RocksDbStoreTest, AMemoryOnlyReadSaysWouldBlockRatherThanReadTheDisk) {
  testutil::TempDir dir;
  wire::EventIdGenerator ids;
  std::vector<AppendEntry> batch{Entry(1, ids, "TH-1"), Entry(2, ids)};
  {
    auto store = RocksDbStore::Open({dir.Sub("db")});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(AppendIndexed(**store, batch).ok());
    // In the memtable: the memory-only reads answer.
    auto found = (*store)->TryFindEvent(batch[1].event_id);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(found->value_or(0), 2u);
  }
  // Reopened: the records are in a table file whose blocks are not cached.
  // (Buffered segment reads: the page cache can answer a memory-only read.)
  RocksDbOptions buffered{dir.Sub("db")};
  buffered.direct_segment_writes = false;
  auto store = RocksDbStore::Open(buffered);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto cold = (*store)->TryFindEvent(batch[0].event_id);
  ASSERT_FALSE(cold.ok());
  EXPECT_EQ(cold.error().code, errc::would_block);
  std::vector<std::optional<uint64_t>> many;
  Status cold_many = (*store)->TryFindEvents(std::vector<wire::EventId>{batch[0].event_id}, &many);
  ASSERT_FALSE(cold_many.ok());
  EXPECT_EQ(cold_many.error().code, errc::would_block);
  // (Opening read the log's last block, so a record may already be cached:
  // then memory answers, and answers right.)
  auto cold_record = (*store)->TryReadRecord(1);
  if (cold_record.ok()) {
    EXPECT_EQ(cold_record->value_or(""), "record-1");
  } else {
    EXPECT_EQ(cold_record.error().code, errc::would_block);
  }
  // A blocking read brings the blocks into the cache; then memory answers.
  ASSERT_TRUE((*store)->FindEvent(batch[0].event_id).ok());
  ASSERT_TRUE((*store)->ReadRecord(1).ok());
  auto warm = (*store)->TryFindEvent(batch[0].event_id);
  ASSERT_TRUE(warm.ok()) << warm.error().message;
  EXPECT_EQ(warm->value_or(0), 1u);
  auto warm_record = (*store)->TryReadRecord(1);
  ASSERT_TRUE(warm_record.ok() && warm_record->has_value());
  EXPECT_EQ(**warm_record, "record-1");
  // Segments read with O_DIRECT (the default) are never in the page cache:
  // a memory-only read of a record says would_block even after a blocking one.
  store->reset();
  if (!dir.SupportsDirectIo()) return;
  auto direct = RocksDbStore::Open({dir.Sub("db")});
  ASSERT_TRUE(direct.ok()) << direct.error().message;
  ASSERT_TRUE((*direct)->ReadRecord(1).ok());
  auto uncached = (*direct)->TryReadRecord(1);
  ASSERT_FALSE(uncached.ok());
  EXPECT_EQ(uncached.error().code, errc::would_block);
}

// A new event's id (UUIDv7: later than every stored one) cannot be stored:
// its dedup lookup answers "not stored" without a read, on a cold store too,
// while an older id still needs the disk; an appended id raises the bound.
TEST(RocksDbStoreTest, AnIdAboveEveryStoredIdIsNotStoredWithoutARead) {
  testutil::TempDir dir;
  wire::EventIdGenerator ids;
  std::vector<AppendEntry> batch{Entry(1, ids), Entry(2, ids)};
  {
    auto store = RocksDbStore::Open({dir.Sub("db")});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(AppendIndexed(**store, batch).ok());
  }
  auto store = RocksDbStore::Open({dir.Sub("db")});
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto older = (*store)->TryFindEvent(batch[0].event_id);
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.error().code, errc::would_block);
  wire::EventId fresh = ids.Next();
  auto found = (*store)->TryFindEvent(fresh);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_FALSE(found->has_value());
  std::vector<std::optional<uint64_t>> many;
  ASSERT_TRUE((*store)->TryFindEvents(std::vector<wire::EventId>{fresh}, &many).ok());
  EXPECT_FALSE(many[0].has_value());
  // Stored now: found (from the memtable), not taken for new.
  std::vector<AppendEntry> next{Entry(3, ids)};
  next[0].event_id = fresh;
  ASSERT_TRUE(AppendIndexed(**store, next).ok());
  auto stored = (*store)->TryFindEvent(fresh);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(stored->value_or(0), 3u);
}

TEST(RocksDbStoreTest, OpenFailsClearlyOnAnUnusablePath) {
  testutil::TempDir dir;
  std::string file = dir.Sub("not-a-dir");
  { std::FILE* f = std::fopen(file.c_str(), "w"); std::fclose(f); }
  auto store = RocksDbStore::Open({file + "/db"});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("open"), std::string::npos);
}

}  // namespace
}  // namespace lintas::store
