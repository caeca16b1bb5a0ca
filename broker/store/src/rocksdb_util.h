// What the RocksDB store's source files share: status translation, slices,
// the cursor encoding and a few keys. Internal to lintas::store.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include "keys.h"
#include "lintas/common/logging.h"
#include "lintas/store/errc.h"
#include "lintas/store/store.h"

namespace lintas::store {

inline std::shared_ptr<spdlog::logger> StoreLog() { return GetLogger("store"); }

inline Error Translate(const rocksdb::Status& s, std::string_view what) {
  errc code = errc::other;
  if (s.IsIOError()) code = errc::io_error;
  if (s.IsCorruption()) code = errc::corruption;
  if (s.IsBusy() || s.IsTryAgain()) code = errc::busy;
  if (s.IsIncomplete()) code = errc::would_block;  // a memory-only read needs I/O
  return Error{code, fmt::format("{}: {}", what, s.ToString())};
}

inline rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStringView(const rocksdb::Slice& s) { return s.ToStringView(); }

// What an appended record adds to a WriteBatch besides its bytes: two
// entries' tags, column families, varint lengths, an 8-byte offset key, a
// 16-byte event id and its 8-byte value (a bound, not exact).
constexpr size_t kAppendOverheadBytes = 64;

// meta key of the index watermark.
constexpr std::string_view kIndexWatermarkKey = "index_watermark";
// meta key of the segments' mark: the last offset whose frame is known
// durable and the consultation log's size then (RocksDbStore::EncodeSegmentMark).
constexpr std::string_view kSegmentsSyncedThroughKey = "segments_synced_through";

inline std::string EncodeCursor(const CursorState& state) {
  std::string out = keys::Be64(state.acked_offset);
  out.append(state.filter);
  return out;
}

}  // namespace lintas::store
