// RocksDB implementation of the broker store: opening, recovery and reads
// (the writes are in rocksdb_writes.cc).
#include "lintas/store/rocksdb_store.h"

#include <algorithm>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "keys.h"
#include "record_segments.h"
#include "rocksdb_util.h"
#include "lintas/common/logging.h"

namespace lintas::store {
namespace {

// Reads for the broker's loop: memtables, block cache and open table
// readers only; a read that needs I/O says Incomplete.
rocksdb::ReadOptions MemoryOnly() {
  rocksdb::ReadOptions o;
  o.read_tier = rocksdb::kBlockCacheTier;
  return o;
}

// Reads that would only push hotter blocks out of the block cache: every
// leaf block at start-up, a proof's few blocks.
rocksdb::ReadOptions BulkRead() {
  rocksdb::ReadOptions o;
  o.fill_cache = false;
  return o;
}

const char* const kFamilyNames[] = {"default",
                                        "log", "dedup", "cursors", "by_case", "by_origin",
                                        "inbox", "by_time", "distributed", "meta",
                                        "leaves", "access", "access_leaves", "checkpoints"};

// Prefix of the length-prefixed index keys (keys::Prefix): the length byte and
// the key, so that memtable insert hints work per node, case or country.
class LengthPrefixTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "lintas.LengthPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), std::min<size_t>(key.size(), 1 + static_cast<uint8_t>(key[0]))};
  }
  bool InDomain(const rocksdb::Slice& key) const override { return !key.empty(); }
};

// The log family's table block size (RocksDB's default is 4 KiB: three
// or four records of 1 KB).
constexpr size_t kLogBlockBytes = 32 << 10;

// What a run of record reads (ReadRecords) reads ahead of the log family:
// records stored inline, or the 40-byte pointers of record segments (a run
// of 256 records reads ~13 KB of them: 2 MiB ahead, read again by each
// run's new iterator, cost the catch-up a third of its reading thread).
constexpr size_t kScanReadahead = 2 << 20;
constexpr size_t kPointerScanReadahead = 64 << 10;

// ReadRecords steps this many records with Next before it Seeks instead.
constexpr size_t kMaxIteratorSteps = 16;


}  // namespace

Result<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(const RocksDbOptions& options) {
  auto store = std::unique_ptr<RocksDbStore>(new RocksDbStore());
  store->options_ = options;
  store->sync_ = !options.unsafe_skip_sync_for_tests && !options.cache_of_replicated_log;
  if (options.file_system) store->env_ = rocksdb::NewCompositeEnv(options.file_system);
  if (auto r = store->OpenDb(); !r.ok()) return std::move(r).error();
  if (auto r = store->OpenSegments(); !r.ok()) return std::move(r).error();
  return store;
}

Status RocksDbStore::OpenDb() {
  const RocksDbOptions& options = options_;
  rocksdb::Options db_options;
  if (env_) db_options.env = env_.get();
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.max_background_jobs = 2;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 4;
  db_options.max_total_wal_size = options.max_total_wal_bytes;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Index and filter blocks in the block cache (at high priority, L0's
  // pinned), so that they are bounded by it: held outside it they grew with
  // the log (~30 MiB per 5M events). Catch-up scans do not fill the cache,
  // so they no longer push them out.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // No Bloom filter but where keys are looked up by name (dedup, cursors,
  // meta): the log, leaf and consultation families have sequential keys (a
  // file's key range already tells whether it can hold one), and the index
  // families are only scanned by prefix, which a whole-key filter never
  // answers. Their filters (10 bits a key, held outside the block cache)
  // grew with the log: ~90 MB at 10M events.
  rocksdb::BlockBasedTableOptions keyed_table = table;
  keyed_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // One writer appends (the commit thread): concurrent memtable writes buy
  // nothing, and turning them off enables insert hints.
  db_options.allow_concurrent_memtable_write = false;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = options.write_buffer_bytes;
  // No compression: with the records in segments, RocksDB holds pointers,
  // ids, offsets and index keys, which block prefix encoding already shrinks.
  // Snappy saved 70 B per event on disk (1,336 against 1,266 at 10M) and cost
  // the flush thread 0.1-0.3 us per event (docs/PERFORMANCE.md).
  cf_options.compression = rocksdb::kNoCompression;
  db_options.db_write_buffer_size = options.max_memtable_bytes;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Keys arrive in order (offsets, times) or in order within a prefix (index
  // keys): a memtable insert starts from the last position of its prefix.
  std::shared_ptr<const rocksdb::SliceTransform> sequential(rocksdb::NewFixedPrefixTransform(1));
  std::shared_ptr<const rocksdb::SliceTransform> by_key = std::make_shared<LengthPrefixTransform>();

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (int f = 0; f < kFamilyCount; ++f) {
    rocksdb::ColumnFamilyOptions o = cf_options;
    switch (f) {
      case kLogCf: {
        o.memtable_insert_with_hint_prefix_extractor = sequential;
        // Records are read in runs (catch-up, replay, export): larger blocks
        // mean fewer block reads, decompressions and cache entries per record.
        rocksdb::BlockBasedTableOptions log_table = table;
        log_table.block_size = kLogBlockBytes;
        o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(log_table));
        break;
      }
      case kDistributedCf: case kLeavesCf: case kAccessCf: case kAccessLeavesCf:
        o.memtable_insert_with_hint_prefix_extractor = sequential;
        break;
      case kInboxCf:
        o.memtable_insert_with_hint_prefix_extractor = by_key;
        break;
      case kCaseCf: case kOriginCf: case kTimeCf:
        // Audit indexes: written with every event, read only by replay. A
        // vector memtable makes the write an append; a replay iterator sorts a
        // copy, which an occasional audit can afford.
        o.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
        break;
      case kDedupCf: {
        // Almost every lookup misses: a memtable bloom filter answers those.
        o.memtable_prefix_bloom_size_ratio = 0.05;
        o.memtable_whole_key_filtering = true;
        // The broker's loop looks ids up from memory only and hands a Publish
        // to its log reader when a table file's block is not cached: a
        // tighter filter (about 0.05% false positives instead of 1%) and the
        // blocks of freshly flushed files put in the cache keep that rare.
        rocksdb::BlockBasedTableOptions dedup_table = table;
        dedup_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(16));
        dedup_table.prepopulate_block_cache =
            rocksdb::BlockBasedTableOptions::PrepopulateBlockCache::kFlushOnly;
        o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(dedup_table));
        break;
      }
      case kDefaultCf: case kCursorsCf: case kMetaCf:
        o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(keyed_table));
        break;
      default:
        break;
    }
    families.emplace_back(kFamilyNames[f], o);
  }

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, families, &handles_, &raw);
  if (!s.ok()) return Translate(s, "open " + options.path);
  db_.reset(raw);
  return Recover();
}

void RocksDbStore::CloseDb() {
  if (!db_) return;
  // A clean shutdown leaves no WAL to replay: the memtables go to SST files
  // (the WAL files they kept alive are then deleted).
  // Not after a failed write: the DB is in its error state then.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (!write_failed_.load(std::memory_order_acquire)) {
    if (auto s = db_->Flush(flush, handles_); !s.ok()) {
      StoreLog()->warn("flush at close failed (the next start replays the WAL): {}", s.ToString());
    }
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  (void)db_->Close();  // after a failed write it returns that error; it closes anyway
  db_.reset();
}

RocksDbStore::~RocksDbStore() { CloseDb(); }

Status RocksDbStore::ReopenAfterFailedWrite() {
  if (!write_failed_.load(std::memory_order_acquire)) return OkStatus();
  // After a failed WAL write (paranoid_checks) RocksDB refuses every write,
  // and Resume() cannot clear that error: it must be closed and reopened,
  // as after a crash. Recovery replays what the WAL holds, so a batch whose
  // sync failed may turn out stored after all; next_offset() says so, and
  // its resent events are then duplicates of it.
  // With segments, the failed commit's records are dropped even if they
  // reached the disk (record_segments.h), and a new segment starts.
  CloseDb();
  if (auto r = OpenDb(); !r.ok()) return r;
  if (segments_) {
    Status checked =
        failed_from_ != 0 ? RollBack(failed_from_, failed_access_before_) : CheckSegmentTail();
    if (!checked.ok()) return checked;
    if (auto r = RollSegments(); !r.ok()) return r;
  }
  failed_from_ = 0;
  write_failed_.store(false, std::memory_order_release);
  return OkStatus();
}

Status RocksDbStore::Recover() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kLogCf]));
  it->SeekToLast();
  if (!it->status().ok()) return Translate(it->status(), "recover log");
  next_offset_ = it->Valid() ? keys::DecodeBe64(ToStringView(it->key())) + 1 : 1;
  std::unique_ptr<rocksdb::Iterator> t(db_->NewIterator(rocksdb::ReadOptions(), handles_[kTimeCf]));
  t->SeekToLast();
  if (!t->status().ok()) return Translate(t->status(), "recover time index");
  last_received_at_us_ = t->Valid() ? keys::TimeFromOrder(keys::DecodeBe64(ToStringView(t->key())))
                                    : 0;
  std::unique_ptr<rocksdb::Iterator> a(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[kAccessCf]));
  a->SeekToLast();
  if (!a->status().ok()) return Translate(a->status(), "recover access log");
  access_size_ = a->Valid() ? keys::DecodeBe64(ToStringView(a->key())) : 0;
  rocksdb::ReadOptions uncached;  // one key: not worth a block in the cache
  uncached.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> d(db_->NewIterator(uncached, handles_[kDedupCf]));
  d->SeekToLast();
  if (!d->status().ok()) return Translate(d->status(), "recover dedup");
  {
    std::lock_guard lock(max_id_mu_);
    max_id_.reset();
    if (d->Valid()) {
      std::string_view key = ToStringView(d->key());
      if (key.size() != wire::EventId::kSize) {
        return Error{errc::corruption, "recover dedup: a key is not an event id"};
      }
      max_id_ = wire::EventId::FromSpan({reinterpret_cast<const uint8_t*>(key.data()), key.size()});
    }
  }
  return RecoverIndexWatermark();
}

Status RocksDbStore::RecoverIndexWatermark() {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), handles_[kMetaCf], ToSlice(kIndexWatermarkKey), &value);
  if (s.ok()) {
    index_watermark_ = std::min(keys::DecodeBe64(value), next_offset_.load() - 1);
    return OkStatus();
  }
  if (!s.IsNotFound()) return Translate(s, "recover index watermark");
  // No watermark: a new database, or one written before the indexes were
  // derived (then they were written with each record, so all are there).
  uint64_t watermark = next_offset_.load() - 1;
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  s = db_->Put(wo, handles_[kMetaCf], ToSlice(kIndexWatermarkKey), keys::Be64(watermark));
  if (!s.ok()) return Translate(s, "write index watermark");
  index_watermark_ = watermark;
  return OkStatus();
}

Result<std::optional<uint64_t>> RocksDbStore::FindEventWith(const rocksdb::ReadOptions& read,
                                                            const wire::EventId& id) {
  if (AboveEveryStoredId(id)) return std::optional<uint64_t>();
  rocksdb::PinnableSlice value;
  const auto& b = id.bytes();
  rocksdb::Status s =
      db_->Get(read, handles_[kDedupCf],
               rocksdb::Slice(reinterpret_cast<const char*>(b.data()), b.size()), &value);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  if (!s.ok()) return Translate(s, "dedup lookup");
  uint64_t offset = keys::DecodeBe64(ToStringView(value));
  // Not before its commit succeeded (with segments, RocksDB's part of it is
  // visible while the segment still syncs, and until a failed one is dropped).
  if (offset >= next_offset()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(offset);
}

Status RocksDbStore::FindEventsWith(const rocksdb::ReadOptions& read,
                                    std::span<const wire::EventId> ids,
                                    std::vector<std::optional<uint64_t>>* out) {
  out->assign(ids.size(), std::nullopt);
  if (ids.empty()) return OkStatus();
  std::vector<rocksdb::Slice> keys;
  std::vector<size_t> asked;  // of ids, those that may be stored
  keys.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (AboveEveryStoredId(ids[i])) continue;
    keys.emplace_back(reinterpret_cast<const char*>(ids[i].bytes().data()), ids[i].bytes().size());
    asked.push_back(i);
  }
  if (keys.empty()) return OkStatus();
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(read, handles_[kDedupCf], keys.size(), keys.data(),
                values.data(), statuses.data());
  for (size_t k = 0; k < keys.size(); ++k) {
    if (statuses[k].IsNotFound()) continue;
    if (!statuses[k].ok()) return Translate(statuses[k], "dedup lookup");
    uint64_t offset = keys::DecodeBe64(ToStringView(values[k]));
    if (offset < next_offset()) (*out)[asked[k]] = offset;  // see FindEventWith
  }
  return OkStatus();
}

Result<std::optional<std::string>> RocksDbStore::ReadRecordWith(const rocksdb::ReadOptions& read,
                                                               uint64_t offset) {
  if (offset >= next_offset()) return std::optional<std::string>();  // see FindEventWith
  std::string value;
  rocksdb::Status s =
      db_->Get(read, handles_[kLogCf], keys::Be64(offset), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Translate(s, fmt::format("read offset {}", offset));
  return Resolve(offset, std::move(value), read.read_tier == rocksdb::kBlockCacheTier);
}

Status RocksDbStore::ReadRecords(std::span<const uint64_t> offsets,
                                 std::vector<std::optional<std::string>>* out) {
  out->clear();
  if (offsets.empty()) return OkStatus();
  out->reserve(offsets.size());
  // One iterator, bounded by the last offset asked for: records are dense,
  // so Next is the rule and a Seek the exception (a gap of other nodes'
  // records, or a missing one).
  // Not past the log's end (see FindEventWith).
  uint64_t last = offsets.back() == UINT64_MAX ? UINT64_MAX : offsets.back() + 1;
  uint64_t end = std::min(last, next_offset());
  std::string upper = keys::Be64(end);
  rocksdb::Slice upper_bound(upper);
  // A catch-up scan reads each block once: it would only push hotter
  // blocks out of the cache, and reading ahead saves a pread per block.
  rocksdb::ReadOptions read = BulkRead();
  read.readahead_size = segments_ ? kPointerScanReadahead : kScanReadahead;
  read.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, handles_[kLogCf]));
  it->Seek(keys::Be64(offsets.front()));
  for (uint64_t offset : offsets) {
    std::string key = keys::Be64(offset);
    for (size_t steps = 0; it->Valid() && it->key().compare(key) < 0; ++steps) {
      if (steps == kMaxIteratorSteps) {
        it->Seek(key);
        break;
      }
      it->Next();
    }
    if (it->Valid() && it->key() == rocksdb::Slice(key)) {
      out->emplace_back(std::string(it->value().data(), it->value().size()));
    } else {
      out->emplace_back(std::nullopt);
    }
  }
  if (!it->status().ok()) return Translate(it->status(), "read records");
  return ResolveAll(offsets, out);
}

Result<std::optional<uint64_t>> RocksDbStore::FindEvent(const wire::EventId& id) {
  return FindEventWith(rocksdb::ReadOptions(), id);
}

Status RocksDbStore::FindEvents(std::span<const wire::EventId> ids,
                                std::vector<std::optional<uint64_t>>* out) {
  return FindEventsWith(rocksdb::ReadOptions(), ids, out);
}

Result<std::optional<std::string>> RocksDbStore::ReadRecord(uint64_t offset) {
  return ReadRecordWith(rocksdb::ReadOptions(), offset);
}

Result<std::optional<uint64_t>> RocksDbStore::TryFindEvent(const wire::EventId& id) {
  return FindEventWith(MemoryOnly(), id);
}

Status RocksDbStore::TryFindEvents(std::span<const wire::EventId> ids,
                                   std::vector<std::optional<uint64_t>>* out) {
  // One Get per id: RocksDB 7.8's batched MultiGet reads blocks it does not
  // find in the cache even under kBlockCacheTier (seen in store_test).
  out->assign(ids.size(), std::nullopt);
  rocksdb::ReadOptions read = MemoryOnly();
  for (size_t i = 0; i < ids.size(); ++i) {
    auto found = FindEventWith(read, ids[i]);
    if (!found.ok()) return std::move(found).error();
    (*out)[i] = *found;
  }
  return OkStatus();
}

Result<std::optional<std::string>> RocksDbStore::TryReadRecord(uint64_t offset) {
  return ReadRecordWith(MemoryOnly(), offset);
}

Status RocksDbStore::Scan(Index index, std::string_view key, uint64_t after, size_t limit,
                          std::vector<ScanHit>* out) {
  Family family = kLogCf;
  std::string prefix;
  switch (index) {
    case Index::kLog: family = kLogCf; break;
    case Index::kDistributed: family = kDistributedCf; break;
    case Index::kInbox: family = kInboxCf; prefix = keys::Prefix(key); break;
    case Index::kCase: family = kCaseCf; prefix = keys::Prefix(key); break;
    case Index::kOrigin: family = kOriginCf; prefix = keys::Prefix(key); break;
  }
  if (after == UINT64_MAX) return OkStatus();
  std::string start = prefix + keys::Be64(after + 1);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[family]));
  size_t n = 0;
  for (it->Seek(start); it->Valid() && n < limit; it->Next(), ++n) {
    std::string_view k = ToStringView(it->key());
    if (k.size() != prefix.size() + 8 || k.substr(0, prefix.size()) != prefix) break;
    ScanHit hit;
    hit.offset = keys::DecodeBe64(k.substr(prefix.size()));
    if (index == Index::kDistributed) hit.value.assign(it->value().data(), it->value().size());
    out->push_back(std::move(hit));
  }
  if (!it->status().ok()) return Translate(it->status(), "scan");
  return OkStatus();
}

Status RocksDbStore::ScanTime(int64_t from_us, int64_t to_us, uint64_t after, size_t limit,
                              std::vector<uint64_t>* out) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kTimeCf]));
  size_t n = 0;
  for (it->Seek(keys::Be64(keys::TimeOrder(from_us))); it->Valid() && n < limit; it->Next()) {
    std::string_view k = ToStringView(it->key());
    if (keys::TimeFromOrder(keys::DecodeBe64(k)) > to_us) break;
    uint64_t offset = keys::DecodeBe64(k.substr(8));
    if (offset <= after) continue;
    out->push_back(offset);
    ++n;
  }
  if (!it->status().ok()) return Translate(it->status(), "scan time");
  return OkStatus();
}

Result<std::optional<CursorState>> RocksDbStore::GetCursor(std::string_view name) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[kCursorsCf], ToSlice(name), &value);
  if (s.IsNotFound()) return std::optional<CursorState>();
  if (!s.ok()) return Translate(s, "get cursor");
  if (value.size() < 8) return Error{errc::corruption, "cursor record shorter than 8 bytes"};
  CursorState state;
  state.acked_offset = keys::DecodeBe64(value);
  state.filter = value.substr(8);
  return std::optional<CursorState>(std::move(state));
}

}  // namespace lintas::store

namespace lintas::store {

Result<std::optional<std::string>> RocksDbStore::ReadLeafBlock(uint64_t block) {
  std::string value;
  rocksdb::Status s = db_->Get(BulkRead(), handles_[kLeavesCf], keys::Be64(block), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Translate(s, "read leaf block");
  return std::optional<std::string>(std::move(value));
}

Status RocksDbStore::ReadAccessLeaves(uint64_t first, size_t count, std::vector<std::string>* out) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[kAccessLeavesCf]));
  size_t n = 0;
  for (it->Seek(keys::Be64(first + 1)); it->Valid() && n < count; it->Next(), ++n) {
    out->emplace_back(ToStringView(it->value()));
  }
  if (!it->status().ok()) return Translate(it->status(), "read access leaves");
  return OkStatus();
}

uint64_t RocksDbStore::access_size() const { return access_size_.load(); }

Status RocksDbStore::ScanAccess(uint64_t after, size_t limit,
                                std::vector<std::pair<uint64_t, std::string>>* out) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kAccessCf]));
  size_t n = 0;
  for (it->Seek(keys::Be64(after + 1)); it->Valid() && n < limit; it->Next(), ++n) {
    out->emplace_back(keys::DecodeBe64(ToStringView(it->key())), std::string(ToStringView(it->value())));
  }
  if (!it->status().ok()) return Translate(it->status(), "scan access");
  return OkStatus();
}

Result<std::optional<std::string>> RocksDbStore::LatestCheckpoint() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[kCheckpointsCf]));
  it->SeekToLast();
  if (!it->status().ok()) return Translate(it->status(), "latest checkpoint");
  if (!it->Valid()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(ToStringView(it->value())));
}

Status RocksDbStore::ScanMeta(std::string_view prefix, std::vector<std::pair<std::string, std::string>>* out) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kMetaCf]));
  for (it->Seek(ToSlice(prefix)); it->Valid() && ToStringView(it->key()).starts_with(prefix); it->Next()) {
    out->emplace_back(std::string(ToStringView(it->key())), std::string(ToStringView(it->value())));
  }
  if (!it->status().ok()) return Translate(it->status(), "scan meta");
  return OkStatus();
}

}  // namespace lintas::store
