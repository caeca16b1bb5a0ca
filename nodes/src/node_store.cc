// Node store on RocksDB.
#include "lintas/node/node_store.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "lintas/common/clock.h"

namespace lintas::node {
namespace {

const char* const kFamilies[] = {"default", "outbox", "pending", "status", "inbox", "inbox_ids",
                                 "meta",    "users",  "tokens",  "access", "cases",     "vault"};

std::string Be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
  return out;
}

uint64_t FromBe64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

rocksdb::Slice IdKey(const wire::EventId& id) {
  return {reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()};
}

Error Translate(const rocksdb::Status& s, std::string_view what) {
  return Error{std::make_error_code(std::errc::io_error), fmt::format("{}: {}", what, s.ToString())};
}

std::string EncodeStatus(const OutboxStatus& s) {
  nlohmann::json j{{"state", static_cast<int>(s.state)}, {"seq", s.local_seq},
                   {"queued_at_us", s.queued_at_us}, {"offset", s.offset},
                   {"duplicate", s.duplicate}, {"code", s.code},
                   {"message", s.message}, {"field", s.field}};
  return j.dump();
}

OutboxStatus DecodeStatus(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  OutboxStatus s;
  if (j.is_discarded()) return s;
  s.state = static_cast<OutboxState>(j.value("state", 0));
  s.local_seq = j.value("seq", uint64_t{0});
  s.queued_at_us = j.value("queued_at_us", int64_t{0});
  s.offset = j.value("offset", uint64_t{0});
  s.duplicate = j.value("duplicate", false);
  s.code = j.value("code", uint16_t{0});
  s.message = j.value("message", "");
  s.field = j.value("field", "");
  return s;
}

}  // namespace

std::string_view StateName(OutboxState state) {
  switch (state) {
    case OutboxState::kQueued: return "queued";
    case OutboxState::kAcknowledged: return "acknowledged";
    case OutboxState::kRefused: return "refused";
  }
  return "unknown";
}

Result<std::unique_ptr<NodeStore>> NodeStore::Open(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.keep_log_file_num = 2;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : kFamilies) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  auto store = std::unique_ptr<NodeStore>(new NodeStore());
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, path, families, &store->handles_, &raw);
  if (!s.ok()) return Translate(s, "open " + path);
  store->db_.reset(raw);
  std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), store->handles_[kOutbox]));
  it->SeekToLast();
  store->next_seq_ = it->Valid() ? FromBe64(it->key().ToStringView()) + 1 : 1;
  return store;
}

NodeStore::~NodeStore() {
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

Result<NodeStore::Enqueued> NodeStore::Enqueue(const wire::EventId& id, std::string_view event,
                                                int64_t now_us, const WriteSet* extra) {
  std::lock_guard lock(enqueue_mu_);
  auto existing = GetStatus(id);
  if (!existing.ok()) return std::move(existing).error();
  if (existing->has_value()) return Enqueued{**existing, true};
  OutboxStatus status;
  status.local_seq = next_seq_;
  status.queued_at_us = now_us;
  rocksdb::WriteBatch batch;
  std::string seq = Be64(status.local_seq);
  batch.Put(handles_[kOutbox], seq, rocksdb::Slice(event.data(), event.size()));
  batch.Put(handles_[kPending], seq, IdKey(id));
  batch.Put(handles_[kStatus], IdKey(id), EncodeStatus(status));
  AddTo(&batch, extra);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return Translate(s, "enqueue");
  ++next_seq_;
  return Enqueued{status, false};
}

Result<uint64_t> NodeStore::AddEnqueues(rocksdb::WriteBatch* batch, const Answers& events,
                                        int64_t now_us) {
  uint64_t seq = next_seq_;
  for (const auto& [id, event] : events) {
    auto existing = GetStatus(id);
    if (!existing.ok()) return std::move(existing).error();
    if (existing->has_value()) continue;
    OutboxStatus status;
    status.local_seq = seq++;
    status.queued_at_us = now_us;
    std::string key = Be64(status.local_seq);
    batch->Put(handles_[kOutbox], key, event);
    batch->Put(handles_[kPending], key, IdKey(id));
    batch->Put(handles_[kStatus], IdKey(id), EncodeStatus(status));
  }
  return seq;
}

rocksdb::ColumnFamilyHandle* NodeStore::Handle(Cf cf) const {
  switch (cf) {
    case Cf::kMeta: return handles_[kMeta];
    case Cf::kUsers: return handles_[kUsers];
    case Cf::kTokens: return handles_[kTokens];
    case Cf::kAccess: return handles_[kAccess];
    case Cf::kCases: return handles_[kCases];
    case Cf::kVault: return handles_[kVault];
  }
  return handles_[kMeta];
}

void NodeStore::AddTo(rocksdb::WriteBatch* batch, const WriteSet* writes) const {
  if (writes == nullptr) return;
  for (const auto& op : writes->ops_) {
    if (op.erase) {
      batch->Delete(Handle(op.cf), op.key);
    } else {
      batch->Put(Handle(op.cf), op.key, op.value);
    }
  }
}

Status NodeStore::Write(const WriteSet& writes, bool sync) {
  if (writes.empty()) return OkStatus();
  rocksdb::WriteBatch batch;
  AddTo(&batch, &writes);
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return Translate(s, "write");
  return OkStatus();
}

Status NodeStore::Shred() {
  // Flushing every family lets RocksDB drop the WAL files that still hold
  // the deleted values; a forced compaction of the bottommost level rewrites
  // the files that hold them without the deleted versions.
  rocksdb::FlushOptions fo;
  fo.wait = true;
  if (auto s = db_->Flush(fo, handles_); !s.ok()) return Translate(s, "flush");
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (Family f : {kVault, kCases, kOutbox}) {
    if (auto s = db_->CompactRange(co, handles_[f], nullptr, nullptr); !s.ok()) return Translate(s, "compact");
  }
  if (auto s = db_->FlushWAL(true); !s.ok()) return Translate(s, "flush WAL");
  return OkStatus();
}

Result<std::optional<std::string>> NodeStore::Get(Cf cf, const std::string& key) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), Handle(cf), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Translate(s, "get");
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::pair<std::string, std::string>>> NodeStore::Scan(Cf cf, const std::string& prefix,
                                                                         size_t limit,
                                                                         const std::string& after,
                                                                         bool reverse) {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Handle(cf)));
  if (!reverse) {
    if (after.empty()) {
      it->Seek(prefix);
    } else {
      it->Seek(after);
      if (it->Valid() && it->key() == rocksdb::Slice(after)) it->Next();
    }
    for (; it->Valid() && it->key().starts_with(prefix) && out.size() < limit; it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
  } else {
    if (after.empty()) {
      // The first key past every key with this prefix.
      std::string end = prefix;
      while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
      if (end.empty()) {
        it->SeekToLast();
      } else {
        end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
        it->SeekForPrev(end);
        if (it->Valid() && it->key() == rocksdb::Slice(end)) it->Prev();
      }
    } else {
      it->SeekForPrev(after);
      if (it->Valid() && it->key() == rocksdb::Slice(after)) it->Prev();
    }
    for (; it->Valid() && it->key().starts_with(prefix) && out.size() < limit; it->Prev()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
  }
  if (!it->status().ok()) return Translate(it->status(), "scan");
  return out;
}

Result<uint64_t> NodeStore::PendingCount() {
  uint64_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kPending]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  if (!it->status().ok()) return Translate(it->status(), "count pending");
  return n;
}

Result<std::vector<std::pair<uint64_t, std::string>>> NodeStore::Pending(uint64_t after,
                                                                          size_t limit) {
  std::vector<std::pair<uint64_t, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kPending]));
  for (it->Seek(Be64(after + 1)); it->Valid() && out.size() < limit; it->Next()) {
    uint64_t seq = FromBe64(it->key().ToStringView());
    std::string event;
    auto s = db_->Get(rocksdb::ReadOptions(), handles_[kOutbox], it->key(), &event);
    if (!s.ok()) return Translate(s, "read outbox");
    out.emplace_back(seq, std::move(event));
  }
  if (!it->status().ok()) return Translate(it->status(), "scan pending");
  return out;
}

Status NodeStore::Settle(const wire::EventId& id, const OutboxStatus& status, const WriteSet* extra) {
  rocksdb::WriteBatch batch;
  batch.Delete(handles_[kPending], Be64(status.local_seq));
  batch.Put(handles_[kStatus], IdKey(id), EncodeStatus(status));
  AddTo(&batch, extra);
  rocksdb::WriteOptions wo;
  wo.sync = extra != nullptr && !extra->empty();
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return Translate(s, "settle");
  return OkStatus();
}

Result<std::optional<OutboxStatus>> NodeStore::GetStatus(const wire::EventId& id) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[kStatus], IdKey(id), &value);
  if (s.IsNotFound()) return std::optional<OutboxStatus>();
  if (!s.ok()) return Translate(s, "status");
  return std::optional<OutboxStatus>(DecodeStatus(value));
}

Result<std::optional<std::string>> NodeStore::OutboxEvent(uint64_t local_seq) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[kOutbox], Be64(local_seq), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Translate(s, "outbox");
  return std::optional<std::string>(std::move(value));
}

Result<bool> NodeStore::HasInbox(uint64_t offset) {
  std::string ignored;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[kInbox], Be64(offset), &ignored);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return Translate(s, "inbox lookup");
  return true;
}

Result<std::vector<InboxEntry>> NodeStore::PutInbox(std::vector<InboxEntry> entries,
                                                    const std::vector<wire::EventId>& ids,
                                                    const WriteSet* extra, const Answers* answers) {
  std::lock_guard lock(enqueue_mu_);
  std::vector<InboxEntry> fresh;
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string key = Be64(entries[i].offset);
    std::string ignored;
    auto s = db_->Get(rocksdb::ReadOptions(), handles_[kInbox], key, &ignored);
    if (s.ok()) continue;  // redelivered: already here
    if (!s.IsNotFound()) return Translate(s, "inbox lookup");
    batch.Put(handles_[kInbox], key, entries[i].record);
    batch.Put(handles_[kInboxIds], IdKey(ids[i]), key);
    fresh.push_back(std::move(entries[i]));
  }
  AddTo(&batch, extra);
  uint64_t next = next_seq_;
  if (answers != nullptr) {
    auto n = AddEnqueues(&batch, *answers, fresh.empty() ? 0 : lintas::NowMicros());
    if (!n.ok()) return std::move(n).error();
    next = *n;
  }
  if (batch.Count() == 0) return fresh;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return Translate(s, "inbox write");
  next_seq_ = next;
  return fresh;
}

Result<std::vector<InboxEntry>> NodeStore::ReadInbox(uint64_t after, size_t limit) {
  std::vector<InboxEntry> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kInbox]));
  for (it->Seek(Be64(after + 1)); it->Valid() && out.size() < limit; it->Next()) {
    out.push_back({FromBe64(it->key().ToStringView()), it->value().ToString()});
  }
  if (!it->status().ok()) return Translate(it->status(), "read inbox");
  return out;
}

Result<std::optional<uint64_t>> NodeStore::InboxOffsetOf(const wire::EventId& id) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[kInboxIds], IdKey(id), &value);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  if (!s.ok()) return Translate(s, "inbox id");
  return std::optional<uint64_t>(FromBe64(value));
}

Result<std::optional<std::string>> NodeStore::InboxRecord(uint64_t offset) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[kInbox], Be64(offset), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Translate(s, "inbox record");
  return std::optional<std::string>(std::move(value));
}

Status NodeStore::Put(const std::string& key, const std::string& value, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto s = db_->Put(wo, handles_[kMeta], key, value);
  if (!s.ok()) return Translate(s, "put " + key);
  return OkStatus();
}

Status NodeStore::Delete(const std::string& key) {
  auto s = db_->Delete(rocksdb::WriteOptions(), handles_[kMeta], key);
  if (!s.ok()) return Translate(s, "delete " + key);
  return OkStatus();
}

Result<std::optional<std::string>> NodeStore::Get(const std::string& key) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[kMeta], key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Translate(s, "get " + key);
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::pair<std::string, std::string>>> NodeStore::List(const std::string& prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kMeta]));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return Translate(it->status(), "list " + prefix);
  return out;
}

}  // namespace lintas::node
