// RFC 9162 Merkle tree algorithms.
#include "lintas/audit/merkle.h"

#include <algorithm>

#include <system_error>

namespace lintas::audit {

uint64_t SplitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

Hash RootOf(std::span<const Hash> leaves) {
  if (leaves.empty()) return EmptyRoot();
  if (leaves.size() == 1) return leaves[0];
  uint64_t k = SplitPoint(leaves.size());
  return NodeHash(RootOf(leaves.subspan(0, k)), RootOf(leaves.subspan(k)));
}

namespace {

Status Path(uint64_t index, uint64_t begin, uint64_t end, const RangeHasher& range,
            std::vector<Hash>* out) {
  uint64_t n = end - begin;
  if (n <= 1) return OkStatus();
  uint64_t k = SplitPoint(n);
  if (index < begin + k) {
    if (auto s = Path(index, begin, begin + k, range, out); !s.ok()) return s;
    auto h = range(begin + k, end);
    if (!h.ok()) return h.error();
    out->push_back(*h);
  } else {
    if (auto s = Path(index, begin + k, end, range, out); !s.ok()) return s;
    auto h = range(begin, begin + k);
    if (!h.ok()) return h.error();
    out->push_back(*h);
  }
  return OkStatus();
}

Status SubProof(uint64_t m, uint64_t begin, uint64_t end, bool complete, const RangeHasher& range,
                std::vector<Hash>* out) {
  uint64_t n = end - begin;
  if (m == n) {
    if (!complete) {
      auto h = range(begin, end);
      if (!h.ok()) return h.error();
      out->push_back(*h);
    }
    return OkStatus();
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    if (auto s = SubProof(m, begin, begin + k, complete, range, out); !s.ok()) return s;
    auto h = range(begin + k, end);
    if (!h.ok()) return h.error();
    out->push_back(*h);
  } else {
    if (auto s = SubProof(m - k, begin + k, end, false, range, out); !s.ok()) return s;
    auto h = range(begin, begin + k);
    if (!h.ok()) return h.error();
    out->push_back(*h);
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size, const RangeHasher& range) {
  if (index >= size) {
    return Error{std::make_error_code(std::errc::invalid_argument), "leaf index beyond the tree size"};
  }
  std::vector<Hash> out;
  if (auto s = Path(index, 0, size, range, &out); !s.ok()) return s.error();
  return out;
}

Result<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second,
                                           const RangeHasher& range) {
  if (first > second) {
    return Error{std::make_error_code(std::errc::invalid_argument), "the first tree is larger than the second"};
  }
  std::vector<Hash> out;
  if (first == 0 || first == second) return out;
  if (auto s = SubProof(first, 0, second, true, range, &out); !s.ok()) return s.error();
  return out;
}

bool VerifyInclusion(const Hash& leaf, uint64_t index, uint64_t size, std::span<const Hash> path,
                     const Hash& root) {
  if (index >= size) return false;
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root,
                       const Hash& second_root, std::span<const Hash> proof) {
  if (first > second) return false;
  if (first == second) return proof.empty() && first_root == second_root;
  if (first == 0) return proof.empty();
  if (proof.empty()) return false;
  std::vector<Hash> path(proof.begin(), proof.end());
  if ((first & (first - 1)) == 0) path.insert(path.begin(), first_root);
  uint64_t fn = first - 1;
  uint64_t sn = second - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == first_root && sr == second_root;
}

bool InclusionVerifier::Verify(const Hash& leaf, uint64_t index,
                               std::span<const std::string_view> path_hex) {
  if (index >= size_) return false;
  uint64_t fn = index;
  uint64_t sn = size_ - 1;
  uint64_t shifts = 0;
  Hash r = leaf;
  std::vector<Node>& seen = scratch_;  // reused: no allocation per proof
  size_t n_seen = 0;
  auto shift = [&] {
    fn >>= 1;
    sn >>= 1;
    ++shifts;
  };
  for (size_t i = 0; i < path_hex.size(); ++i) {
    if (sn == 0) return false;
    std::optional<Hash> p = FromHex(path_hex[i]);
    // Lower-case hex only: the rest of a path is compared as text below.
    if (!p || std::any_of(path_hex[i].begin(), path_hex[i].end(),
                          [](char c) { return c >= 'A' && c <= 'F'; })) {
      return false;
    }
    if (n_seen > 0) seen[n_seen - 1].next_hex.assign(path_hex[i]);
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(*p, r);
      while ((fn & 1) == 0 && fn != 0) shift();
    } else {
      r = NodeHash(r, *p);
    }
    shift();
    uint64_t key = shifts << 56 | fn;
    // Reached a node of the last proven path?
    for (size_t j = 0; j < proven_.size(); ++j) {
      if (proven_[j].key != key) continue;
      if (proven_[j].hash != r) return false;
      size_t rest = path_hex.size() - i - 1;
      if (rest != proven_.size() - 1 - j) return false;
      for (size_t k = 0; k < rest; ++k) {
        if (path_hex[i + 1 + k] != proven_[j + k].next_hex) return false;
      }
      // The new lower part, then the proven part from the meeting node up.
      proven_.erase(proven_.begin(), proven_.begin() + static_cast<ptrdiff_t>(j));
      proven_.insert(proven_.begin(), std::make_move_iterator(seen.begin()),
                     std::make_move_iterator(seen.begin() + static_cast<ptrdiff_t>(n_seen)));
      return true;
    }
    if (seen.size() <= n_seen) seen.emplace_back();
    seen[n_seen].key = key;
    seen[n_seen].hash = r;
    seen[n_seen].next_hex.clear();
    ++n_seen;
  }
  if (sn != 0 || r != root_) return false;
  proven_.assign(std::make_move_iterator(seen.begin()),
                 std::make_move_iterator(seen.begin() + static_cast<ptrdiff_t>(n_seen)));
  return true;
}

}  // namespace lintas::audit
