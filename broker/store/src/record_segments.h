// Record bodies in append-only segment files beside the RocksDB database, so
// that RocksDB holds a 40-byte pointer per record instead of the record: no
// WAL checksum, memtable copy, flush, compression or compaction of bodies.
// Internal to lintas::store (RocksDbStore's).
//
// Layout: <db>/segments/<20-digit number>.seg, numbered from 1; a new one at
// every open and when the current one passes segment_bytes. A frame is a
// 24-byte header (little-endian: "LSF1", body length u32, offset u64,
// CRC-32C u32 of the header's first 16 bytes and the body, 4 zero bytes) and
// the body. A record's frame is named by a pointer (SegmentPointer), which is
// what the log family stores; a frame no pointer names (a commit that failed
// or never reached RocksDB) is dead space.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/store/store.h"

namespace rocksdb {
class FileSystem;
class FSDirectory;
class FSWritableFile;
}  // namespace rocksdb

namespace lintas::store {

constexpr size_t kFrameHeaderBytes = 24;
// The largest record a frame holds (the broker's frames are far smaller): a
// pointer naming a longer one is damaged.
constexpr size_t kMaxFrameBody = 256u << 20;

// Where a record's body lies: the value the log family holds for it.
struct SegmentPointer {
  uint64_t segment = 0;    // file number
  uint64_t position = 0;   // of the frame's header in the file
  uint32_t length = 0;     // of the body
  wire::EventId event_id;  // the record's: a rollback drops its dedup entry

  static constexpr size_t kEncodedBytes = 40;
  std::string Encode() const;
  // nullopt: `value` is not a pointer but a record stored inline (written
  // before segments, or by a store that keeps records in RocksDB).
  static std::optional<SegmentPointer> Decode(std::string_view value);
  // Where the next frame of the same segment would start.
  uint64_t end() const { return position + kFrameHeaderBytes + length; }
};

// One record to read: its offset and its pointer.
struct SegmentRead {
  uint64_t offset = 0;
  SegmentPointer pointer;
};

// Ownership: owns the open segment file and the read descriptors.
// Thread safety: Append, Sync, Roll and SyncSegment from one thread at a
// time (the store's commit thread, its sync worker, recovery); the reads from
// any thread, concurrently with them (a reader only reads frames whose
// pointers it was given, which are written before the pointers are
// published).
class RecordSegments {
 public:
  // Opens (creating, with its name synced) `dir` on `fs`. Nothing can be
  // appended before Roll starts a segment file. `direct_writes`: segment
  // files are written with O_DIRECT where the file system allows it.
  [[nodiscard]] static Result<std::unique_ptr<RecordSegments>> Open(
      std::string dir, std::shared_ptr<rocksdb::FileSystem> fs, uint64_t segment_bytes,
      bool direct_writes);
  ~RecordSegments();
  RecordSegments(const RecordSegments&) = delete;
  RecordSegments& operator=(const RecordSegments&) = delete;

  // Appends one frame per entry to the current segment (rolling to a new
  // one first when it is full) and gives each its pointer in `out`. A
  // buffered segment is written now, in one write; a direct one (O_DIRECT)
  // only has its frames laid out in whole 4 KiB blocks behind the last
  // partial one, which Write or Sync writes. Not synced. On error the
  // current segment must be rolled (Roll) before the next Append: what
  // reached it is unknown.
  [[nodiscard]] Status Append(std::span<const AppendEntry> entries,
                              std::vector<SegmentPointer>* out);
  // Writes what Append laid out (a direct segment; nothing to do for a
  // buffered one), in one positioned write of whole blocks. Not synced.
  [[nodiscard]] Status Write();
  // Makes what Append gave pointers to durable: Write, then fdatasync. A
  // buffered segment then drops what lies more than 32 MiB behind the write
  // head from the page cache: the next writes reuse those pages (fresh ones
  // cost the commit thread about half its time).
  [[nodiscard]] Status Sync();
  // Closes the current segment and starts a new one (its name synced),
  // numbered after every file in the directory and after `at_least`.
  [[nodiscard]] Status Roll(uint64_t at_least = 0);
  // Syncs a segment written before (recovery: a process killed between the
  // WAL's sync and the segment's leaves frames the disk may not have).
  [[nodiscard]] Status SyncSegment(uint64_t segment);

  // The body of the record at `offset`, checked against its frame header
  // and checksum (corruption if they disagree or the frame is missing).
  // `memory_only`: from the page cache, else would_block (always, where the
  // segments are written and read with O_DIRECT).
  [[nodiscard]] Result<std::string> Read(uint64_t offset, const SegmentPointer& pointer,
                                         bool memory_only = false);
  // The bodies of `reads` (offset order), one read per run of adjacent
  // frames, past the page cache (O_DIRECT where the file system has it):
  // `out` gets one per read, in order.
  [[nodiscard]] Status ReadAll(std::span<const SegmentRead> reads, std::vector<std::string>* out);

 private:
  struct Fd;  // an open read descriptor, shared while a read uses it

  RecordSegments() = default;
  std::string PathOf(uint64_t segment) const;
  Result<std::shared_ptr<Fd>> ReadFd(uint64_t segment);
  // Reads `bytes` at `position` of `segment` into `out`; `nowait`: from the
  // page cache only (would_block otherwise).
  Status ReadSpan(uint64_t segment, uint64_t position, size_t bytes, bool nowait, std::string* out);
  // Reads `bytes` at `position` of `segment` with O_DIRECT into a buffer of
  // the calling thread that `out` views until the thread's next call, or
  // into `fallback` where the file system refuses O_DIRECT.
  Status ReadDirect(uint64_t segment, uint64_t position, size_t bytes, std::string* fallback,
                    std::string_view* out);

  // Closes the current segment, if any (a direct one cut to its frames).
  void CloseCurrent();

  std::string dir_;
  std::shared_ptr<rocksdb::FileSystem> fs_;
  uint64_t segment_bytes_ = 0;
  bool want_direct_ = false;  // Open's direct_writes
  // Writer state: Append, Write, Sync and Roll's thread.
  std::unique_ptr<rocksdb::FSDirectory> dir_handle_;
  std::unique_ptr<rocksdb::FSWritableFile> file_;
  bool direct_ = false;   // file_ is written with O_DIRECT
  bool direct_refused_ = false;  // the device refused direct writes: new segments are buffered
  uint64_t current_ = 0;  // number of the segment being written
  uint64_t size_ = 0;     // bytes of frames given pointers in it
  uint64_t written_ = 0;  // of which written
  uint64_t synced_ = 0;   // of which synced
  uint64_t dropped_ = 0;  // of which dropped from the page cache (buffered)
  // Append's frames, 4 KiB aligned, kept for its capacity. Direct: from the
  // start of the last partial block, laid_ bytes not yet written.
  std::unique_ptr<class AlignedBuffer> buffer_;
  size_t laid_ = 0;
  std::string partial_;  // direct: the last partial block's written bytes

  std::mutex fds_mu_;
  std::map<uint64_t, std::shared_ptr<Fd>> fds_;  // Guarded by fds_mu_.
};

}  // namespace lintas::store
