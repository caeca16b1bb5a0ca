// Node store on RocksDB.
#include "lintas/node/node_store.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

namespace lintas::node {
namespace {

const char* const kFamilies[] = {"default", "outbox", "pending", "status", "inbox", "inbox_ids", "meta"};

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
                                                int64_t now_us) {
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
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return Translate(s, "enqueue");
  ++next_seq_;
  return Enqueued{status, false};
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

Status NodeStore::Settle(const wire::EventId& id, const OutboxStatus& status) {
  rocksdb::WriteBatch batch;
  batch.Delete(handles_[kPending], Be64(status.local_seq));
  batch.Put(handles_[kStatus], IdKey(id), EncodeStatus(status));
  auto s = db_->Write(rocksdb::WriteOptions(), &batch);
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

Result<std::vector<InboxEntry>> NodeStore::PutInbox(std::vector<InboxEntry> entries,
                                                    const std::vector<wire::EventId>& ids) {
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
  if (fresh.empty()) return fresh;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return Translate(s, "inbox write");
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
