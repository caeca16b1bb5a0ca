// Symmetric keys: round trip, and what does not decrypt.
#include "lintas/seal/symmetric_key.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "lintas/seal/errc.h"

namespace lintas::seal {
namespace {

std::span<const uint8_t> Ad(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(SymmetricKeyTest, EncryptedWithAKeyOpensOnlyWithThatKeyAndAssociatedData) {
  ASSERT_GE(sodium_init(), 0);
  SymmetricKey key = SymmetricKey::Random();
  std::string box = Encrypt(key, "Canary-Pseudonym-Q7", Ad("event-1"));
  EXPECT_EQ(box.find("Canary"), std::string::npos);
  auto opened = Decrypt(key, box, Ad("event-1"));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, "Canary-Pseudonym-Q7");

  auto other_ad = Decrypt(key, box, Ad("event-2"));
  ASSERT_FALSE(other_ad.ok());
  EXPECT_EQ(other_ad.error().code, make_error_code(errc::tampered));
  EXPECT_FALSE(Decrypt(SymmetricKey::Random(), box, Ad("event-1")).ok());
  EXPECT_FALSE(Decrypt(key, box.substr(0, 10), Ad("event-1")).ok());
}

TEST(SymmetricKeyTest, AMovedKeyLeavesZerosBehindAndFromBytesChecksTheSize) {
  SymmetricKey key = SymmetricKey::Random();
  std::string bytes(key.view());
  SymmetricKey moved = std::move(key);
  EXPECT_EQ(std::string(moved.view()), bytes);
  EXPECT_EQ(std::string(key.view()), std::string(SymmetricKey::kBytes, '\0'));  // NOLINT(bugprone-use-after-move)
  auto back = SymmetricKey::FromBytes(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::string(back->view()), bytes);
  EXPECT_EQ(SymmetricKey::FromBytes("short").error().code, make_error_code(errc::key_unusable));
}

}  // namespace
}  // namespace lintas::seal
