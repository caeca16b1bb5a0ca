// The broker's incremental MerkleLog against the definition (RFC 9162): its
// roots and its inclusion and consistency proofs equal those computed from
// the leaves in memory, across block boundaries.
#include <gtest/gtest.h>

#include "lintas/audit/merkle.h"
#include "lintas/audit/merkle_log.h"

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

// A leaf source over a vector, as the store would be.
class VectorSource : public LeafSource {
 public:
  explicit VectorSource(const std::vector<Hash>* leaves) : leaves_(leaves) {}
  Status ReadLeaves(uint64_t first, size_t count, std::vector<Hash>* out) override {
    ++reads;
    for (uint64_t i = first; i < first + count && i < leaves_->size(); ++i) out->push_back((*leaves_)[i]);
    return OkStatus();
  }
  int reads = 0;

 private:
  const std::vector<Hash>* leaves_;
};

TEST(MerkleTest, TheIncrementalLogAgreesWithTheDefinitionAcrossBlocks) {
  auto leaves = Leaves(3 * MerkleLog::kBlock + 77);
  VectorSource source(&leaves);
  MerkleLog log(&source);
  for (const auto& l : leaves) log.Append(l);
  ASSERT_EQ(log.size(), leaves.size());
  for (uint64_t size : {1ul, 255ul, 256ul, 257ul, 512ul, 700ul, 768ul, leaves.size()}) {
    auto root = log.Root(size);
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(*root, RootOf(std::span(leaves).first(size))) << size;
    for (uint64_t i : {0ul, size / 2, size - 1}) {
      auto path = log.Inclusion(i, size);
      ASSERT_TRUE(path.ok());
      EXPECT_EQ(*path, *InclusionProof(i, size, InMemory(leaves)));
    }
    for (uint64_t m : {1ul, 100ul, 256ul, 300ul}) {
      if (m > size) continue;
      auto proof = log.Consistency(m, size);
      ASSERT_TRUE(proof.ok());
      EXPECT_EQ(*proof, *ConsistencyProof(m, size, InMemory(leaves)));
    }
  }
}

}  // namespace
}  // namespace lintas::audit
