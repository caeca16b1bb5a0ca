// The node's consultation log: entries chain, and any edit, removal or
// reordering of stored entries is detected.
#include <gtest/gtest.h>

#include "lintas/node/access_log.h"
#include "testutil/temp_dir.h"

namespace lintas::node {
namespace {

class AccessLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = NodeStore::Open(dir_.Sub("node"));
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    log_ = std::make_unique<AccessLog>(store_.get());
    for (int i = 0; i < 5; ++i) {
      AccessEntry e;
      e.user = "officer-kh-0007";
      e.agency = "kh-mosvy";
      e.action = "view_case";
      e.case_id = i % 2 ? "TH-2026-0192" : "TH-2026-0193";
      e.event_ids = {"0192d6c4-0000-7000-8000-00000000000" + std::to_string(i)};
      auto r = log_->Append(e);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->seq, static_cast<uint64_t>(i + 1));
    }
  }
  std::string Key(uint64_t seq) {
    std::string k(8, '\0');
    for (int i = 0; i < 8; ++i) k[i] = static_cast<char>(seq >> (56 - 8 * i));
    return k;
  }

  testutil::TempDir dir_;
  std::unique_ptr<NodeStore> store_;
  std::unique_ptr<AccessLog> log_;
};

TEST_F(AccessLogTest, AnIntactChainVerifiesAndFilters) {
  auto check = log_->Verify();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->entries, 5u);
  AccessFilter f;
  f.case_id = "TH-2026-0192";
  auto list = log_->List(f);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  for (const auto& e : *list) EXPECT_EQ(e.case_id, "TH-2026-0192");
}

TEST_F(AccessLogTest, AnEditedEntryIsNamed) {
  auto raw = store_->Get(Cf::kAccess, Key(3));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  std::string edited = **raw;
  auto pos = edited.find("officer-kh-0007");
  ASSERT_NE(pos, std::string::npos);
  edited.replace(pos, 15, "officer-kh-0008");
  WriteSet w;
  w.Put(Cf::kAccess, Key(3), edited);
  ASSERT_TRUE(store_->Write(w, true).ok());
  auto check = log_->Verify();
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->ok);
  EXPECT_EQ(check->first_bad_seq, 3u);
  EXPECT_NE(check->problem.find("edited"), std::string::npos);
}

TEST_F(AccessLogTest, ARemovedEntryOrTailIsNamed) {
  WriteSet w;
  w.Delete(Cf::kAccess, Key(2));
  ASSERT_TRUE(store_->Write(w, true).ok());
  auto check = log_->Verify();
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->ok);
  EXPECT_EQ(check->first_bad_seq, 2u);

  WriteSet restore_and_cut;
  auto last = store_->Get(Cf::kAccess, Key(5));
  ASSERT_TRUE(last.ok() && last->has_value());
  restore_and_cut.Delete(Cf::kAccess, Key(5));
  ASSERT_TRUE(store_->Write(restore_and_cut, true).ok());
  auto cut = log_->Verify();
  ASSERT_TRUE(cut.ok());
  EXPECT_FALSE(cut->ok);
}

}  // namespace
}  // namespace lintas::node
