// JetStreamStore against a real 3-server nats-server cluster on loopback: one
// writer only (a second one's append is refused and leaves its next offset
// alone until it reopens and catches up), a cache rebuilt from the stream
// alone, a cache that is not the stream's refused, cursors and checkpoints
// seen by the next broker.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lintas/store/errc.h"
#include "lintas/store/jetstream_store.h"
#include "lintas/wire/event_id.h"
#include "testutil/nats_cluster.h"
#include "testutil/temp_dir.h"

namespace lintas::store {
namespace {

class JetStreamStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testutil::NatsServerAvailable()) cluster_ = new testutil::NatsCluster(3);
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    if (cluster_ == nullptr) GTEST_SKIP() << "nats-server is not installed";
  }

  JetStreamOptions Options(const std::string& prefix, const std::string& cache) {
    JetStreamOptions o;
    o.servers = cluster_->urls();
    o.stream = prefix + "_LOG";
    o.access_stream = prefix + "_ACCESS";
    o.bucket = prefix + "_STATE";
    o.lease_bucket = prefix + "_LEASE";
    o.cache_dir = dir_.Sub(cache);
    o.append_retry_ms = 2000;
    return o;
  }

  std::unique_ptr<JetStreamStore> Open(const JetStreamOptions& o) {
    auto opened = JetStreamStore::Open(o);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  std::vector<AppendEntry> Entries(uint64_t first, size_t n, const std::string& tag) {
    std::vector<AppendEntry> out;
    for (size_t i = 0; i < n; ++i) {
      AppendEntry e;
      e.offset = first + i;
      e.event_id = ids_.Next();
      e.record = tag + std::to_string(first + i);
      out.push_back(std::move(e));
    }
    return out;
  }

  static testutil::NatsCluster* cluster_;
  testutil::TempDir dir_;
  wire::EventIdGenerator ids_;
};

testutil::NatsCluster* JetStreamStoreTest::cluster_ = nullptr;

TEST_F(JetStreamStoreTest, OnlyOneWriterAppendsAndTheOtherCatchesUpAfterItsRefusal) {
  auto a = Open(Options("TWO", "a"));
  auto b = Open(Options("TWO", "b"));
  ASSERT_TRUE(a && b);
  auto mine = Entries(1, 3, "a");
  ASSERT_TRUE(a->Append(mine).ok());
  EXPECT_EQ(a->next_offset(), 4u);
  // B still believes the log is empty: its append at offset 1 is refused by
  // the stream, and nothing of it becomes visible.
  auto theirs = Entries(1, 2, "b");
  Status refused = b->Append(theirs);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, make_error_code(errc::conflict)) << refused.error().message;
  EXPECT_EQ(b->next_offset(), 1u);
  auto found = b->FindEvent(theirs[0].event_id);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  // Reopened, B holds exactly what A wrote.
  ASSERT_TRUE(b->ReopenAfterFailedWrite().ok());
  EXPECT_EQ(b->next_offset(), 4u);
  for (const auto& e : mine) {
    auto record = b->ReadRecord(e.offset);
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_EQ(**record, e.record);
    auto at = b->FindEvent(e.event_id);
    ASSERT_TRUE(at.ok() && at->has_value());
    EXPECT_EQ(**at, e.offset);
  }
  auto last = a->StreamLastSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 3u);
}

TEST_F(JetStreamStoreTest, AFreshCacheIsRebuiltFromTheStreamWithCursorsAndCheckpoint) {
  auto entries = Entries(1, 1500, "r");
  {
    auto a = Open(Options("FRESH", "a"));
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->Append(std::span(entries).subspan(0, 1000)).ok());
    ASSERT_TRUE(a->Append(std::span(entries).subspan(1000)).ok());
    ASSERT_TRUE(a->PutCursor("kh-node/inbox", {42, "filter"}).ok());
    ASSERT_TRUE(a->PutCursor("vn-node/inbox", {7, ""}).ok());
    ASSERT_TRUE(a->DeleteCursor("vn-node/inbox").ok());
    ASSERT_TRUE(a->PutCheckpoint(1500, "signed-1500").ok());
    ASSERT_TRUE(a->PutMeta("seal_key/kh-node", "KEY").ok());
    AccessEntry access{1, "consulted", std::string(32, 'L')};
    ASSERT_TRUE(a->AppendAccess(std::span(&access, 1)).ok());
    ASSERT_TRUE(a->Sync().ok());  // the cursor changes reach the bucket
  }
  auto b = Open(Options("FRESH", "b"));  // another host: an empty cache
  ASSERT_TRUE(b);
  EXPECT_EQ(b->size(), 1500u);
  auto r = b->ReadRecord(1234);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(**r, "r1234");
  auto at = b->FindEvent(entries[777].event_id);
  ASSERT_TRUE(at.ok() && at->has_value());
  EXPECT_EQ(**at, 778u);
  auto cursor = b->GetCursor("kh-node/inbox");
  ASSERT_TRUE(cursor.ok() && cursor->has_value());
  EXPECT_EQ((*cursor)->acked_offset, 42u);
  EXPECT_EQ((*cursor)->filter, "filter");
  auto gone = b->GetCursor("vn-node/inbox");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto cp = b->LatestCheckpoint();
  ASSERT_TRUE(cp.ok() && cp->has_value());
  EXPECT_EQ(**cp, "signed-1500");
  std::vector<std::pair<std::string, std::string>> meta;
  ASSERT_TRUE(b->ScanMeta("seal_key/", &meta).ok());
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0].second, "KEY");
  EXPECT_EQ(b->access_size(), 1u);
  std::vector<std::string> leaves;
  ASSERT_TRUE(b->ReadAccessLeaves(0, 1, &leaves).ok());
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0], std::string(32, 'L'));
  // Indexes are derived: the owner rebuilds them from the records.
  EXPECT_EQ(b->index_watermark(), 0u);
}

TEST_F(JetStreamStoreTest, ACacheThatIsNotTheStreamsIsRefused) {
  {
    auto a = Open(Options("ONE", "cache"));
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->Append(Entries(1, 5, "one")).ok());
  }
  {
    auto other = Open(Options("TWO_", "other"));
    ASSERT_TRUE(other);
    ASSERT_TRUE(other->Append(Entries(1, 5, "two")).ok());
  }
  // The first cache pointed at the second stream: same length, other records.
  auto wrong = JetStreamStore::Open(Options("TWO_", "cache"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("is not a copy of stream TWO__LOG"), std::string::npos)
      << wrong.error().message;
}

}  // namespace
}  // namespace lintas::store
