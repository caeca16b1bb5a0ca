// Errors of the storage layer. rocksdb::Status never leaves broker/store.
#pragma once

#include <system_error>

namespace lintas::store {

enum class errc {
  success = 0,
  io_error = 1,       // the disk refused a read, write or sync
  corruption = 2,     // a checksum or format check failed
  invalid_append = 3,  // offsets that do not continue the log (a bug upstream)
  busy = 4,
  other = 5,
  would_block = 6,    // a memory-only read needs the disk: ask again from a thread that may block
  unavailable = 7,  // a replicated log did not answer (JetStream: no quorum, timeout)
  conflict = 8,     // the replicated log moved under this writer (another broker appended)
};

const std::error_category& StoreCategory();

inline std::error_code make_error_code(errc e) {  // NOLINT(readability-identifier-naming)
  return {static_cast<int>(e), StoreCategory()};
}

}  // namespace lintas::store

template <>
struct std::is_error_code_enum<lintas::store::errc> : std::true_type {};
