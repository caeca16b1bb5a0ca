// The default store: RocksDB with one column family per concern.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <vector>

#include "lintas/common/side_worker.h"
#include "lintas/store/store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Env;
class FileSystem;
class WriteBatch;
struct ReadOptions;
}  // namespace rocksdb

namespace lintas::store {

class RecordSegments;
struct SegmentRead;

struct RocksDbOptions {
  // Directory of the database; created if missing.
  std::string path;
  // The file system RocksDB runs on. A test seam (LevelDB's Env idea): tests
  // pass a fault-injecting one (tests/testutil/fault_injection_fs.h) to cut
  // the power or fail a write. Production leaves it empty.
  // Default: nullptr (the operating system's file system)
  std::shared_ptr<rocksdb::FileSystem> file_system = nullptr;
  // UNSAFE, TESTS ONLY: Append returns without syncing the WAL or the
  // record segment, so an acknowledged event is lost on a power cut. It
  // exists so that the durability tests can prove they would catch a
  // missing fsync. Nothing reads it from a configuration file.
  // Default: false
  bool unsafe_skip_sync_for_tests = false;
  // The database is a cache of a log kept elsewhere (JetStreamStore: the
  // streams are the durable copy): Append does not sync, and a tail lost
  // to a power cut is read again from the streams at the next start.
  // Default: false
  bool cache_of_replicated_log = false;
  // Shared block cache for all column families. Live deliveries do not use
  // it (the broker keeps its recent records); catch-up and replay read the
  // log through it, and proofs' leaf blocks bypass it.
  // Default: 64 MiB (the broker passes its [store] block_cache_mib,
  // default 32; the JetStream backend's local cache keeps this one)
  size_t block_cache_bytes = 64u << 20;
  // The write-ahead log's bound: past it RocksDB flushes the column families
  // whose memtables keep the oldest WAL file alive, so that the WAL (and the
  // replay at the next start) stays this small.
  // Default: 256 MiB
  uint64_t max_total_wal_bytes = 256u << 20;
  // Memtable size per column family. (64 MiB, and 96 for all, peaked 25 MiB
  // higher over 10M events, 294 against 268, for no measured gain:
  // PERFORMANCE.md.)
  // Default: 32 MiB
  size_t write_buffer_bytes = 32u << 20;
  // All memtables together: past it the largest is flushed, whatever the
  // column family (RocksDB's db_write_buffer_size).
  // Default: 64 MiB
  size_t max_memtable_bytes = 64u << 20;
  // Record bodies go to append-only segment files in <path>/segments, and
  // the log family holds a pointer to each (RocksDB then never checksums,
  // copies, flushes, compresses or compacts a body); a commit syncs the
  // segment and the WAL side by side. Records stored inline (before this,
  // or with it off) stay readable. Not for a cache of a replicated log,
  // whose records stay inline.
  // Default: true
  bool record_segments = true;
  // A segment file is closed and the next one started past this size.
  // Default: 256 MiB
  uint64_t segment_bytes = 256u << 20;
  // Segment frames are written with O_DIRECT (whole 4 KiB blocks, the last
  // partial one written again with the next commit) by the worker that then
  // syncs them, instead of being copied into the page cache by the commit
  // thread. Where the file system refuses O_DIRECT, buffered writes.
  // Default: true
  bool direct_segment_writes = true;
};

// Column families: log (BE offset -> stored record), dedup (event id ->
// offset), cursors (name -> cursor), by_case, by_origin, inbox (length-
// prefixed key + BE offset), by_time (BE time + BE offset), distributed (BE
// offset -> summary), meta, leaves (BE block -> 256 Merkle leaf hashes), access
// (BE seq -> consultation record), access_leaves (BE seq -> leaf hash),
// checkpoints (BE log size -> signed checkpoint). With record segments the
// log family's values are pointers into them (record_segments.h), and
// `meta` holds "segments_synced_through" (BE offset): every record up to it
// is known durable in its segment, written with each commit. `meta` holds the index
// watermark ("index_watermark" -> BE offset), written with the index entries
// it covers; a database without it predates derived indexes (they were
// written with the log) and is fully indexed.
//
// Ownership: owns the DB and its handles, the record segments and the
// thread that syncs them (lintas-sync). Thread safety: see Store.
class RocksDbStore final : public Store {
 public:
  // Opens or creates the database and recovers next_offset() from the log.
  [[nodiscard]] static Result<std::unique_ptr<RocksDbStore>> Open(const RocksDbOptions& options);
  ~RocksDbStore() override;

  uint64_t next_offset() const override { return next_offset_.load(std::memory_order_acquire); }
  int64_t last_received_at_us() const override {
    return last_received_at_us_.load(std::memory_order_acquire);
  }
  Status Append(std::span<const AppendEntry> entries) override;
  Status Commit(std::span<const AppendEntry> entries, const CommitWrites& writes) override;
  Status WriteIndexes(std::span<const IndexEntry> entries) override;
  uint64_t index_watermark() const override {
    return index_watermark_.load(std::memory_order_acquire);
  }
  Result<std::optional<uint64_t>> FindEvent(const wire::EventId& id) override;
  Status FindEvents(std::span<const wire::EventId> ids,
                    std::vector<std::optional<uint64_t>>* out) override;
  Result<std::optional<std::string>> ReadRecord(uint64_t offset) override;
  Status ReadRecords(std::span<const uint64_t> offsets,
                     std::vector<std::optional<std::string>>* out) override;
  Status TryFindEvents(std::span<const wire::EventId> ids,
                       std::vector<std::optional<uint64_t>>* out) override;
  Result<std::optional<uint64_t>> TryFindEvent(const wire::EventId& id) override;
  Result<std::optional<std::string>> TryReadRecord(uint64_t offset) override;
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
  Status ReopenAfterFailedWrite() override;

  // For tests that tamper with or inspect the database directly.
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* log_family() { return handles_[kLogCf]; }
  rocksdb::ColumnFamilyHandle* leaves_family() { return handles_[kLeavesCf]; }
  rocksdb::ColumnFamilyHandle* dedup_family() { return handles_[kDedupCf]; }
  rocksdb::ColumnFamilyHandle* access_family() { return handles_[kAccessCf]; }

 private:
  enum Family {
    kDefaultCf, kLogCf, kDedupCf, kCursorsCf, kCaseCf, kOriginCf, kInboxCf, kTimeCf,
    kDistributedCf, kMetaCf, kLeavesCf, kAccessCf, kAccessLeavesCf, kCheckpointsCf, kFamilyCount
  };

  RocksDbStore() = default;
  Status Recover();
  Status RecoverIndexWatermark();
  // The reads, with the blocking or the memory-only read options.
  Result<std::optional<uint64_t>> FindEventWith(const rocksdb::ReadOptions& read,
                                                const wire::EventId& id);
  Status FindEventsWith(const rocksdb::ReadOptions& read, std::span<const wire::EventId> ids,
                        std::vector<std::optional<uint64_t>>* out);
  Result<std::optional<std::string>> ReadRecordWith(const rocksdb::ReadOptions& read, uint64_t offset);
  Status OpenDb();   // opens options_.path; recovers next_offset()
  // Commit's parts: the records and dedup entries of `entries`, and the
  // consultation records, into `batch`, checked to continue the logs.
  // `pointers`: the entries' segment pointers (empty: records inline). The
  // entries continue the log (Commit checked).
  Status AddRecords(std::span<const AppendEntry> entries, std::span<const std::string> pointers,
                    rocksdb::WriteBatch* batch);
  // The log family's value for `offset` as a record: read from its segment
  // (memory-only: from the page cache) if it is a pointer.
  Result<std::optional<std::string>> Resolve(uint64_t offset, std::string value, bool memory_only);
  // Reads the segment pointers among `values` (one per offsets[i]) in place.
  Status ResolveAll(std::span<const uint64_t> offsets,
                    std::vector<std::optional<std::string>>* values);
  // Record segments: the records' part of a commit (appended here, or only
  // laid out for a direct segment; written and synced by syncer_ beside the
  // WAL), and recovery. See rocksdb_segments.cc.
  Status OpenSegments();
  Status AppendToSegments(std::span<const AppendEntry> entries, std::vector<std::string>* pointers);
  // Syncs and checks (past the page cache) the frames of the records past
  // "segments_synced_through": if one is not whole, drops that commit.
  Status CheckSegmentTail();
  // A commit failed: the store must be reopened, and if its records went to
  // segments (`segment_records_from`, else 0) they are dropped then.
  void Failed(uint64_t segment_records_from, uint64_t access_before);
  // Starts a new segment file for the commits to come (with segments on).
  Status RollSegments();
  // Drops the records at offsets >= `from` (with their dedup entries) and
  // the consultation records past `access_before`, and what may have been
  // derived from them, in one synced write; then recovers.
  Status RollBack(uint64_t from, uint64_t access_before);
  Status RollBackRecords(uint64_t from, rocksdb::WriteBatch* batch, size_t* dropped);
  // The value of meta "segments_synced_through": the last offset and the
  // consultation log's size known synced.
  static std::string EncodeSegmentMark(uint64_t offset, uint64_t access_size);
  Status AddAccess(std::span<const AccessEntry> entries, rocksdb::WriteBatch* batch);
  void CloseDb();

  // The Env over RocksDbOptions::file_system, if one was given; declared
  // before db_ so that it outlives it.
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; destroyed before db_
  bool sync_ = true;
  RocksDbOptions options_;
  // An Append's write failed and the DB has not been reopened since. Set by
  // the appending thread, read by Sync() on the broker loop's thread.
  std::atomic<bool> write_failed_{false};
  std::atomic<uint64_t> next_offset_{1};
  std::atomic<uint64_t> index_watermark_{0};
  std::atomic<int64_t> last_received_at_us_{0};
  // Record segments (null: none in this database and records_segments
  // off). Commit's thread writes (if write_segments_), any thread reads.
  std::unique_ptr<RecordSegments> segments_;
  bool write_segments_ = false;
  std::unique_ptr<SideWorker> syncer_;  // syncs the segment while RocksDB syncs its WAL
  // Commit's thread: the last offset of the last commit that succeeded, and
  // the first offset of a commit that failed (0: none since the last open),
  // whose records ReopenAfterFailedWrite drops whatever reached the disk.
  uint64_t synced_through_ = 0;
  uint64_t failed_from_ = 0;
  uint64_t failed_access_before_ = 0;  // the failed commit's consultation log started past it
  std::atomic<uint64_t> access_size_{0};
  // The greatest event id in the dedup family (bytewise, as its keys sort;
  // UUIDv7 ids grow with time). An id above it cannot be stored, so its
  // dedup lookup needs no read: most new events are such. Raised by Append
  // after its write (an id is never above it once stored), recovered at
  // open. Guarded by max_id_mu_ (Append writes it, lookups read it).
  mutable std::mutex max_id_mu_;
  std::optional<wire::EventId> max_id_;
  // Whether `id` is above every stored id (then it is not stored).
  bool AboveEveryStoredId(const wire::EventId& id) const;
};

}  // namespace lintas::store
