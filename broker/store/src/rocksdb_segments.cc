// RocksDB store: the record segments' part (record_segments.h). A commit
// appends the records' frames to the current segment, then writes their
// pointers with the rest of the group commit in one WriteBatch, and syncs
// the segment (on syncer_) while RocksDB syncs its WAL; it succeeds only
// when both did. So after a crash RocksDB may hold pointers of the last
// commit whose frames never reached the disk (the WAL synced, the segment
// not): CheckSegmentTail drops them before the store serves. After a failed
// commit its records are dropped whatever reached the disk (a failed fsync
// may leave pages that read back but were never written).
#include <rocksdb/db.h>
#include <rocksdb/file_system.h>
#include <rocksdb/write_batch.h>

#include "lintas/store/rocksdb_store.h"
#include "record_segments.h"
#include "rocksdb_util.h"

namespace lintas::store {

Status RocksDbStore::OpenSegments() {
  if (options_.cache_of_replicated_log) return OkStatus();
  std::string dir = options_.path + "/segments";
  write_segments_ = options_.record_segments;
  // With segments off, records written to them before stay readable.
  auto fs = options_.file_system ? options_.file_system : rocksdb::FileSystem::Default();
  if (!write_segments_ && !fs->FileExists(dir, rocksdb::IOOptions(), nullptr).ok())
    return OkStatus();
  auto opened = RecordSegments::Open(dir, options_.file_system, options_.segment_bytes);
  if (!opened.ok()) return std::move(opened).error();
  segments_ = std::move(*opened);
  if (write_segments_ && !syncer_) syncer_ = std::make_unique<SideWorker>("lintas-sync");
  return CheckSegmentTail();
}

Status RocksDbStore::AppendToSegments(std::span<const AppendEntry> entries,
                                      std::vector<std::string>* pointers) {
  std::vector<SegmentPointer> where;
  if (auto s = segments_->Append(entries, &where); !s.ok()) return s;
  pointers->reserve(where.size());
  for (const SegmentPointer& p : where) pointers->push_back(p.Encode());
  return OkStatus();
}

Status RocksDbStore::CheckSegmentTail() {
  synced_through_ = next_offset() - 1;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[kMetaCf],
                               ToSlice(kSegmentsSyncedThroughKey), &value);
  // No mark: no commit ever wrote a pointer (each writes the mark with them).
  if (s.IsNotFound()) return OkStatus();
  if (!s.ok()) return Translate(s, "recover segments");
  uint64_t from = keys::DecodeBe64(value) + 1;
  std::vector<SegmentRead> tail;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kLogCf]));
  for (it->Seek(keys::Be64(from)); it->Valid(); it->Next()) {
    auto pointer = SegmentPointer::Decode(ToStringView(it->value()));
    if (pointer) tail.push_back({keys::DecodeBe64(ToStringView(it->key())), *pointer});
  }
  if (!it->status().ok()) return Translate(it->status(), "recover segments");
  // A process killed between the WAL's sync and the segment's leaves frames
  // that read back from the page cache but may not be on the disk: sync
  // them before they count.
  std::vector<uint64_t> files;
  for (const SegmentRead& r : tail) {
    if (files.empty() || files.back() != r.pointer.segment) files.push_back(r.pointer.segment);
  }
  for (uint64_t file : files) {
    if (auto r = segments_->SyncSegment(file); !r.ok()) return r;
  }
  for (const SegmentRead& r : tail) {
    auto body = segments_->Read(r.offset, r.pointer);
    if (body.ok()) continue;
    // Only a frame that is not whole is taken for one that never reached
    // the disk; any other error stops the start (nothing is dropped).
    if (body.error().code != errc::corruption) return std::move(body).error();
    StoreLog()->warn(
        "records from offset {} on are past the last commit known synced to its segment and "
        "their frames are not whole ({}): a power cut between the two syncs of their commit, "
        "which was then never acknowledged; dropping them",
        r.offset, body.error().message);
    return RollBack(r.offset);
  }
  return OkStatus();
}

Status RocksDbStore::RollBack(uint64_t from) {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kLogCf]));
  size_t dropped = 0;
  for (it->Seek(keys::Be64(from)); it->Valid(); it->Next(), ++dropped) {
    uint64_t offset = keys::DecodeBe64(ToStringView(it->key()));
    auto pointer = SegmentPointer::Decode(ToStringView(it->value()));
    if (!pointer) {
      return Error{
          errc::corruption,
          fmt::format("roll back from offset {}: record {} is not in a segment", from, offset)};
    }
    // Its dedup entry, if it names this offset (an id is stored once).
    const auto& id = pointer->event_id.bytes();
    rocksdb::Slice id_key(reinterpret_cast<const char*>(id.data()), id.size());
    std::string at;
    rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), handles_[kDedupCf], id_key, &at);
    if (!got.ok() && !got.IsNotFound()) return Translate(got, "roll back");
    if (got.ok() && keys::DecodeBe64(at) == offset) batch.Delete(handles_[kDedupCf], id_key);
    batch.Delete(handles_[kLogCf], it->key());
  }
  if (!it->status().ok()) return Translate(it->status(), "roll back");
  // A checkpoint that rode in the dropped commit covers its records.
  std::unique_ptr<rocksdb::Iterator> c(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[kCheckpointsCf]));
  for (c->Seek(keys::Be64(from)); c->Valid(); c->Next())
    batch.Delete(handles_[kCheckpointsCf], c->key());
  if (!c->status().ok()) return Translate(c->status(), "roll back");
  if (batch.Count() > 0) {
    rocksdb::WriteOptions wo;
    wo.sync = sync_;
    if (rocksdb::Status s = db_->Write(wo, &batch); !s.ok()) return Translate(s, "roll back");
    StoreLog()->warn("dropped {} unacknowledged records at offsets {}..{}", dropped, from,
                     from + dropped - 1);
  }
  if (auto s = Recover(); !s.ok()) return s;
  synced_through_ = next_offset() - 1;
  return OkStatus();
}

Result<std::optional<std::string>> RocksDbStore::Resolve(uint64_t offset, std::string value,
                                                         bool memory_only) {
  auto pointer = SegmentPointer::Decode(value);
  if (!pointer) return std::optional<std::string>(std::move(value));
  if (!segments_) {
    return Error{errc::corruption,
                 fmt::format("record {} is in a segment, but segments are off", offset)};
  }
  auto body = segments_->Read(offset, *pointer, memory_only);
  if (!body.ok()) return std::move(body).error();
  return std::optional<std::string>(std::move(*body));
}

Status RocksDbStore::ResolveAll(std::span<const uint64_t> offsets,
                                std::vector<std::optional<std::string>>* values) {
  std::vector<SegmentRead> reads;
  std::vector<size_t> at;  // of values, the pointers'
  for (size_t i = 0; i < values->size(); ++i) {
    if (!(*values)[i]) continue;
    auto pointer = SegmentPointer::Decode(*(*values)[i]);
    if (!pointer) continue;
    reads.push_back({offsets[i], *pointer});
    at.push_back(i);
  }
  if (reads.empty()) return OkStatus();
  if (!segments_) return Error{errc::corruption, "records are in segments, but segments are off"};
  std::vector<std::string> bodies;
  if (auto s = segments_->ReadAll(reads, &bodies); !s.ok()) return s;
  for (size_t k = 0; k < at.size(); ++k) (*values)[at[k]] = std::move(bodies[k]);
  return OkStatus();
}

}  // namespace lintas::store
