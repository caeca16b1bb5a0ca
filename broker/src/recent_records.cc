// See recent_records.h.
#include "recent_records.h"

namespace lintas::broker {

void RecentRecords::Add(store::AppendEntry&& entry) {
  if (!entries_.empty() && entry.offset != entries_.back().offset + 1) Clear();
  Entry e;
  e.offset = entry.offset;
  e.record = ShareRecord(std::move(entry.record));
  e.inbox_nodes = std::move(entry.index.inbox_nodes);
  e.distribution = std::move(entry.index.distribution);
  bytes_ += e.record->size();
  entries_.push_back(std::move(e));
  while (bytes_ > max_bytes_ && entries_.size() > 1) {
    bytes_ -= entries_.front().record->size();
    entries_.pop_front();
  }
}

void RecentRecords::Clear() {
  entries_.clear();
  bytes_ = 0;
}

const RecentRecords::Entry* RecentRecords::Find(uint64_t offset) const {
  if (entries_.empty() || offset < first() || offset > last()) return nullptr;
  return &entries_[offset - first()];
}

uint64_t RecentRecords::Scan(const std::string& node, uint64_t position, size_t limit,
                             size_t budget, std::vector<store::ScanHit>* hits) const {
  uint64_t examined = position;
  for (uint64_t offset = position + 1; offset <= last() && hits->size() < limit && budget > 0;
       ++offset, --budget) {
    const Entry* e = Find(offset);
    if (e == nullptr) break;
    examined = offset;
    if (node.empty()) {
      if (e->distribution) hits->push_back({offset, *e->distribution});
    } else if (e->inbox_nodes.contains(node)) {
      hits->push_back({offset, {}});
    }
  }
  return examined;
}

}  // namespace lintas::broker
