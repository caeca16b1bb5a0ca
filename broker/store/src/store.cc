// The Store interface's defaults: memory-only reads that always say
// would_block (a backend that cannot tell whether a read needs I/O), runs
// of record reads one by one, and a group commit made of the single writes.
#include "lintas/store/store.h"

namespace lintas::store {
namespace {

Error WouldBlock() { return Error{errc::would_block, "this store does not read from memory only"}; }

}  // namespace

Status Store::TryFindEvents(std::span<const wire::EventId>, std::vector<std::optional<uint64_t>>*) {
  return WouldBlock();
}

Result<std::optional<uint64_t>> Store::TryFindEvent(const wire::EventId&) { return WouldBlock(); }

Result<std::optional<std::string>> Store::TryReadRecord(uint64_t) { return WouldBlock(); }

Status Store::ReadRecords(std::span<const uint64_t> offsets, std::vector<std::optional<std::string>>* out) {
  out->clear();
  out->reserve(offsets.size());
  for (uint64_t offset : offsets) {
    auto record = ReadRecord(offset);
    if (!record.ok()) return std::move(record).error();
    out->push_back(std::move(*record));
  }
  return OkStatus();
}

Status Store::Commit(std::span<const AppendEntry> entries, const CommitWrites& writes) {
  if (!writes.access.empty()) {
    if (auto s = AppendAccess(writes.access); !s.ok()) return s;
  }
  for (const auto& [name, state] : writes.cursors) {
    if (auto s = state ? PutCursor(name, *state) : DeleteCursor(name); !s.ok()) return s;
  }
  if (writes.checkpoint) {
    if (auto s = PutCheckpoint(writes.checkpoint->first, writes.checkpoint->second); !s.ok()) return s;
  }
  return entries.empty() ? Sync() : Append(entries);
}

}  // namespace lintas::store
