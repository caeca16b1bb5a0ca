// The broker's storage interface: an append-only log of stored records with
// a persistent dedup index, secondary indexes and subscriber cursors. Two
// implementations: RocksDbStore (the default, durable) and MemoryStore (unit
// tests only).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/store/node_list.h"
#include "lintas/store/errc.h"
#include "lintas/wire/event_id.h"

namespace lintas::store {

// What an appended record is indexed by.
struct IndexKeys {
  std::string case_id;                   // empty: not in the case index
  std::string origin_country;            // the origin index
  int64_t received_at_us = 0;            // the time index (non-decreasing with offsets)
  NodeList inbox_nodes;  // node ids whose inbox holds this record
  // Set for events distributed to subscriptions (regional, selected countries):
  // a compact summary the broker filters on without reading the record.
  std::optional<std::string> distribution;
};

struct AppendEntry {
  uint64_t offset = 0;
  wire::EventId event_id;
  std::string record;  // a StoredRecord buffer
  IndexKeys index;     // not written by Append: see WriteIndexes
};

// One logged record's secondary index entries, written after the record.
struct IndexEntry {
  uint64_t offset = 0;
  IndexKeys index;
};

// One record of the consultation log (schemas/audit.fbs).
struct AccessEntry {
  uint64_t seq = 0;    // 1, 2, 3, ...
  std::string record;  // an AccessRecord buffer
  std::string leaf;    // its 32-byte Merkle leaf hash
};



// A durable subscription's cursor.
struct CursorState {
  uint64_t acked_offset = 0;  // every record up to here is acknowledged; 0: none
  std::string filter;         // the subscription's filter, as the node sent it
};

// The writes that ride in a group commit beside its records (Store::Commit),
// so that the event loop never writes to the store itself.
struct CommitWrites {
  // Consultation records, continuing access_size() (seq access_size()+1, ...).
  std::vector<AccessEntry> access;
  // Cursor writes, applied in order: a state puts it, none deletes it.
  std::vector<std::pair<std::string, std::optional<CursorState>>> cursors;
  // A signed checkpoint of the log at `first` records, as PutCheckpoint.
  std::optional<std::pair<uint64_t, std::string>> checkpoint;

  bool empty() const { return access.empty() && cursors.empty() && !checkpoint; }
};

enum class Index {
  kLog,          // every offset (key ignored)
  kInbox,        // key: node id
  kDistributed,  // key ignored; value: the distribution summary
  kCase,         // key: case id
  kOrigin,       // key: country
};

struct ScanHit {
  uint64_t offset = 0;
  std::string value;  // the distribution summary for kDistributed, else empty
};

// Thread safety: implementations are safe for concurrent use from several
// threads (the broker appends from its commit thread, writes indexes from its
// index thread and reads from its loop thread) except that Append calls must
// not overlap each other, nor WriteIndexes calls each other.
//
// Secondary indexes (case, origin, time, inbox, distributed) are derived
// from the log: Append writes and syncs only what durability needs (the
// record and its dedup entry); WriteIndexes writes their index entries
// afterwards, unsynced, with the index watermark in the same atomic write.
// After a crash the indexes may lag the log; the owner rebuilds
// index_watermark()+1 .. size() from the records before it serves. Readers
// of an index must not trust it past index_watermark().
class Store {
 public:
  virtual ~Store() = default;

  // The offset the next Append must start at: 1 for an empty log, else the
  // last stored offset + 1. Offsets are never reused once acknowledged.
  virtual uint64_t next_offset() const = 0;
  // received_at_us of the last record (0 for an empty log). After a restart,
  // of the last indexed record until the indexes are rebuilt.
  virtual int64_t last_received_at_us() const = 0;

  // Appends `entries` (offsets next_offset(), next_offset()+1, ...) with their
  // dedup entries in one atomic write, synced to disk before it returns
  // (the sync makes every earlier write durable too). Index entries are not
  // written: see WriteIndexes. On error nothing of it is visible and
  // next_offset() is unchanged.
  [[nodiscard]] virtual Status Append(std::span<const AppendEntry> entries) = 0;

  // The group commit: Append(entries) and `writes`, made durable by one sync
  // before it returns (entries may be empty: then it writes and syncs
  // `writes` alone). On error none of it may be taken as written: the caller
  // writes it again after ReopenAfterFailedWrite (every part is idempotent).
  // The default writes `writes` unsynced, then Append or Sync, which syncs
  // them (the WAL keeps the order); RocksDB writes all of it in one atomic
  // batch (the records' bodies, with record segments, in a segment synced
  // beside it; a commit whose two parts did not both reach the disk is
  // dropped at the next open). Same thread rule as Append.
  [[nodiscard]] virtual Status Commit(std::span<const AppendEntry> entries, const CommitWrites& writes);

  // Writes the secondary index entries of logged records (offsets
  // index_watermark()+1, ... up to at most size()) and moves the index
  // watermark to the last one, in one atomic write that is not synced by
  // itself (the next Append or Sync syncs it; a power cut before that loses
  // it, and the owner rebuilds it from the log).
  [[nodiscard]] virtual Status WriteIndexes(std::span<const IndexEntry> entries) = 0;
  // The last offset whose index entries are written (0: none). Index scans
  // may miss records past it.
  virtual uint64_t index_watermark() const = 0;

  // The offset an event id was stored at, if it was.
  [[nodiscard]] virtual Result<std::optional<uint64_t>> FindEvent(const wire::EventId& id) = 0;

  // FindEvent for several ids in one lookup (RocksDB's MultiGet): `out`
  // gets one answer per id, in order.
  [[nodiscard]] virtual Status FindEvents(std::span<const wire::EventId> ids,
                                          std::vector<std::optional<uint64_t>>* out) = 0;

  // The stored record at `offset`, if any.
  [[nodiscard]] virtual Result<std::optional<std::string>> ReadRecord(uint64_t offset) = 0;

  // The stored records at `offsets` (ascending): `out` gets one answer per
  // offset, in order (empty for an offset the log does not hold). For runs
  // of nearby records, as a subscriber's catch-up reads: the default reads
  // them one by one; RocksDB walks one iterator over the log.
  [[nodiscard]] virtual Status ReadRecords(std::span<const uint64_t> offsets,
                                           std::vector<std::optional<std::string>>* out);

  // Memory-only reads, for an event loop that must not wait for the disk:
  // the same answers as FindEvents, FindEvent and ReadRecord when they can
  // be given from memory (RocksDB: memtables, block cache, open table
  // readers), else errc::would_block, which is not a failure: ask again
  // from a thread that may block (the broker's LogReader). The defaults
  // always say would_block (a backend that cannot tell never blocks the
  // loop). Same thread safety as the blocking reads.
  [[nodiscard]] virtual Status TryFindEvents(std::span<const wire::EventId> ids,
                                             std::vector<std::optional<uint64_t>>* out);
  [[nodiscard]] virtual Result<std::optional<uint64_t>> TryFindEvent(const wire::EventId& id);
  [[nodiscard]] virtual Result<std::optional<std::string>> TryReadRecord(uint64_t offset);

  // Up to `limit` hits of `index` (for `key`) with offsets > `after`, in
  // offset order. Only offsets up to index_watermark() (read before the
  // call) are certain to be found, except for Index::kLog (every record).
  [[nodiscard]] virtual Status Scan(Index index, std::string_view key, uint64_t after,
                                    size_t limit, std::vector<ScanHit>* out) = 0;

  // Up to `limit` offsets > `after` whose received_at_us is in [from, to], in
  // offset order (received_at_us never decreases along the log).
  [[nodiscard]] virtual Status ScanTime(int64_t from_us, int64_t to_us, uint64_t after,
                                        size_t limit, std::vector<uint64_t>* out) = 0;

  // Cursors. Writes are not synced by themselves (a lost cursor update only
  // causes a redelivery); the next Append syncs them with it.
  [[nodiscard]] virtual Status PutCursor(std::string_view name, const CursorState& state) = 0;
  [[nodiscard]] virtual Status DeleteCursor(std::string_view name) = 0;
  [[nodiscard]] virtual Result<std::optional<CursorState>> GetCursor(std::string_view name) = 0;

  // The audit trail. The event log's Merkle leaves are kept 256 to a block
  // (block b: offsets 256b+1 .. 256b+256, the 32-byte hashes concatenated),
  // written once the block is complete; leaves of an incomplete block are
  // recomputed from the records. Not synced by itself (the next Append
  // syncs it).
  [[nodiscard]] virtual Status PutLeafBlock(uint64_t block, std::string_view leaves) = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> ReadLeafBlock(uint64_t block) = 0;
  // Up to `count` leaf hashes of the consultation log from leaf index
  // `first` (0-based), in order.
  [[nodiscard]] virtual Status ReadAccessLeaves(uint64_t first, size_t count,
                                                std::vector<std::string>* out) = 0;
  // Appends consultation records (seq access_size()+1, ...) with their
  // leaves. Not synced by itself: the next Append or Sync syncs it (the WAL
  // keeps the order).
  [[nodiscard]] virtual Status AppendAccess(std::span<const AccessEntry> entries) = 0;
  virtual uint64_t access_size() const = 0;
  // Up to `limit` consultation records with seq > `after`, in order.
  [[nodiscard]] virtual Status ScanAccess(uint64_t after, size_t limit,
                                          std::vector<std::pair<uint64_t, std::string>>* out) = 0;
  // Signed checkpoints, by log size (a later one of the same size replaces
  // it). Not synced by themselves.
  [[nodiscard]] virtual Status PutCheckpoint(uint64_t size, std::string_view bytes) = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> LatestCheckpoint() = 0;
  // The operator accepted a damaged log (--accept-damaged-log): every stored
  // checkpoint moves to meta "superseded_checkpoint/<BE size>" (kept as
  // evidence, no longer the latest), in one synced write.
  [[nodiscard]] virtual Status SupersedeCheckpoints() = 0;
  // Small broker metadata (the nodes' announced seal keys, "seal_key/<node>").
  // PutMeta is synced by itself: it is rare (a node's key changed) and must
  // not be lost.
  [[nodiscard]] virtual Status PutMeta(std::string_view key, std::string_view value) = 0;
  // Every entry whose key starts with `prefix`, in key order.
  [[nodiscard]] virtual Status ScanMeta(std::string_view prefix,
                                        std::vector<std::pair<std::string, std::string>>* out) = 0;
  // Makes everything written so far durable.
  [[nodiscard]] virtual Status Sync() = 0;
  // After an Append failed: makes the store writable again (RocksDB must be
  // closed and reopened, as after a crash) and recovers next_offset(), which
  // may include the failed entries if they reached the disk after all. OK
  // when no Append failed. Must not overlap any other call. On error the
  // store must not be used any more (the broker aborts: a restart recovers).
  [[nodiscard]] virtual Status ReopenAfterFailedWrite() = 0;

  // Number of records in the log.
  uint64_t size() const { return next_offset() - 1; }
};

}  // namespace lintas::store
