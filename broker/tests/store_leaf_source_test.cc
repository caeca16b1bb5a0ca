// StoreLeafSource: the consultation tree's leaves come from the store, then
// from the records whose group commit has not returned yet.
#include <gtest/gtest.h>

#include "../src/broker_loop.h"
#include "lintas/store/memory_store.h"

namespace lintas::broker {
namespace {

store::AccessEntry Access(uint64_t seq) {
  return store::AccessEntry{seq, "record-" + std::to_string(seq), std::string(32, static_cast<char>('a' + seq))};
}

TEST(StoreLeafSourceTest, ConsultationLeavesNotYetStoredAreReadFromTheUnwrittenRecords) {
  store::MemoryStore store;
  std::vector<store::AccessEntry> stored{Access(1), Access(2)};
  ASSERT_TRUE(store.AppendAccess(stored).ok());
  std::deque<store::AccessEntry> unwritten{Access(3), Access(4)};
  StoreLeafSource source(&store, true, &unwritten);

  std::vector<audit::Hash> leaves;
  ASSERT_TRUE(source.ReadLeaves(0, 4, &leaves).ok());
  ASSERT_EQ(leaves.size(), 4u);
  for (uint64_t seq = 1; seq <= 4; ++seq) EXPECT_EQ(audit::AsString(leaves[seq - 1]), Access(seq).leaf) << seq;

  leaves.clear();
  ASSERT_TRUE(source.ReadLeaves(3, 1, &leaves).ok());
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(audit::AsString(leaves[0]), Access(4).leaf);

  // Nothing past the last record made.
  leaves.clear();
  ASSERT_TRUE(source.ReadLeaves(2, 5, &leaves).ok());
  EXPECT_EQ(leaves.size(), 2u);

  // Once a commit returns its records leave the deque and are in the store.
  ASSERT_TRUE(store.AppendAccess(std::vector<store::AccessEntry>{Access(3)}).ok());
  unwritten.pop_front();
  leaves.clear();
  ASSERT_TRUE(source.ReadLeaves(0, 4, &leaves).ok());
  ASSERT_EQ(leaves.size(), 4u);
  EXPECT_EQ(audit::AsString(leaves[2]), Access(3).leaf);
  EXPECT_EQ(audit::AsString(leaves[3]), Access(4).leaf);
}

}  // namespace
}  // namespace lintas::broker
