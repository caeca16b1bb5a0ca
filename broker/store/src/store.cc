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

}  // namespace lintas::store
