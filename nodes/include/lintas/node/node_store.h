// The node's durable state in RocksDB: the outbox (events accepted from local
// users, synced before they are confirmed as queued), their status, the inbox
// (records delivered by the broker, synced before they are acknowledged),
// local readers' cursors, referral threads and subscriptions.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/wire/event_id.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace lintas::node {

enum class OutboxState : uint8_t { kQueued = 0, kAcknowledged = 1, kRefused = 2 };

struct OutboxStatus {
  OutboxState state = OutboxState::kQueued;
  uint64_t local_seq = 0;
  int64_t queued_at_us = 0;
  uint64_t offset = 0;     // when acknowledged
  bool duplicate = false;  // the broker already had it
  uint16_t code = 0;       // when refused
  std::string message;
  std::string field;
};

std::string_view StateName(OutboxState state);

struct InboxEntry {
  uint64_t offset = 0;
  std::string record;  // StoredRecord bytes
};

// The column families other components own, reached through the generic
// Get / Scan / Write below: accounts (users), API tokens and sessions
// (tokens), the node's hash-chained consultation log (access), the case
// model (cases: cases, items, events and their indexes as separate keys) and
// the per-case keys (vault: CaseVault).
enum class Cf : uint8_t { kMeta = 0, kUsers, kTokens, kAccess, kCases, kVault };

// A set of writes applied atomically by NodeStore::Write. Owns its contents.
class WriteSet {
 public:
  void Put(Cf cf, std::string key, std::string value) {
    ops_.push_back({cf, std::move(key), std::move(value), false});
  }
  void Delete(Cf cf, std::string key) { ops_.push_back({cf, std::move(key), {}, true}); }
  // Adds a copy of every write of `other`, after this set's.
  void Append(const WriteSet& other) { ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end()); }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }

 private:
  friend class NodeStore;
  struct Op {
    Cf cf;
    std::string key;
    std::string value;
    bool erase;
  };
  std::vector<Op> ops_;
};

// Thread safety: safe for concurrent use (RocksDB is); the link thread and
// the HTTP threads share one store.
class NodeStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<NodeStore>> Open(const std::string& path);
  ~NodeStore();

  struct Enqueued {
    OutboxStatus status;
    bool existed = false;  // the id was in the outbox already: not queued again
  };
  // Appends to the outbox and marks it queued, synced to disk. An id already
  // in the outbox is not queued again: its current status is returned.
  [[nodiscard]] Result<Enqueued> Enqueue(const wire::EventId& id, std::string_view event,
                                         int64_t now_us, const WriteSet* extra = nullptr);
  // Events queued and not yet settled (reads keys only).
  [[nodiscard]] Result<uint64_t> PendingCount();
  // Queued events with a local sequence > `after`, in order: (seq, bytes).
  [[nodiscard]] Result<std::vector<std::pair<uint64_t, std::string>>> Pending(uint64_t after,
                                                                              size_t limit);
  // Records the broker's answer; the event leaves the pending queue. Not
  // synced by itself: a lost update only causes a resend, which the broker
  // answers with the same offset.
  // With `extra` (the case model's changes), both go in one synced write.
  [[nodiscard]] Status Settle(const wire::EventId& id, const OutboxStatus& status,
                              const WriteSet* extra = nullptr);
  [[nodiscard]] Result<std::optional<OutboxStatus>> GetStatus(const wire::EventId& id);
  [[nodiscard]] Result<std::optional<std::string>> OutboxEvent(uint64_t local_seq);

  // Stores the records whose offsets are new, synced; returns those new ones.
  // `answers` (automatic answers such as delivery receipts, queued in the
  // outbox) and `extra` (the case model's updates) go into the same synced
  // write, so that a crash leaves all of it or none.
  using Answers = std::vector<std::pair<wire::EventId, std::string>>;
  [[nodiscard]] Result<std::vector<InboxEntry>> PutInbox(std::vector<InboxEntry> entries,
                                                         const std::vector<wire::EventId>& ids,
                                                         const WriteSet* extra = nullptr,
                                                         const Answers* answers = nullptr);
  // Whether the inbox holds `offset` already.
  [[nodiscard]] Result<bool> HasInbox(uint64_t offset);

  [[nodiscard]] Result<std::vector<InboxEntry>> ReadInbox(uint64_t after, size_t limit);
  [[nodiscard]] Result<std::optional<uint64_t>> InboxOffsetOf(const wire::EventId& id);
  [[nodiscard]] Result<std::optional<std::string>> InboxRecord(uint64_t offset);

  // Generic access to the families of Cf (kMeta is the one Put/Get use).
  [[nodiscard]] Status Write(const WriteSet& writes, bool sync);
  [[nodiscard]] Result<std::optional<std::string>> Get(Cf cf, const std::string& key);
  // Up to `limit` (key, value) pairs whose key starts with `prefix`, from the
  // first key > `after` (or the prefix's start when empty); `reverse` walks
  // from the end of the prefix backwards (then keys < `after`).
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> Scan(
      Cf cf, const std::string& prefix, size_t limit, const std::string& after = {},
      bool reverse = false);

  // After an erasure: flushes every family (so that the WAL files holding
  // what was deleted are dropped) and compacts the vault, the case model and
  // the outbox, so that deleted keys and copies leave the files. Slow (it
  // rewrites those families); not for a hot path.
  [[nodiscard]] Status Shred();

  // Small named values: reader cursors ("reader/<name>"), referral threads
  // ("referral/<case>"), subscriptions ("subscription/<name>").
  [[nodiscard]] Status Put(const std::string& key, const std::string& value, bool sync);
  [[nodiscard]] Status Delete(const std::string& key);
  [[nodiscard]] Result<std::optional<std::string>> Get(const std::string& key);
  // Every (key, value) whose key starts with `prefix`.
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> List(
      const std::string& prefix);

 private:
  enum Family { kDefault, kOutbox, kPending, kStatus, kInbox, kInboxIds, kMeta, kUsers, kTokens,
                kAccess, kCases, kVault, kCount };
  NodeStore() = default;
  rocksdb::ColumnFamilyHandle* Handle(Cf cf) const;
  void AddTo(rocksdb::WriteBatch* batch, const WriteSet* writes) const;
  // Adds the outbox writes of `events` (ids not yet queued) to `batch`;
  // returns the next free sequence. Caller holds enqueue_mu_.
  Result<uint64_t> AddEnqueues(rocksdb::WriteBatch* batch, const Answers& events, int64_t now_us);

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::mutex enqueue_mu_;  // serialises local sequence assignment
  uint64_t next_seq_ = 1;  // Guarded by enqueue_mu_.
};

}  // namespace lintas::node
