// The Store interface's default memory-only reads: a backend that cannot
// tell whether a read needs I/O always says would_block.
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

}  // namespace lintas::store
