// NodeList: a vector of node ids that holds up to two inline.
#include "lintas/store/node_list.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace lintas::store {
namespace {

TEST(NodeListTest, HoldsTwoInlineAndMoreOnTheHeapInOrder) {
  NodeList list;
  EXPECT_TRUE(list.empty());
  for (const char* id : {"th-node", "kh-node", "vn-node", "my-node"}) {
    list.push_back(id);
    EXPECT_EQ(list[list.size() - 1], id);
  }
  EXPECT_EQ(list, (std::vector<std::string>{"th-node", "kh-node", "vn-node", "my-node"}));
  EXPECT_TRUE(list.contains("vn-node"));
  EXPECT_FALSE(list.contains("la-node"));
  list.push_back("la-node");  // after the spill
  EXPECT_EQ(list.size(), 5u);
  EXPECT_TRUE(list.contains("la-node"));
}

TEST(NodeListTest, SortUniqueAndTruncateAsDirectoryResolveInboxDoes) {
  NodeList list{"vn-node", "kh-node", "vn-node", "kh-node", "th-node"};
  std::sort(list.begin(), list.end());
  list.truncate(static_cast<size_t>(std::unique(list.begin(), list.end()) - list.begin()));
  EXPECT_EQ(list, (std::vector<std::string>{"kh-node", "th-node", "vn-node"}));
  list.truncate(1);  // back inline
  EXPECT_EQ(list, std::vector<std::string>{"kh-node"});
  list.push_back("my-node");
  list.push_back("la-node");
  EXPECT_EQ(list, (std::vector<std::string>{"kh-node", "my-node", "la-node"}));
  list.clear();
  EXPECT_TRUE(list.empty());
  EXPECT_FALSE(list.contains(""));
}

TEST(NodeListTest, CopiesAreEqualAndAMovedFromListIsEmpty) {
  for (size_t n : {1u, 2u, 3u}) {
    NodeList list;
    for (size_t i = 0; i < n; ++i) list.push_back("node-" + std::to_string(i));
    NodeList copy = list;
    EXPECT_EQ(copy, list);
    NodeList moved = std::move(list);
    EXPECT_EQ(moved, copy);
    EXPECT_TRUE(list.empty()) << n;  // NOLINT: the moved-from state is what is tested
    EXPECT_FALSE(list.contains(""));
    EXPECT_EQ(list.begin(), list.end());
    NodeList assigned;
    assigned = std::move(moved);
    EXPECT_EQ(assigned, copy);
    EXPECT_TRUE(moved.empty());  // NOLINT
  }
}

}  // namespace
}  // namespace lintas::store
