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
                                         int64_t now_us);
  // Events queued and not yet settled (reads keys only).
  [[nodiscard]] Result<uint64_t> PendingCount();
  // Queued events with a local sequence > `after`, in order: (seq, bytes).
  [[nodiscard]] Result<std::vector<std::pair<uint64_t, std::string>>> Pending(uint64_t after,
                                                                              size_t limit);
  // Records the broker's answer; the event leaves the pending queue. Not
  // synced by itself: a lost update only causes a resend, which the broker
  // answers with the same offset.
  [[nodiscard]] Status Settle(const wire::EventId& id, const OutboxStatus& status);
  [[nodiscard]] Result<std::optional<OutboxStatus>> GetStatus(const wire::EventId& id);
  [[nodiscard]] Result<std::optional<std::string>> OutboxEvent(uint64_t local_seq);

  // Stores the records whose offsets are new, synced; returns those new ones.
  [[nodiscard]] Result<std::vector<InboxEntry>> PutInbox(std::vector<InboxEntry> entries,
                                                         const std::vector<wire::EventId>& ids);
  [[nodiscard]] Result<std::vector<InboxEntry>> ReadInbox(uint64_t after, size_t limit);
  [[nodiscard]] Result<std::optional<uint64_t>> InboxOffsetOf(const wire::EventId& id);
  [[nodiscard]] Result<std::optional<std::string>> InboxRecord(uint64_t offset);

  // Small named values: reader cursors ("reader/<name>"), referral threads
  // ("referral/<case>"), subscriptions ("subscription/<name>").
  [[nodiscard]] Status Put(const std::string& key, const std::string& value, bool sync);
  [[nodiscard]] Status Delete(const std::string& key);
  [[nodiscard]] Result<std::optional<std::string>> Get(const std::string& key);
  // Every (key, value) whose key starts with `prefix`.
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> List(
      const std::string& prefix);

 private:
  enum Family { kDefault, kOutbox, kPending, kStatus, kInbox, kInboxIds, kMeta, kCount };
  NodeStore() = default;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::mutex enqueue_mu_;  // serialises local sequence assignment
  uint64_t next_seq_ = 1;  // Guarded by enqueue_mu_.
};

}  // namespace lintas::node
