// NodeList: the node ids whose inboxes hold a record, or the parties of an
// event. Built, copied (to the index thread, into the facts a reply is judged
// by) and destroyed for every published event, and nearly always one or two
// long: up to two are held inline, so that the common event costs no
// allocation for them; a longer list moves them all to the heap.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lintas::store {

// A value type with std::vector's contiguous iteration (begin() and end()
// are pointers, so std::sort and std::unique apply).
// Thread safety: as std::vector (const methods from several threads).
class NodeList {
 public:
  NodeList() = default;
  NodeList(std::initializer_list<std::string> ids) {
    for (const auto& id : ids) push_back(id);
  }
  NodeList(const std::vector<std::string>& ids) {  // NOLINT: implicit, as a vector converts
    for (const auto& id : ids) push_back(id);
  }
  NodeList(const NodeList&) = default;
  NodeList& operator=(const NodeList&) = default;
  // A moved-from list is empty, as a moved-from vector.
  NodeList(NodeList&& other) noexcept
      : inline_(std::move(other.inline_)), spill_(std::move(other.spill_)), size_(std::exchange(other.size_, 0)) {
    other.spill_.clear();
  }
  NodeList& operator=(NodeList&& other) noexcept {
    if (this != &other) {
      inline_ = std::move(other.inline_);
      spill_ = std::move(other.spill_);
      size_ = std::exchange(other.size_, 0);
      other.spill_.clear();
    }
    return *this;
  }

  void push_back(std::string id) {
    if (size_ < kInline) {
      inline_[size_++] = std::move(id);
      return;
    }
    if (spill_.empty()) {
      spill_.reserve(2 * kInline);
      for (auto& held : inline_) spill_.push_back(std::move(held));
    }
    spill_.push_back(std::move(id));
    ++size_;
  }
  // Keeps the first `n` (n <= size()). Back to two or fewer, the ids move
  // inline (pointers to them change, unlike vector::erase).
  void truncate(size_t n) {
    if (n >= size_) return;
    if (!spill_.empty()) {
      spill_.resize(n);
      if (n <= kInline) {
        for (size_t i = 0; i < n; ++i) inline_[i] = std::move(spill_[i]);
        spill_.clear();
      }
    }
    for (size_t i = n; i < kInline; ++i) inline_[i].clear();  // nothing dropped is copied along
    size_ = static_cast<uint32_t>(n);
  }
  void clear() { truncate(0); }

  std::string* begin() { return spill_.empty() ? inline_.data() : spill_.data(); }
  std::string* end() { return begin() + size_; }
  const std::string* begin() const { return spill_.empty() ? inline_.data() : spill_.data(); }
  const std::string* end() const { return begin() + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::string& operator[](size_t i) const { return begin()[i]; }
  bool contains(std::string_view id) const { return std::find(begin(), end(), id) != end(); }

  friend bool operator==(const NodeList& a, const NodeList& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const NodeList& a, const std::vector<std::string>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend std::ostream& operator<<(std::ostream& out, const NodeList& list) {
    out << '[';
    for (size_t i = 0; i < list.size(); ++i) out << (i > 0 ? ", " : "") << list[i];
    return out << ']';
  }

 private:
  static constexpr size_t kInline = 2;
  std::array<std::string, kInline> inline_;  // the ids while size_ <= kInline
  std::vector<std::string> spill_;            // all of them once there are more
  uint32_t size_ = 0;
};

}  // namespace lintas::store
