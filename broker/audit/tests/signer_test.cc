// Checkpoints signed by the broker's Signer round-trip, and their signatures
// bind every byte.
#include <gtest/gtest.h>

#include "lintas/audit/checkpoint.h"
#include "lintas/audit/hash.h"
#include "lintas/audit/signer.h"

namespace lintas::audit {
namespace {

TEST(CheckpointTest, RoundTripsAndTheSignatureBindsEveryByte) {
  Checkpoint c{"lintas-broker", 1234, LeafHash("a"), 56, LeafHash("b"), 1790000000000000};
  auto parsed = Checkpoint::Parse(c.Body());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->Body(), c.Body());
  Signer signer = Signer::Generate();
  SignedCheckpoint s = signer.Sign(c);
  EXPECT_TRUE(VerifySignature(s.body, s.signature, signer.public_key()));
  std::string altered = s.body;
  altered[altered.find("1234")] = '2';
  EXPECT_FALSE(VerifySignature(altered, s.signature, signer.public_key()));
  EXPECT_FALSE(VerifySignature(s.body, s.signature, Signer::Generate().public_key()));
  EXPECT_FALSE(Checkpoint::Parse("lintas-checkpoint/1\nsize 1\n").ok());
  auto key = KeyFromBase64(KeyToBase64(signer.public_key()));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, signer.public_key());
}

}  // namespace
}  // namespace lintas::audit
