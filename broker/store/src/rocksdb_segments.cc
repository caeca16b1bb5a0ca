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
#include <rocksdb/write_batch.h>

#include "lintas/store/rocksdb_store.h"
#include "record_segments.h"
#include "rocksdb_util.h"

namespace lintas::store {

Status RocksDbStore::OpenSegments() {
  if (!options_.record_segments || options_.cache_of_replicated_log) return OkStatus();
  auto opened = RecordSegments::Open(options_.path + "/segments", options_.file_system,
                                     options_.segment_bytes);
  if (!opened.ok()) return std::move(opened).error();
  segments_ = std::move(*opened);
  if (!syncer_) syncer_ = std::make_unique<SideWorker>("lintas-sync");
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
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), handles_[kMetaCf], ToSlice(kSegmentsSyncedThroughKey), &value);
  synced_through_ = next_offset() - 1;
  // No mark: no commit ever wrote a pointer (each writes the mark with them).
  if (s.IsNotFound()) return OkStatus();
  if (!s.ok()) return Translate(s, "recover segments");
  uint64_t from = keys::DecodeBe64(value) + 1;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kLogCf]));
  for (it->Seek(keys::Be64(from)); it->Valid(); it->Next()) {
    uint64_t offset = keys::DecodeBe64(ToStringView(it->key()));
    auto pointer = SegmentPointer::Decode(ToStringView(it->value()));
    if (!pointer) continue;
    if (auto body = segments_->Read(offset, *pointer); !body.ok()) {
      StoreLog()->warn(
          "the last commit before the stop did not reach its segment whole ({}): its records from "
          "offset {} on were never acknowledged and are dropped",
          body.error().message, offset);
      return RollBack(offset);
    }
  }
  if (!it->status().ok()) return Translate(it->status(), "recover segments");
  return OkStatus();
}

Status RocksDbStore::RollBack(uint64_t from) {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kLogCf]));
  size_t dropped = 0;
  for (it->Seek(keys::Be64(from)); it->Valid(); it->Next(), ++dropped) {
    auto pointer = SegmentPointer::Decode(ToStringView(it->value()));
    if (!pointer) {
      return Error{errc::corruption,
                   fmt::format("roll back from offset {}: record {} is not in a segment", from,
                               keys::DecodeBe64(ToStringView(it->key())))};
    }
    const auto& id = pointer->event_id.bytes();
    batch.Delete(handles_[kDedupCf], rocksdb::Slice(reinterpret_cast<const char*>(id.data()), id.size()));
    batch.Delete(handles_[kLogCf], it->key());
  }
  if (!it->status().ok()) return Translate(it->status(), "roll back");
  if (dropped > 0) {
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
    return Error{errc::corruption, fmt::format("record {} is in a segment, but segments are off", offset)};
  }
  auto body = memory_only ? segments_->TryRead(offset, *pointer) : segments_->Read(offset, *pointer);
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
