// RecentRecords: what live deliveries read instead of the store.
#include "../src/recent_records.h"

#include <gtest/gtest.h>

namespace lintas::broker {
namespace {

store::AppendEntry Entry(uint64_t offset, std::vector<std::string> inbox, bool distributed = false,
                         size_t bytes = 100) {
  store::AppendEntry e;
  e.offset = offset;
  e.record = std::string(bytes, static_cast<char>('a' + offset % 26));
  e.index.inbox_nodes = std::move(inbox);
  if (distributed) e.index.distribution = "summary-" + std::to_string(offset);
  return e;
}

TEST(RecentRecordsTest, HoldsTheLastRecordsWithinItsBytesByOffset) {
  RecentRecords recent(350);
  for (uint64_t o = 1; o <= 5; ++o) recent.Add(Entry(o, {"kh-node"}));
  EXPECT_EQ(recent.first(), 3u);  // 3 x 100 bytes fit in 350
  EXPECT_EQ(recent.last(), 5u);
  EXPECT_EQ(recent.Find(2), nullptr);
  ASSERT_NE(recent.Find(4), nullptr);
  EXPECT_EQ(*recent.Find(4)->record, std::string(100, 'e'));
  EXPECT_EQ(recent.Find(6), nullptr);
}

TEST(RecentRecordsTest, AnOffsetThatDoesNotContinueRestartsIt) {
  RecentRecords recent;
  recent.Add(Entry(1, {}));
  recent.Add(Entry(2, {}));
  recent.Add(Entry(7, {}));  // 3..6 were never added: nothing may look contiguous
  EXPECT_EQ(recent.first(), 7u);
  EXPECT_EQ(recent.Find(2), nullptr);
}

TEST(RecentRecordsTest, ScanGivesWhatTheStoresIndexesWould) {
  RecentRecords recent;
  recent.Add(Entry(10, {"kh-node"}));
  recent.Add(Entry(11, {"vn-node"}));
  recent.Add(Entry(12, {}, true));
  recent.Add(Entry(13, {"kh-node", "vn-node"}));
  std::vector<store::ScanHit> hits;
  EXPECT_EQ(recent.Scan("kh-node", 9, 10, 100, &hits), 13u);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].offset, 10u);
  EXPECT_EQ(hits[1].offset, 13u);
  hits.clear();
  EXPECT_EQ(recent.Scan("", 10, 10, 100, &hits), 13u);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].offset, 12u);
  EXPECT_EQ(hits[0].value, "summary-12");
  // The limit stops at the hit; the budget at the entries examined.
  hits.clear();
  EXPECT_EQ(recent.Scan("vn-node", 9, 1, 100, &hits), 11u);
  EXPECT_EQ(hits.size(), 1u);
  hits.clear();
  EXPECT_EQ(recent.Scan("vn-node", 9, 10, 1, &hits), 10u);
  EXPECT_TRUE(hits.empty());
}

// Every subscription that takes a recent record holds the record itself,
// not a copy, and keeps it after the cache has let it go (a held batch
// outlives the record's time in the cache).
TEST(SharedRecordTest, AHeldRecordIsSharedAndOutlivesTheCache) {
  RecentRecords recent;
  recent.Add(Entry(1, {"kh-node"}, false, 1000));
  SharedRecord first = recent.Find(1)->record;
  SharedRecord second = recent.Find(1)->record;
  EXPECT_EQ(first.get(), second.get());  // one record, two holders
  EXPECT_EQ(first.use_count(), 3);
  recent.Clear();
  EXPECT_EQ(first.use_count(), 2);
  EXPECT_EQ(*first, std::string(1000, 'b'));
}

}  // namespace
}  // namespace lintas::broker
