// RocksDB store: the writes. The group commit (Commit) puts the records,
// their dedup entries and everything that rides with them into one
// WriteBatch, synced; the other writes are unsynced (the next synced commit
// makes them durable: the WAL keeps the order) except PutMeta and
// SupersedeCheckpoints, which are rare and synced by themselves.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "lintas/store/rocksdb_store.h"
#include "record_segments.h"
#include "rocksdb_util.h"

namespace lintas::store {

Status RocksDbStore::Append(std::span<const AppendEntry> entries) {
  if (entries.empty()) return OkStatus();
  return Commit(entries, CommitWrites{});
}

Status RocksDbStore::AddRecords(std::span<const AppendEntry> entries,
                                std::span<const std::string> pointers,
                                rocksdb::WriteBatch* batch) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const AppendEntry& e = entries[i];
    std::string off = keys::Be64(e.offset);
    const auto& id = e.event_id.bytes();
    batch->Put(handles_[kLogCf], off, pointers.empty() ? ToSlice(e.record) : ToSlice(pointers[i]));
    batch->Put(handles_[kDedupCf],
               rocksdb::Slice(reinterpret_cast<const char*>(id.data()), id.size()), off);
  }
  return OkStatus();
}

Status RocksDbStore::AddAccess(std::span<const AccessEntry> entries, rocksdb::WriteBatch* batch) {
  uint64_t next = access_size_.load() + 1;
  for (const AccessEntry& e : entries) {
    if (e.seq != next++) {
      return Error{errc::invalid_append, "consultation records must continue the sequence"};
    }
    std::string key = keys::Be64(e.seq);
    batch->Put(handles_[kAccessCf], key, e.record);
    batch->Put(handles_[kAccessLeavesCf], key, e.leaf);
  }
  return OkStatus();
}

Status RocksDbStore::Commit(std::span<const AppendEntry> entries, const CommitWrites& writes) {
  if (entries.empty() && writes.empty()) return Sync();
  // Before anything is written anywhere.
  uint64_t expected = next_offset();
  for (const AppendEntry& e : entries) {
    if (e.offset != expected++) {
      return Error{errc::invalid_append,
                   fmt::format("append at offset {} does not continue the log", e.offset)};
    }
  }
  // With segments the records go there first (not synced yet): the batch
  // holds their pointers.
  std::vector<std::string> pointers;
  uint64_t access_before = access_size();
  if (write_segments_ && !entries.empty()) {
    if (auto s = AppendToSegments(entries, &pointers); !s.ok()) {
      if (s.error().code != errc::invalid_append) Failed(entries.front().offset, access_before);
      return s;
    }
  }
  // Sized once: a batch of thousands of records grown by doubling copies
  // them several times over.
  size_t bytes = 0;
  for (const AppendEntry& e : entries) {
    bytes += (pointers.empty() ? e.record.size() : SegmentPointer::kEncodedBytes) + kAppendOverheadBytes;
  }
  for (const AccessEntry& e : writes.access) bytes += e.record.size() + e.leaf.size() + kAppendOverheadBytes;
  rocksdb::WriteBatch batch(bytes);
  if (auto s = AddRecords(entries, pointers, &batch); !s.ok()) return s;
  if (auto s = AddAccess(writes.access, &batch); !s.ok()) return s;
  for (const auto& [name, state] : writes.cursors) {
    if (state) {
      batch.Put(handles_[kCursorsCf], ToSlice(name), EncodeCursor(*state));
    } else {
      batch.Delete(handles_[kCursorsCf], ToSlice(name));
    }
  }
  if (writes.checkpoint) {
    batch.Put(handles_[kCheckpointsCf], keys::Be64(writes.checkpoint->first), ToSlice(writes.checkpoint->second));
  }
  if (!pointers.empty()) {
    // The last commit before this one had its segment synced: a restart
    // checks only the frames after it (and drops this commit's consultation
    // records with its records if they are not whole).
    batch.Put(handles_[kMetaCf], ToSlice(kSegmentsSyncedThroughKey),
              EncodeSegmentMark(synced_through_, access_before));
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  // The sync worker writes (a direct segment) and syncs the frames while
  // RocksDB writes and syncs its WAL; unsynced (the test-only switch), the
  // frames are only written.
  Status segment_sync = OkStatus();
  bool syncing = !pointers.empty() && sync_;
  if (syncing) syncer_->Start([&] { segment_sync = segments_->Sync(); });
  if (!pointers.empty() && !sync_) segment_sync = segments_->Write();
  rocksdb::Status s = db_->Write(wo, &batch);
  if (syncing) syncer_->Wait();
  if (!s.ok() || !segment_sync.ok()) {
    Failed(pointers.empty() ? 0 : entries.front().offset, access_before);
    return s.ok() ? segment_sync : Status(Translate(s, "commit"));
  }
  if (!writes.access.empty()) access_size_.store(writes.access.back().seq, std::memory_order_release);
  if (entries.empty()) return OkStatus();
  next_offset_.store(entries.back().offset + 1, std::memory_order_release);
  if (!pointers.empty()) {
    // These frames are synced: say so (unsynced; the next commit's sync
    // makes it durable), so that a restart does not check them again.
    synced_through_ = entries.back().offset;
    rocksdb::Status marked = db_->Put(rocksdb::WriteOptions(), handles_[kMetaCf],
                                      ToSlice(kSegmentsSyncedThroughKey),
                                      EncodeSegmentMark(synced_through_, access_size()));
    // The commit stands; RocksDB refuses writes now, so the next one fails
    // and the store is reopened.
    if (!marked.ok()) write_failed_.store(true, std::memory_order_release);
  }
  const wire::EventId* top = &entries.front().event_id;
  for (const AppendEntry& e : entries) {
    if (*top < e.event_id) top = &e.event_id;
  }
  std::lock_guard lock(max_id_mu_);
  if (!max_id_ || *max_id_ < *top) max_id_ = *top;
  return OkStatus();
}

void RocksDbStore::Failed(uint64_t segment_records_from, uint64_t access_before) {
  if (segment_records_from != 0) {
    failed_from_ = segment_records_from;
    failed_access_before_ = access_before;
  }
  write_failed_.store(true, std::memory_order_release);
}

bool RocksDbStore::AboveEveryStoredId(const wire::EventId& id) const {
  std::lock_guard lock(max_id_mu_);
  return !max_id_ || *max_id_ < id;
}
Status RocksDbStore::WriteIndexes(std::span<const IndexEntry> entries) {
  if (entries.empty()) return OkStatus();
  uint64_t expected = index_watermark() + 1;
  rocksdb::WriteBatch batch;
  for (const IndexEntry& e : entries) {
    if (e.offset != expected++ || e.offset >= next_offset()) {
      return Error{errc::invalid_append,
                   fmt::format("index entries for offset {} do not continue the indexes", e.offset)};
    }
    std::string off = keys::Be64(e.offset);
    std::string time_key = keys::Be64(keys::TimeOrder(e.index.received_at_us)) + off;
    batch.Put(handles_[kTimeCf], time_key, rocksdb::Slice());
    if (!e.index.case_id.empty()) {
      batch.Put(handles_[kCaseCf], keys::Prefix(e.index.case_id) + off, rocksdb::Slice());
    }
    if (!e.index.origin_country.empty()) {
      batch.Put(handles_[kOriginCf], keys::Prefix(e.index.origin_country) + off,
                rocksdb::Slice());
    }
    for (const auto& node : e.index.inbox_nodes) {
      batch.Put(handles_[kInboxCf], keys::Prefix(node) + off, rocksdb::Slice());
    }
    if (e.index.distribution) batch.Put(handles_[kDistributedCf], off, *e.index.distribution);
  }
  uint64_t watermark = entries.back().offset;
  batch.Put(handles_[kMetaCf], ToSlice(kIndexWatermarkKey), keys::Be64(watermark));
  // Not synced: the next synced Append makes it durable (the WAL keeps the
  // order, so it can never survive without the records it indexes).
  rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) {
    write_failed_.store(true, std::memory_order_release);
    return Translate(s, "write indexes");
  }
  int64_t last = entries.back().index.received_at_us;
  if (last > last_received_at_us_.load(std::memory_order_acquire)) {
    last_received_at_us_.store(last, std::memory_order_release);
  }
  index_watermark_.store(watermark, std::memory_order_release);
  return OkStatus();
}
Status RocksDbStore::PutCursor(std::string_view name, const CursorState& state) {
  rocksdb::Status s = db_->Put(rocksdb::WriteOptions(), handles_[kCursorsCf], ToSlice(name),
                               EncodeCursor(state));
  if (!s.ok()) return Translate(s, "put cursor");
  return OkStatus();
}
Status RocksDbStore::DeleteCursor(std::string_view name) {
  rocksdb::Status s = db_->Delete(rocksdb::WriteOptions(), handles_[kCursorsCf], ToSlice(name));
  if (!s.ok()) return Translate(s, "delete cursor");
  return OkStatus();
}
Status RocksDbStore::PutLeafBlock(uint64_t block, std::string_view leaves) {
  rocksdb::Status s =
      db_->Put(rocksdb::WriteOptions(), handles_[kLeavesCf], keys::Be64(block), ToSlice(leaves));
  return s.ok() ? OkStatus() : Status(Translate(s, "put leaf block"));
}
Status RocksDbStore::AppendAccess(std::span<const AccessEntry> entries) {
  rocksdb::WriteBatch batch;
  if (auto s = AddAccess(entries, &batch); !s.ok()) return s;
  rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return Translate(s, "append access");
  if (!entries.empty()) access_size_.store(entries.back().seq, std::memory_order_release);
  return OkStatus();
}

Status RocksDbStore::PutCheckpoint(uint64_t size, std::string_view bytes) {
  rocksdb::Status s =
      db_->Put(rocksdb::WriteOptions(), handles_[kCheckpointsCf], keys::Be64(size), ToSlice(bytes));
  return s.ok() ? OkStatus() : Status(Translate(s, "put checkpoint"));
}
Status RocksDbStore::SupersedeCheckpoints() {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kCheckpointsCf]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    batch.Put(handles_[kMetaCf], "superseded_checkpoint/" + it->key().ToString(), it->value());
    batch.Delete(handles_[kCheckpointsCf], it->key());
  }
  if (!it->status().ok()) return Translate(it->status(), "supersede checkpoints");
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Write(wo, &batch);
  return s.ok() ? OkStatus() : Status(Translate(s, "supersede checkpoints"));
}
Status RocksDbStore::PutMeta(std::string_view key, std::string_view value) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Put(wo, handles_[kMetaCf], ToSlice(key), ToSlice(value));
  return s.ok() ? OkStatus() : Status(Translate(s, "put meta"));
}
Status RocksDbStore::Sync() {
  // Not on a WAL whose writer has failed: Debian's librocksdb is built with
  // assertions, and SyncWAL aborts the process there (writable_file_writer.h,
  // AssertFalseAndGetStatusForPrevError).
  if (write_failed_.load(std::memory_order_acquire)) {
    return Error{errc::io_error, "sync: a write failed; the store must be reopened first"};
  }
  rocksdb::Status s = db_->SyncWAL();
  return s.ok() ? OkStatus() : Status(Translate(s, "sync"));
}
}  // namespace lintas::store
