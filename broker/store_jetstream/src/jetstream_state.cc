// JetStreamStore: cursors, metadata and checkpoints in the key-value bucket,
// the consultation log's stream, and the reads served by the cache.
#include <fmt/format.h>

#include "../../store/src/keys.h"
#include "lintas/common/logging.h"
#include "lintas/store/jetstream_store.h"
#include "lintas/store/rocksdb_store.h"
#include "nats_client.h"
#include "publish_tracker.h"

namespace lintas::store {
namespace {

// Bucket keys: "c.<hex name>" cursors, "m.<hex key>" metadata, "checkpoint"
// the latest checkpoint (BE size, then the bytes). Hex because cursor and
// metadata names may hold characters keys may not.
constexpr std::string_view kCursorKey = "c.";
constexpr std::string_view kMetaKey = "m.";
constexpr std::string_view kCheckpointKey = "checkpoint";

std::string Hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = nibble(s[i]);
    int lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string EncodeCursor(const CursorState& state) { return keys::Be64(state.acked_offset) + state.filter; }

Status KvPut(kvStore* kv, const std::string& key, std::string_view value) {
  uint64_t rev = 0;
  natsStatus s = kvStore_Put(&rev, kv, key.c_str(), value.data(), static_cast<int>(value.size()));
  return s == NATS_OK ? OkStatus() : Status(NatsError(s, "key-value put " + key));
}

}  // namespace

Status JetStreamStore::LoadState() {
  kvKeysList list;
  natsStatus s = kvStore_Keys(&list, state_kv_, nullptr);
  if (s == NATS_NOT_FOUND) return OkStatus();  // an empty bucket
  if (s != NATS_OK) return NatsError(s, "list bucket " + options_.bucket);
  Status result = OkStatus();
  std::lock_guard<std::mutex> lock(state_mu_);
  for (int i = 0; i < list.Count && result.ok(); ++i) {
    std::string_view key = list.Keys[i];
    kvEntry* entry = nullptr;
    s = kvStore_Get(&entry, state_kv_, list.Keys[i]);
    if (s == NATS_NOT_FOUND) continue;  // deleted meanwhile
    if (s != NATS_OK) {
      result = NatsError(s, fmt::format("read {} of bucket {}", key, options_.bucket));
      break;
    }
    std::string value(static_cast<const char*>(kvEntry_Value(entry)),
                      static_cast<size_t>(kvEntry_ValueLen(entry)));
    kvEntry_Destroy(entry);
    if (key == kCheckpointKey && value.size() >= 8) {
      checkpoint_ = std::make_pair(keys::DecodeBe64(value), value.substr(8));
    } else if (key.starts_with(kCursorKey) && value.size() >= 8) {
      auto name = Unhex(key.substr(kCursorKey.size()));
      if (name) cursors_[*name] = CursorState{keys::DecodeBe64(value), value.substr(8)};
    } else if (key.starts_with(kMetaKey)) {
      auto name = Unhex(key.substr(kMetaKey.size()));
      if (name) meta_[*name] = std::move(value);
    }
  }
  kvKeysList_Destroy(&list);
  return result;
}

void JetStreamStore::QueueCursorFlush() {
  std::map<std::string, std::optional<CursorState>> dirty;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    dirty.swap(dirty_);
  }
  for (auto& [name, state] : dirty) {
    std::string subject = kv_prefix_ + std::string(kCursorKey) + Hex(name);
    std::string value = state ? EncodeCursor(*state) : std::string();
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, value.data(),
                                  static_cast<int>(value.size()));
    if (s == NATS_OK && !state) s = natsMsgHeader_Set(msg, "KV-Operation", "DEL");
    if (s == NATS_OK) s = js_PublishMsgAsync(client_->js(), &msg, nullptr);
    natsMsg_Destroy(msg);
    if (s != NATS_OK) {
      GetLogger("store")->warn("cursor update not sent to bucket {}: {}", options_.bucket,
                               natsStatus_GetText(s));
    }
  }
}

Status JetStreamStore::PutCursor(std::string_view name, const CursorState& state) {
  std::lock_guard<std::mutex> lock(state_mu_);
  cursors_[std::string(name)] = state;
  dirty_[std::string(name)] = state;
  return OkStatus();
}

Status JetStreamStore::DeleteCursor(std::string_view name) {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (auto it = cursors_.find(name); it != cursors_.end()) cursors_.erase(it);
  dirty_[std::string(name)] = std::nullopt;
  return OkStatus();
}

Result<std::optional<CursorState>> JetStreamStore::GetCursor(std::string_view name) {
  std::lock_guard<std::mutex> lock(state_mu_);
  auto it = cursors_.find(name);
  if (it == cursors_.end()) return std::optional<CursorState>();
  return std::optional<CursorState>(it->second);
}

Status JetStreamStore::PutCheckpoint(uint64_t size, std::string_view bytes) {
  // Synchronous: rare (every checkpoint_every_events or interval), and the
  // standby that takes over must find it.
  if (auto s = KvPut(state_kv_, std::string(kCheckpointKey), keys::Be64(size) + std::string(bytes));
      !s.ok()) {
    return s;
  }
  std::lock_guard<std::mutex> lock(state_mu_);
  if (!checkpoint_ || size >= checkpoint_->first) checkpoint_ = std::make_pair(size, std::string(bytes));
  return OkStatus();
}

Result<std::optional<std::string>> JetStreamStore::LatestCheckpoint() {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (!checkpoint_) return std::optional<std::string>();
  return std::optional<std::string>(checkpoint_->second);
}

Status JetStreamStore::SupersedeCheckpoints() {
  std::optional<std::pair<uint64_t, std::string>> latest;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    latest = checkpoint_;
  }
  if (!latest) return OkStatus();
  // Kept as evidence first, then the latest cleared (an empty value is no
  // checkpoint when the state is loaded).
  if (auto s = PutMeta("superseded_checkpoint/" + keys::Be64(latest->first), latest->second); !s.ok()) {
    return s;
  }
  if (auto s = KvPut(state_kv_, std::string(kCheckpointKey), ""); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(state_mu_);
  checkpoint_.reset();
  return OkStatus();
}

Status JetStreamStore::PutMeta(std::string_view key, std::string_view value) {
  if (auto s = KvPut(state_kv_, std::string(kMetaKey) + Hex(key), value); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(state_mu_);
  meta_[std::string(key)] = std::string(value);
  return OkStatus();
}

Status JetStreamStore::ScanMeta(std::string_view prefix,
                                std::vector<std::pair<std::string, std::string>>* out) {
  std::lock_guard<std::mutex> lock(state_mu_);
  for (auto it = meta_.lower_bound(prefix); it != meta_.end() && it->first.starts_with(prefix); ++it) {
    out->emplace_back(it->first, it->second);
  }
  return OkStatus();
}

Status JetStreamStore::AppendAccess(std::span<const AccessEntry> entries) {
  // Published one by one and awaited: a consultation record is as durable
  // as the log before anything it records is disclosed.
  for (const AccessEntry& e : entries) {
    if (e.seq != cache_->access_size() + 1) {
      return Error{errc::invalid_append, "consultation records must continue the sequence"};
    }
    std::string data = e.leaf + e.record;
    auto stored = client_->PublishSync(access_subject_, data, "", e.seq - 1);
    if (!stored.ok()) {
      // The ack may be lost while the record is stored: the stream decides.
      auto theirs = client_->GetMessage(options_.access_stream, e.seq);
      if (!theirs.ok() || !theirs->has_value() || (*theirs)->data != data) return std::move(stored).error();
    } else if (*stored != e.seq) {
      return Error{errc::conflict, fmt::format("consultation record {} stored as #{}", e.seq, *stored)};
    }
    if (auto s = cache_->AppendAccess(std::span(&e, 1)); !s.ok()) return s;
  }
  return OkStatus();
}

// Everything else is the cache's: derived from the streams.
uint64_t JetStreamStore::next_offset() const { return cache_->next_offset(); }
int64_t JetStreamStore::last_received_at_us() const { return cache_->last_received_at_us(); }
Status JetStreamStore::WriteIndexes(std::span<const IndexEntry> entries) {
  return cache_->WriteIndexes(entries);
}
uint64_t JetStreamStore::index_watermark() const { return cache_->index_watermark(); }
Result<std::optional<uint64_t>> JetStreamStore::FindEvent(const wire::EventId& id) {
  return cache_->FindEvent(id);
}
Status JetStreamStore::FindEvents(std::span<const wire::EventId> ids,
                                  std::vector<std::optional<uint64_t>>* out) {
  return cache_->FindEvents(ids, out);
}
Result<std::optional<std::string>> JetStreamStore::ReadRecord(uint64_t offset) {
  return cache_->ReadRecord(offset);
}
Status JetStreamStore::TryFindEvents(std::span<const wire::EventId> ids,
                                     std::vector<std::optional<uint64_t>>* out) {
  return cache_->TryFindEvents(ids, out);
}
Result<std::optional<uint64_t>> JetStreamStore::TryFindEvent(const wire::EventId& id) {
  return cache_->TryFindEvent(id);
}
Result<std::optional<std::string>> JetStreamStore::TryReadRecord(uint64_t offset) {
  return cache_->TryReadRecord(offset);
}
Status JetStreamStore::Scan(Index index, std::string_view key, uint64_t after, size_t limit,
                            std::vector<ScanHit>* out) {
  return cache_->Scan(index, key, after, limit, out);
}
Status JetStreamStore::ScanTime(int64_t from_us, int64_t to_us, uint64_t after, size_t limit,
                                std::vector<uint64_t>* out) {
  return cache_->ScanTime(from_us, to_us, after, limit, out);
}
Status JetStreamStore::PutLeafBlock(uint64_t block, std::string_view leaves) {
  return cache_->PutLeafBlock(block, leaves);
}
Result<std::optional<std::string>> JetStreamStore::ReadLeafBlock(uint64_t block) {
  return cache_->ReadLeafBlock(block);
}
Status JetStreamStore::ReadAccessLeaves(uint64_t first, size_t count, std::vector<std::string>* out) {
  return cache_->ReadAccessLeaves(first, count, out);
}
uint64_t JetStreamStore::access_size() const { return cache_->access_size(); }
Status JetStreamStore::ScanAccess(uint64_t after, size_t limit,
                                  std::vector<std::pair<uint64_t, std::string>>* out) {
  return cache_->ScanAccess(after, limit, out);
}

}  // namespace lintas::store
