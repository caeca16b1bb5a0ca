// The records most recently committed, kept in memory so that live
// deliveries (a subscriber following the log) read no store. Internal to
// lintas::broker.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "lintas/store/store.h"
#include "shared_record.h"

namespace lintas::broker {

// Operation: the loop adds each committed entry, in offset order, once its
// group commit is durable; the oldest entries go when the records' bytes pass
// `max_bytes`. An entry that does not continue the last offset restarts the
// cache there (after a failed commit the loop clears it). Lookups are O(1) by
// offset. What it holds is exactly what the store's log and its inbox and
// distributed indexes hold for those offsets.
//
// Ownership: shares the records (delivery holds them too). Thread safety: none; the loop thread
// only. Limitations: only live deliveries hit it; a subscriber catching up
// from further back reads the store.
class RecentRecords {
 public:
  struct Entry {
    uint64_t offset = 0;
    SharedRecord record;                      // the StoredRecord buffer
    store::NodeList inbox_nodes;              // whose inboxes it is in
    std::optional<std::string> distribution;  // its encoded summary, if distributed
  };

  // Default: 16 MiB of records (at 1 KB events, the last ~14,000 events:
  // a fifth of a second at 70k events/s, ample for a subscriber that follows).
  explicit RecentRecords(size_t max_bytes = 16u << 20) : max_bytes_(max_bytes) {}

  // Takes a committed entry's record and index keys.
  void Add(store::AppendEntry&& entry);
  void Clear();

  // The entry at `offset`, or null when it is not held.
  const Entry* Find(uint64_t offset) const;
  // First and last offsets held; 0 when empty.
  uint64_t first() const { return entries_.empty() ? 0 : entries_.front().offset; }
  uint64_t last() const { return entries_.empty() ? 0 : entries_.back().offset; }
  size_t bytes() const { return bytes_; }

  // Up to `limit` hits after `position` for a node's inbox (`node` set) or for
  // the distributed index (`node` empty), examining at most `budget` entries,
  // as store::Store::Scan would give them. Requires first() <= position + 1.
  // Returns the last offset examined (`position` if none).
  uint64_t Scan(const std::string& node, uint64_t position, size_t limit, size_t budget,
                std::vector<store::ScanHit>* hits) const;

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::deque<Entry> entries_;
};

}  // namespace lintas::broker
