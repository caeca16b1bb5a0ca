// An in-memory Store for unit tests: same contract, no durability.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "lintas/store/store.h"

namespace lintas::store {

// Thread safety: every method takes mu_.
class MemoryStore final : public Store {
 public:
  uint64_t next_offset() const override;
  int64_t last_received_at_us() const override;
  Status Append(std::span<const AppendEntry> entries) override;
  Status WriteIndexes(std::span<const IndexEntry> entries) override;
  uint64_t index_watermark() const override;
  Result<std::optional<uint64_t>> FindEvent(const wire::EventId& id) override;
  Status FindEvents(std::span<const wire::EventId> ids,
                    std::vector<std::optional<uint64_t>>* out) override;
  Result<std::optional<std::string>> ReadRecord(uint64_t offset) override;
  // Memory-only reads are the reads: this store never blocks.
  Status TryFindEvents(std::span<const wire::EventId> ids,
                       std::vector<std::optional<uint64_t>>* out) override {
    return FindEvents(ids, out);
  }
  Result<std::optional<uint64_t>> TryFindEvent(const wire::EventId& id) override { return FindEvent(id); }
  Result<std::optional<std::string>> TryReadRecord(uint64_t offset) override { return ReadRecord(offset); }
  Status Scan(Index index, std::string_view key, uint64_t after, size_t limit,
              std::vector<ScanHit>* out) override;
  Status ScanTime(int64_t from_us, int64_t to_us, uint64_t after, size_t limit,
                  std::vector<uint64_t>* out) override;
  Status PutCursor(std::string_view name, const CursorState& state) override;
  Status DeleteCursor(std::string_view name) override;
  Result<std::optional<CursorState>> GetCursor(std::string_view name) override;
  Status PutLeafBlock(uint64_t block, std::string_view leaves) override;
  Result<std::optional<std::string>> ReadLeafBlock(uint64_t block) override;
  Status ReadAccessLeaves(uint64_t first, size_t count, std::vector<std::string>* out) override;
  Status AppendAccess(std::span<const AccessEntry> entries) override;
  uint64_t access_size() const override;
  Status ScanAccess(uint64_t after, size_t limit,
                    std::vector<std::pair<uint64_t, std::string>>* out) override;
  Status PutCheckpoint(uint64_t size, std::string_view bytes) override;
  Result<std::optional<std::string>> LatestCheckpoint() override;
  Status SupersedeCheckpoints() override;
  Status PutMeta(std::string_view key, std::string_view value) override;
  Status ScanMeta(std::string_view prefix, std::vector<std::pair<std::string, std::string>>* out) override;
  Status Sync() override;
  Status ReopenAfterFailedWrite() override { return OkStatus(); }

 private:
  mutable std::mutex mu_;
  std::map<uint64_t, std::string> log_;                     // Guarded by mu_.
  std::map<uint64_t, IndexKeys> index_;                     // Guarded by mu_.
  uint64_t index_watermark_ = 0;                            // Guarded by mu_.
  std::map<wire::EventId, uint64_t> dedup_;                 // Guarded by mu_.
  std::map<std::string, CursorState, std::less<>> cursors_;  // Guarded by mu_.
  std::map<uint64_t, std::string> leaf_blocks_;             // Guarded by mu_.
  std::vector<AccessEntry> access_;                         // Guarded by mu_.
  std::map<uint64_t, std::string> checkpoints_;             // Guarded by mu_.
  std::map<std::string, std::string, std::less<>> meta_;    // Guarded by mu_.
};

}  // namespace lintas::store
