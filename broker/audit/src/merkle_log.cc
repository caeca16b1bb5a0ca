// The incremental Merkle tree.
#include "lintas/audit/merkle_log.h"

#include <bit>
#include <system_error>

namespace lintas::audit {
namespace {

// Every level of a complete block: levels[0] = leaves, levels[8] = root.
std::vector<std::vector<Hash>> Levels(std::vector<Hash> leaves) {
  std::vector<std::vector<Hash>> levels;
  levels.push_back(std::move(leaves));
  while (levels.back().size() > 1) {
    const auto& below = levels.back();
    std::vector<Hash> up(below.size() / 2);
    for (size_t i = 0; i < up.size(); ++i) up[i] = NodeHash(below[2 * i], below[2 * i + 1]);
    levels.push_back(std::move(up));
  }
  return levels;
}

}  // namespace

void MerkleLog::Append(const Hash& leaf) {
  tail_.push_back(leaf);
  ++size_;
  if (tail_.size() < kBlock) return;
  // A block is complete: its root goes up, and carries while pairs complete.
  Hash root = Levels(std::move(tail_)).back()[0];
  tail_.clear();
  size_t h = 0;
  for (;;) {
    if (upper_.size() <= h) upper_.emplace_back();
    upper_[h].push_back(root);
    if (upper_[h].size() % 2 != 0) break;
    root = NodeHash(upper_[h][upper_[h].size() - 2], upper_[h].back());
    ++h;
  }
}

void MerkleLog::Clear() {
  size_ = 0;
  upper_.clear();
  tail_.clear();
  cached_block_ = UINT64_MAX;
  cached_levels_.clear();
}

Result<const std::vector<Hash>*> MerkleLog::BlockLeaves(uint64_t block) {
  if (block == size_ / kBlock) return &tail_;
  if (cached_block_ != block) {
    std::vector<Hash> leaves;
    leaves.reserve(kBlock);
    if (source_ == nullptr) {
      return Error{std::make_error_code(std::errc::not_supported), "no leaf source"};
    }
    if (auto s = source_->ReadLeaves(block * kBlock, kBlock, &leaves); !s.ok()) return s.error();
    if (leaves.size() != kBlock) {
      return Error{std::make_error_code(std::errc::io_error),
                   "leaves of a complete block are missing from the store"};
    }
    cached_levels_ = Levels(std::move(leaves));
    cached_block_ = block;
  }
  return &cached_levels_[0];
}

Result<Hash> MerkleLog::RangeHash(uint64_t begin, uint64_t end) {
  if (end > size_ || begin >= end) {
    return Error{std::make_error_code(std::errc::invalid_argument), "range outside the tree"};
  }
  uint64_t n = end - begin;
  bool aligned = std::has_single_bit(n) && begin % n == 0;
  uint64_t complete = size_ / kBlock * kBlock;  // leaves in complete blocks
  if (aligned && n >= kBlock && end <= complete) {
    size_t h = static_cast<size_t>(std::countr_zero(n / kBlock));
    return upper_[h][begin / n];
  }
  uint64_t block = begin / kBlock;
  if ((end - 1) / kBlock == block) {
    auto leaves = BlockLeaves(block);
    if (!leaves.ok()) return leaves.error();
    uint64_t first = begin - block * kBlock;
    if (aligned && end <= complete && cached_block_ == block) {
      return cached_levels_[std::countr_zero(n)][first / n];
    }
    return RootOf(std::span(**leaves).subspan(first, n));
  }
  uint64_t k = SplitPoint(n);
  auto left = RangeHash(begin, begin + k);
  if (!left.ok()) return left;
  auto right = RangeHash(begin + k, end);
  if (!right.ok()) return right;
  return NodeHash(*left, *right);
}

Result<std::vector<Hash>> MerkleLog::Inclusion(uint64_t index, uint64_t size) {
  if (size > size_) {
    return Error{std::make_error_code(std::errc::invalid_argument), "size beyond the tree"};
  }
  return InclusionProof(index, size, Hasher());
}

Result<std::vector<Hash>> MerkleLog::Consistency(uint64_t first, uint64_t second) {
  if (second > size_) {
    return Error{std::make_error_code(std::errc::invalid_argument), "size beyond the tree"};
  }
  return ConsistencyProof(first, second, Hasher());
}

}  // namespace lintas::audit
