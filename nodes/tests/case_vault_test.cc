// Per-case keys: one key per case however it is asked for, copies that open
// only while the key exists, and an erasure that no later key undoes.
#include "lintas/node/case_vault.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "lintas/node/errc.h"
#include "testutil/temp_dir.h"

namespace lintas::node {
namespace {

class CaseVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    auto s = NodeStore::Open(dir_.Sub("node"));
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    vault_ = std::make_unique<CaseVault>(store_.get());
  }
  wire::EventId Id() { return ids_.Next(); }

  testutil::TempDir dir_;
  wire::EventIdGenerator ids_;
  std::unique_ptr<NodeStore> store_;
  std::unique_ptr<CaseVault> vault_;
};

TEST_F(CaseVaultTest, ANewCaseKeyIsHandedOutOnceUntilItsWriteSettlesAndThenComesFromTheStore) {
  WriteSet writes;
  auto first = vault_->KeyFor("TH-2026-0192", &writes);
  auto again = vault_->KeyFor("TH-2026-0192", &writes);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->view(), again->view());
  EXPECT_EQ(writes.size(), 1u);  // one key, written once
  ASSERT_TRUE(store_->Write(writes, true).ok());
  vault_->Settled();
  WriteSet none;
  auto stored = vault_->KeyFor("TH-2026-0192", &none);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->view(), first->view());
  EXPECT_TRUE(none.empty());
}

TEST_F(CaseVaultTest, AKeyWhoseWriteFailedIsNotHandedOutAgain) {
  WriteSet lost;
  auto first = vault_->KeyFor("TH-2026-0193", &lost);
  ASSERT_TRUE(first.ok());
  vault_->Settled();  // the caller's write never happened
  WriteSet writes;
  auto second = vault_->KeyFor("TH-2026-0193", &writes);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->view(), first->view());
  EXPECT_EQ(writes.size(), 1u);  // the new key goes into the new write
  vault_->Settled();
}

TEST_F(CaseVaultTest, AnOutboxCopyOpensWhileTheCaseHasItsKeyAndIsErasedAfter) {
  wire::EventId id = Id();
  WriteSet writes;
  auto copy = vault_->SealCopy("TH-2026-0194", id, "LNTE the event naming V-TEST-0194", &writes);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->find("V-TEST-0194"), std::string::npos);
  EXPECT_TRUE(CaseVault::IsSealedCopy(*copy));
  EXPECT_EQ(*CaseVault::CopyId(*copy), id);
  ASSERT_TRUE(store_->Write(writes, true).ok());
  vault_->Settled();
  auto opened = vault_->OpenCopy(*copy);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, "LNTE the event naming V-TEST-0194");
  // Other bytes pass through.
  EXPECT_EQ(*vault_->OpenCopy("LNTE plain"), "LNTE plain");

  WriteSet erase;
  nlohmann::json tombstone{{"case_id", "TH-2026-0194"}, {"at_us", 1793491200000000},
                           {"by", {{"country", "THA"}, {"agency", "th-rtp-atpd"}}}, {"reason", "request"}};
  ASSERT_TRUE(vault_->Erase("TH-2026-0194", tombstone, &erase).ok());
  ASSERT_TRUE(store_->Write(erase, true).ok());
  auto gone = vault_->OpenCopy(*copy);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, make_error_code(errc::erased));
  EXPECT_NE(gone.error().message.find("THA/th-rtp-atpd"), std::string::npos) << gone.error().message;
  // The case never gets a key again, and the shred is pending.
  WriteSet later;
  EXPECT_EQ(vault_->KeyFor("TH-2026-0194", &later).error().code, make_error_code(errc::erased));
  auto pending = store_->Get(Cf::kVault, std::string(kShredPendingKey));
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->has_value());
}

TEST_F(CaseVaultTest, AContentKeyKeptUnderTheCaseKeyComesBackAndGoesWithTheErasure) {
  wire::EventId id = Id();
  seal::SymmetricKey content = seal::SymmetricKey::Random();
  WriteSet writes;
  ASSERT_TRUE(vault_->KeepContentKey("TH-2026-0195", id, content, &writes).ok());
  ASSERT_TRUE(store_->Write(writes, true).ok());
  vault_->Settled();
  auto kept = vault_->ContentKey("TH-2026-0195", id);
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->view(), content.view());
  auto other = vault_->ContentKey("TH-2026-0195", Id());
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());

  WriteSet erase;
  ASSERT_TRUE(vault_->Erase("TH-2026-0195", {{"case_id", "TH-2026-0195"}}, &erase).ok());
  ASSERT_TRUE(store_->Write(erase, true).ok());
  EXPECT_EQ(vault_->ContentKey("TH-2026-0195", id).error().code, make_error_code(errc::erased));
  // No content key of the case is left in the store.
  auto left = store_->Scan(Cf::kVault, "c/TH-2026-0195", 10);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
  // A second erasure keeps the first record.
  WriteSet again;
  ASSERT_TRUE(vault_->Erase("TH-2026-0195", {{"case_id", "TH-2026-0195"}, {"reason", "again"}}, &again).ok());
  EXPECT_TRUE(again.empty());
}

}  // namespace
}  // namespace lintas::node
