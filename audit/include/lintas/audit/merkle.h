// Merkle trees over an append-only log (RFC 9162 section 2.1): the tree
// hash of a range of leaves, inclusion and consistency proofs, and their
// verification.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/audit/hash.h"
#include "lintas/common/result.h"

namespace lintas::audit {

// MTH(D[begin:end]) for some list of leaves D; may fail (a read error).
using RangeHasher = std::function<Result<Hash>(uint64_t begin, uint64_t end)>;

// The largest power of two smaller than n (n > 1).
uint64_t SplitPoint(uint64_t n);

// MTH over leaf hashes in memory (the definition; O(n)).
Hash RootOf(std::span<const Hash> leaves);

// PATH(index, D[0:size]): the audit path of leaf `index`, from the leaf's
// sibling up to the root's child. index < size.
Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size, const RangeHasher& range);

// PROOF(first, D[0:second]); empty for first == second or first == 0.
Result<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second,
                                           const RangeHasher& range);

// RFC 9162 2.1.3.2: whether `path` leads from `leaf` at `index` to `root`
// of a tree of `size` leaves.
bool VerifyInclusion(const Hash& leaf, uint64_t index, uint64_t size,
                     std::span<const Hash> path, const Hash& root);

// RFC 9162 2.1.4.2: whether the tree of `second` leaves with `second_root`
// extends the tree of `first` leaves with `first_root`.
bool VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root,
                       const Hash& second_root, std::span<const Hash> proof);

// Verifies many inclusion proofs against one root, remembering the last
// path proven so that proofs of neighbouring leaves stop early: once a proof
// reaches an inner node already proven, the rest of it must be, text for
// text, the rest of that proven path (an export in offset order costs about
// two hashes per leaf, not log n, and accepts exactly what full verification
// accepts). Not thread-safe; one per verification.
class InclusionVerifier {
 public:
  InclusionVerifier(uint64_t size, const Hash& root) : size_(size), root_(root) {}
  // `path_hex`: the proof as 64-character lower-case hex strings, the
  // leaf's sibling first.
  bool Verify(const Hash& leaf, uint64_t index, std::span<const std::string_view> path_hex);

 private:
  struct Node {
    uint64_t key = 0;      // right shifts << 56 | node index
    Hash hash{};
    std::string next_hex;  // the proof element that leads from it upwards
  };
  uint64_t size_;
  Hash root_;
  std::vector<Node> proven_;  // the last proven path, bottom up
  std::vector<Node> scratch_;  // the path being checked
};

}  // namespace lintas::audit
