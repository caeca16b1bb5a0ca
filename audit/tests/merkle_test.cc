// The Merkle tree algorithms against the definition (RFC 9162): every
// inclusion and consistency proof of small trees verifies; any changed byte,
// index or size makes it fail. (The broker's incremental MerkleLog and the
// checkpoint signatures are tested in broker/audit/tests.)
#include <gtest/gtest.h>

#include "lintas/audit/hash.h"
#include "lintas/audit/merkle.h"

namespace lintas::audit {
namespace {

std::vector<Hash> Leaves(size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) out.push_back(LeafHash("record " + std::to_string(i)));
  return out;
}

RangeHasher InMemory(const std::vector<Hash>& leaves) {
  return [&leaves](uint64_t b, uint64_t e) -> Result<Hash> {
    return RootOf(std::span(leaves).subspan(b, e - b));
  };
}

TEST(MerkleTest, KnownRootsFollowTheDefinition) {
  EXPECT_EQ(ToHex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 6962 leaf hash of the empty string: SHA-256(0x00).
  EXPECT_EQ(ToHex(LeafHash(std::string_view())),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  auto l = Leaves(3);
  EXPECT_EQ(RootOf(l), NodeHash(NodeHash(l[0], l[1]), l[2]));
}

TEST(MerkleTest, EveryInclusionProofOfSmallTreesVerifiesAndNothingElseDoes) {
  auto leaves = Leaves(40);
  for (uint64_t size = 1; size <= leaves.size(); ++size) {
    std::vector<Hash> prefix(leaves.begin(), leaves.begin() + size);
    Hash root = RootOf(prefix);
    for (uint64_t i = 0; i < size; ++i) {
      auto path = InclusionProof(i, size, InMemory(leaves));
      ASSERT_TRUE(path.ok());
      EXPECT_TRUE(VerifyInclusion(leaves[i], i, size, *path, root)) << i << "/" << size;
      if (size > 1) {
        EXPECT_FALSE(VerifyInclusion(leaves[i], (i + 1) % size, size, *path, root));
        EXPECT_FALSE(VerifyInclusion(leaves[(i + 1) % size], i, size, *path, root));
        auto bad = *path;
        bad[0][7] ^= 1;
        EXPECT_FALSE(VerifyInclusion(leaves[i], i, size, bad, root));
      }
      EXPECT_FALSE(VerifyInclusion(leaves[i], i + size, size, *path, root));
    }
  }
}

TEST(MerkleTest, EveryConsistencyProofOfSmallTreesVerifies) {
  auto leaves = Leaves(40);
  std::vector<Hash> roots{EmptyRoot()};
  for (size_t n = 1; n <= leaves.size(); ++n) roots.push_back(RootOf(std::span(leaves).first(n)));
  for (uint64_t m = 1; m <= leaves.size(); ++m) {
    for (uint64_t n = m; n <= leaves.size(); ++n) {
      auto proof = ConsistencyProof(m, n, InMemory(leaves));
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(VerifyConsistency(m, n, roots[m], roots[n], *proof)) << m << "->" << n;
      if (m < n) {
        // Another history of the same size is not consistent.
        Hash forged = roots[m];
        forged[0] ^= 1;
        EXPECT_FALSE(VerifyConsistency(m, n, forged, roots[n], *proof));
        EXPECT_FALSE(VerifyConsistency(m, n, roots[m], roots[n - 1], *proof));
      }
    }
  }
}

TEST(MerkleTest, TheVerifierShortcutAcceptsExactlyWhatFullVerificationAccepts) {
  auto leaves = Leaves(1000);
  Hash root = RootOf(leaves);
  InclusionVerifier verifier(leaves.size(), root);
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    auto path = *InclusionProof(i, leaves.size(), InMemory(leaves));
    std::vector<std::string> hex;
    for (const auto& h : path) hex.push_back(ToHex(h));
    std::vector<std::string_view> views(hex.begin(), hex.end());
    ASSERT_TRUE(verifier.Verify(leaves[i], i, views)) << i;
    // An altered leaf fails even when its neighbours were proven.
    Hash bad = leaves[i];
    bad[3] ^= 0x40;
    ASSERT_FALSE(verifier.Verify(bad, i, views)) << i;
    // So does a proof cut short, or with a changed element above the point
    // where it meets the proven path.
    if (views.size() > 2) {
      std::vector<std::string_view> cut(views.begin(), views.end() - 1);
      ASSERT_FALSE(verifier.Verify(leaves[i], i, cut)) << i;
      std::string changed = hex.back();
      changed[0] = changed[0] == '0' ? '1' : '0';
      std::vector<std::string_view> altered = views;
      altered.back() = changed;
      ASSERT_FALSE(verifier.Verify(leaves[i], i, altered)) << i;
    }
  }
}

TEST(EncodingTest, Base64RoundTripsAndRefusesGarbage) {
  for (size_t n = 0; n < 10; ++n) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i) bytes += static_cast<char>(i * 37 + 200);
    auto back = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, bytes);
  }
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(Base64Decode("aGV$bG8=").has_value());
  EXPECT_FALSE(Base64Decode("aGVsbG8").has_value());
}

}  // namespace
}  // namespace lintas::audit
