// In-memory store for unit tests.
#include "lintas/store/memory_store.h"

#include <fmt/format.h>

namespace lintas::store {

uint64_t MemoryStore::next_offset() const {
  std::lock_guard lock(mu_);
  return log_.empty() ? 1 : log_.rbegin()->first + 1;
}

int64_t MemoryStore::last_received_at_us() const {
  std::lock_guard lock(mu_);
  return index_.empty() ? 0 : index_.rbegin()->second.received_at_us;
}

Status MemoryStore::Append(std::span<const AppendEntry> entries) {
  std::lock_guard lock(mu_);
  uint64_t expected = log_.empty() ? 1 : log_.rbegin()->first + 1;
  for (const auto& e : entries) {
    if (e.offset != expected++) {
      return Error{errc::invalid_append,
                   fmt::format("append at offset {} does not continue the log", e.offset)};
    }
  }
  for (const auto& e : entries) {
    log_[e.offset] = e.record;
    dedup_[e.event_id] = e.offset;
  }
  return OkStatus();
}

Status MemoryStore::WriteIndexes(std::span<const IndexEntry> entries) {
  std::lock_guard lock(mu_);
  uint64_t expected = index_watermark_ + 1;
  uint64_t end = log_.empty() ? 0 : log_.rbegin()->first;
  for (const auto& e : entries) {
    if (e.offset != expected++ || e.offset > end) {
      return Error{errc::invalid_append,
                   fmt::format("index entries for offset {} do not continue the indexes", e.offset)};
    }
  }
  for (const auto& e : entries) index_[e.offset] = e.index;
  if (!entries.empty()) index_watermark_ = entries.back().offset;
  return OkStatus();
}

uint64_t MemoryStore::index_watermark() const {
  std::lock_guard lock(mu_);
  return index_watermark_;
}

Result<std::optional<uint64_t>> MemoryStore::FindEvent(const wire::EventId& id) {
  std::lock_guard lock(mu_);
  auto it = dedup_.find(id);
  if (it == dedup_.end()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(it->second);
}

Status MemoryStore::FindEvents(std::span<const wire::EventId> ids,
                               std::vector<std::optional<uint64_t>>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  for (const auto& id : ids) {
    auto it = dedup_.find(id);
    out->push_back(it == dedup_.end() ? std::nullopt : std::optional<uint64_t>(it->second));
  }
  return OkStatus();
}

Result<std::optional<std::string>> MemoryStore::ReadRecord(uint64_t offset) {
  std::lock_guard lock(mu_);
  auto it = log_.find(offset);
  if (it == log_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryStore::Scan(Index index, std::string_view key, uint64_t after, size_t limit,
                         std::vector<ScanHit>* out) {
  std::lock_guard lock(mu_);
  if (after == UINT64_MAX) return OkStatus();
  size_t n = 0;
  if (index == Index::kLog) {
    for (auto it = log_.upper_bound(after); it != log_.end() && n < limit; ++it, ++n) {
      out->push_back({it->first, {}});
    }
    return OkStatus();
  }
  for (auto it = index_.upper_bound(after); it != index_.end() && n < limit; ++it) {
    const IndexKeys& k = it->second;
    bool match = false;
    ScanHit hit{it->first, {}};
    switch (index) {
      case Index::kLog: match = true; break;
      case Index::kInbox:
        match = k.inbox_nodes.contains(key);
        break;
      case Index::kDistributed:
        match = k.distribution.has_value();
        if (match) hit.value = *k.distribution;
        break;
      case Index::kCase: match = k.case_id == key; break;
      case Index::kOrigin: match = k.origin_country == key; break;
    }
    if (match) {
      out->push_back(std::move(hit));
      ++n;
    }
  }
  return OkStatus();
}

Status MemoryStore::ScanTime(int64_t from_us, int64_t to_us, uint64_t after, size_t limit,
                             std::vector<uint64_t>* out) {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto it = index_.upper_bound(after); it != index_.end() && n < limit; ++it) {
    int64_t t = it->second.received_at_us;
    if (t > to_us) break;
    if (t >= from_us) {
      out->push_back(it->first);
      ++n;
    }
  }
  return OkStatus();
}

Status MemoryStore::PutCursor(std::string_view name, const CursorState& state) {
  std::lock_guard lock(mu_);
  cursors_[std::string(name)] = state;
  return OkStatus();
}

Status MemoryStore::DeleteCursor(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = cursors_.find(name);
  if (it != cursors_.end()) cursors_.erase(it);
  return OkStatus();
}

Result<std::optional<CursorState>> MemoryStore::GetCursor(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = cursors_.find(name);
  if (it == cursors_.end()) return std::optional<CursorState>();
  return std::optional<CursorState>(it->second);
}

Status MemoryStore::PutLeafBlock(uint64_t block, std::string_view leaves) {
  std::lock_guard lock(mu_);
  leaf_blocks_[block] = std::string(leaves);
  return OkStatus();
}

Result<std::optional<std::string>> MemoryStore::ReadLeafBlock(uint64_t block) {
  std::lock_guard lock(mu_);
  auto it = leaf_blocks_.find(block);
  if (it == leaf_blocks_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryStore::ReadAccessLeaves(uint64_t first, size_t count, std::vector<std::string>* out) {
  std::lock_guard lock(mu_);
  for (uint64_t i = first; i < access_.size() && count > 0; ++i, --count) {
    out->push_back(access_[i].leaf);
  }
  return OkStatus();
}

Status MemoryStore::AppendAccess(std::span<const AccessEntry> entries) {
  std::lock_guard lock(mu_);
  uint64_t next = access_.size() + 1;
  for (const auto& e : entries) {
    if (e.seq != next++) {
      return Error{errc::invalid_append, "consultation records must continue the sequence"};
    }
  }
  access_.insert(access_.end(), entries.begin(), entries.end());
  return OkStatus();
}

uint64_t MemoryStore::access_size() const {
  std::lock_guard lock(mu_);
  return access_.size();
}

Status MemoryStore::ScanAccess(uint64_t after, size_t limit,
                               std::vector<std::pair<uint64_t, std::string>>* out) {
  std::lock_guard lock(mu_);
  for (uint64_t i = after; i < access_.size() && limit > 0; ++i, --limit) {
    out->emplace_back(access_[i].seq, access_[i].record);
  }
  return OkStatus();
}

Status MemoryStore::PutCheckpoint(uint64_t size, std::string_view bytes) {
  std::lock_guard lock(mu_);
  checkpoints_[size] = std::string(bytes);
  return OkStatus();
}

Result<std::optional<std::string>> MemoryStore::LatestCheckpoint() {
  std::lock_guard lock(mu_);
  if (checkpoints_.empty()) return std::optional<std::string>();
  return std::optional<std::string>(checkpoints_.rbegin()->second);
}

Status MemoryStore::SupersedeCheckpoints() {
  std::lock_guard lock(mu_);
  for (const auto& [size, bytes] : checkpoints_) {
    std::string key = "superseded_checkpoint/";
    for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(size >> shift));
    meta_[key] = bytes;
  }
  checkpoints_.clear();
  return OkStatus();
}

Status MemoryStore::PutMeta(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  meta_[std::string(key)] = std::string(value);
  return OkStatus();
}

Status MemoryStore::ScanMeta(std::string_view prefix, std::vector<std::pair<std::string, std::string>>* out) {
  std::lock_guard lock(mu_);
  for (auto it = meta_.lower_bound(prefix); it != meta_.end() && it->first.starts_with(prefix); ++it) {
    out->emplace_back(it->first, it->second);
  }
  return OkStatus();
}

Status MemoryStore::Sync() { return OkStatus(); }

}  // namespace lintas::store
