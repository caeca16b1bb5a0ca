// Signed acknowledgements: every entry's receipt of statements of 1..40
// entries verifies with the key that signed it; a changed entry, path, index,
// statement or key does not; the JSON form reads back the same.
#include <gtest/gtest.h>
#include <sodium.h>

#include "lintas/audit/receipt.h"
#include "test_key.h"

namespace lintas::audit {
namespace {

std::vector<ReceiptEntry> Entries(size_t n) {
  std::vector<ReceiptEntry> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].event_id[15] = static_cast<uint8_t>(i);
    out[i].offset = 1000 + i;
    out[i].event_hash = LeafHash("event " + std::to_string(i));
    out[i].leaf = LeafHash("record " + std::to_string(i));
  }
  return out;
}

TEST(ReceiptTest, EveryEntrysReceiptVerifiesAndAnyChangeIsRefused) {
  TestKey key;
  TestKey other;
  for (size_t n = 1; n <= 40; ++n) {
    auto entries = Entries(n);
    ReceiptStatement st{"asean-broker-1", "th-node", n, ReceiptRoot(entries), 1764806400000000};
    std::string body = st.Body();
    auto receipts = MakeReceipts(entries, body, key.Sign(body));
    ASSERT_EQ(receipts.size(), n);
    for (size_t i = 0; i < n; ++i) {
      SCOPED_TRACE(testing::Message() << n << " entries, entry " << i);
      const Receipt& r = receipts[i];
      EXPECT_TRUE(r.Verify(key.pub).ok());
      EXPECT_FALSE(r.Verify(other.pub).ok());
      Receipt moved = r;
      moved.entry.offset += 1;  // the same event claimed at another offset
      EXPECT_FALSE(moved.Verify(key.pub).ok());
      Receipt swapped = r;
      swapped.entry.leaf[0] ^= 1;  // another record
      EXPECT_FALSE(swapped.Verify(key.pub).ok());
      Receipt bytes = r;
      bytes.entry.event_hash[31] ^= 1;  // other event bytes
      EXPECT_FALSE(bytes.Verify(key.pub).ok());
      if (n > 1) {
        Receipt index = r;
        index.index = (i + 1) % n;
        EXPECT_FALSE(index.Verify(key.pub).ok());
      }
      auto back = Receipt::FromJson(r.ToJson());
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_TRUE(back->Verify(key.pub).ok());
      EXPECT_EQ(back->entry.offset, r.entry.offset);
      EXPECT_EQ(back->path, r.path);
    }
  }
}

TEST(ReceiptTest, TheStatementIsParsedExactly) {
  ReceiptStatement st{"b", "kh-node", 3, LeafHash("x"), 42};
  auto back = ReceiptStatement::Parse(st.Body());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->node, "kh-node");
  EXPECT_EQ(back->count, 3u);
  EXPECT_EQ(back->root, st.root);
  EXPECT_FALSE(ReceiptStatement::Parse(st.Body() + "extra\n").ok());
  std::string body = st.Body();
  body.pop_back();
  EXPECT_FALSE(ReceiptStatement::Parse(body).ok());
  EXPECT_FALSE(Receipt::FromJson("{\"type\":\"lintas-receipt\",\"version\":1}").ok());
}

}  // namespace
}  // namespace lintas::audit
