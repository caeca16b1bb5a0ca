// The broker's incremental Merkle tree over one append-only log. Appending a
// leaf costs about two hashes; the tree hash of any range, and so any
// inclusion or consistency proof, costs O(log n) lookups plus at most a few
// blocks of 256 leaves read back from the store.
#pragma once

#include <cstdint>
#include <vector>

#include "lintas/audit/hash.h"
#include "lintas/audit/merkle.h"
#include "lintas/common/result.h"

namespace lintas::audit {

// Where the leaves of complete blocks are read back from (the store).
class LeafSource {
 public:
  virtual ~LeafSource() = default;
  // Leaves [first, first + count) (0-based) into `out`, in order.
  [[nodiscard]] virtual Status ReadLeaves(uint64_t first, size_t count,
                                          std::vector<Hash>* out) = 0;
};

// Keeps in memory the roots of every complete aligned block of 256 leaves
// and of every complete aligned subtree above them (about n/4 bytes for n
// leaves), the leaves of the block being filled, and one recently read
// block. Ownership: borrows `source`, which must outlive it.
// Thread safety: not thread-safe; the broker's loop thread owns it.
class MerkleLog {
 public:
  static constexpr uint64_t kBlock = 256;

  explicit MerkleLog(LeafSource* source) : source_(source) {}

  void Append(const Hash& leaf);
  uint64_t size() const { return size_; }
  void Clear();

  // MTH(D[begin:end]), end <= size().
  Result<Hash> RangeHash(uint64_t begin, uint64_t end);
  // The root of the first `size` leaves (size <= size()).
  Result<Hash> Root(uint64_t size) { return size == 0 ? Result<Hash>(EmptyRoot()) : RangeHash(0, size); }
  Result<std::vector<Hash>> Inclusion(uint64_t index, uint64_t size);
  Result<std::vector<Hash>> Consistency(uint64_t first, uint64_t second);

 private:
  Result<const std::vector<Hash>*> BlockLeaves(uint64_t block);
  RangeHasher Hasher() {
    return [this](uint64_t b, uint64_t e) { return RangeHash(b, e); };
  }

  LeafSource* source_;
  uint64_t size_ = 0;
  // upper_[h][i]: the root of leaves [i * 256 << h, (i + 1) * 256 << h).
  std::vector<std::vector<Hash>> upper_;
  std::vector<Hash> tail_;  // leaves of the incomplete last block
  // One complete block read back: its leaves and every level above them.
  uint64_t cached_block_ = UINT64_MAX;
  std::vector<std::vector<Hash>> cached_levels_;
};

}  // namespace lintas::audit
