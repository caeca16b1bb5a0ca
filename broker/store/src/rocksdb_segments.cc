// RocksDB store: the record segments' part (record_segments.h). A commit
// appends the records' frames to the current segment, then writes their
// pointers with the rest of the group commit in one WriteBatch, and syncs
// the segment (on syncer_) while RocksDB syncs its WAL; it succeeds only
// when both did. So after a crash RocksDB may hold pointers of the last
// commit whose frames never reached the disk (the WAL synced, the segment
// not): CheckSegmentTail drops that commit before the store serves. After a failed
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
  auto opened = RecordSegments::Open(dir, fs, options_.segment_bytes, options_.direct_segment_writes);
  if (!opened.ok()) return std::move(opened).error();
  segments_ = std::move(*opened);
  if (write_segments_ && !syncer_) syncer_ = std::make_unique<SideWorker>("lintas-sync");
  if (auto s = CheckSegmentTail(); !s.ok()) return s;
  return RollSegments();
}

Status RocksDbStore::RollSegments() {
  if (!write_segments_) return OkStatus();
  // Never a number the log already names (a file lost from the directory).
  uint64_t named = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kLogCf]));
  it->SeekToLast();
  if (!it->status().ok()) return Translate(it->status(), "recover segments");
  if (it->Valid()) {
    if (auto p = SegmentPointer::Decode(ToStringView(it->value()))) named = p->segment;
  }
  return segments_->Roll(named);
}

Status RocksDbStore::AppendToSegments(std::span<const AppendEntry> entries,
                                      std::vector<std::string>* pointers) {
  std::vector<SegmentPointer> where;
  if (auto s = segments_->Append(entries, &where); !s.ok()) return s;
  pointers->reserve(where.size());
  for (const SegmentPointer& p : where) pointers->push_back(p.Encode());
  return OkStatus();
}

std::string RocksDbStore::EncodeSegmentMark(uint64_t offset, uint64_t access_size) {
  return keys::Be64(offset) + keys::Be64(access_size);
}

Status RocksDbStore::CheckSegmentTail() {
  synced_through_ = next_offset() - 1;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[kMetaCf],
                               ToSlice(kSegmentsSyncedThroughKey), &value);
  // No mark: no commit ever wrote a pointer (each writes the mark with them).
  if (s.IsNotFound()) return OkStatus();
  if (!s.ok()) return Translate(s, "recover segments");
  if (value.size() != 16)
    return Error{errc::corruption, "recover segments: the mark is not 16 bytes"};
  uint64_t from = keys::DecodeBe64(value) + 1;
  uint64_t access_before = keys::DecodeBe64(std::string_view(value).substr(8));
  // Past the mark: at most the last commit before the stop.
  std::vector<SegmentRead> tail;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kLogCf]));
  for (it->Seek(keys::Be64(from)); it->Valid(); it->Next()) {
    auto pointer = SegmentPointer::Decode(ToStringView(it->value()));
    if (pointer) tail.push_back({keys::DecodeBe64(ToStringView(it->key())), *pointer});
  }
  if (!it->status().ok()) return Translate(it->status(), "recover segments");
  if (tail.empty()) return OkStatus();
  // A process killed between the WAL's sync and the segment's leaves its
  // frames in the page cache: sync them, then read what the disk holds
  // (ReadAll reads past the page cache, which may keep pages a failed fsync
  // never wrote). A missing file is not a torn frame: it stops the start.
  std::vector<uint64_t> files;
  for (const SegmentRead& r : tail) {
    if (files.empty() || files.back() != r.pointer.segment) files.push_back(r.pointer.segment);
  }
  for (uint64_t file : files) {
    if (auto r = segments_->SyncSegment(file); !r.ok()) return r;
  }
  std::vector<std::string> bodies;
  Status whole = segments_->ReadAll(tail, &bodies);
  if (whole.ok()) return OkStatus();
  if (whole.error().code != errc::corruption) return whole;
  StoreLog()->warn(
      "the last commit before the stop (records from offset {}) did not reach its segment whole "
      "({}): a stop between the two syncs of a commit that was never acknowledged; dropping it",
      from, whole.error().message);
  return RollBack(from, access_before);
}

Status RocksDbStore::RollBackRecords(uint64_t from, rocksdb::WriteBatch* batch, size_t* dropped) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kLogCf]));
  for (it->Seek(keys::Be64(from)); it->Valid(); it->Next(), ++*dropped) {
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
    if (got.ok() && keys::DecodeBe64(at) == offset) batch->Delete(handles_[kDedupCf], id_key);
    batch->Delete(handles_[kLogCf], it->key());
  }
  if (!it->status().ok()) return Translate(it->status(), "roll back");
  return OkStatus();
}

Status RocksDbStore::RollBack(uint64_t from, uint64_t access_before) {
  rocksdb::WriteBatch batch;
  size_t dropped = 0;
  if (auto s = RollBackRecords(from, &batch, &dropped); !s.ok()) return s;
  // What rode in the dropped commit: a checkpoint covering its records, its
  // consultation records (their deliveries never left); and what may have
  // been derived from its records: summaries, leaf blocks, the watermark.
  for (auto [family, first] :
       {std::pair{kCheckpointsCf, from}, std::pair{kAccessCf, access_before + 1},
        std::pair{kAccessLeavesCf, access_before + 1}, std::pair{kDistributedCf, from},
        std::pair{kLeavesCf, (from - 1) / 256}}) {
    // Key by key: RocksDB 7.8's range deletions trip an assertion with
    // memtable insert hints (these families use them).
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[family]));
    for (it->Seek(keys::Be64(first)); it->Valid(); it->Next())
      batch.Delete(handles_[family], it->key());
    if (!it->status().ok()) return Translate(it->status(), "roll back");
  }
  if (index_watermark() >= from) {
    batch.Put(handles_[kMetaCf], ToSlice(kIndexWatermarkKey), keys::Be64(from - 1));
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  if (rocksdb::Status s = db_->Write(wo, &batch); !s.ok()) return Translate(s, "roll back");
  if (dropped > 0) {
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
