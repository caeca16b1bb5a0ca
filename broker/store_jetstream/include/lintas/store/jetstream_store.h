// The replicated store: the log and the consultation log are JetStream
// streams on a NATS cluster (replicas on several servers), cursors, broker
// metadata and the latest checkpoint a JetStream key-value bucket; derived
// state (dedup, secondary indexes, leaf blocks, and a copy of the records
// for reads) lives in a local RocksDB cache rebuilt from the streams.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lintas/store/jetstream_options.h"
#include "lintas/store/store.h"

typedef struct __kvStore kvStore;

namespace lintas::store {

class NatsClient;
class RocksDbStore;
class PublishTracker;
struct PublishTrackerOutcome;

// What an ack means here: Append returns once every record is stored in the
// stream, i.e. a quorum of the stream's replicas (2 of 3) accepted it. On
// nats-server 2.9 that is in the servers' memory, not on their disks: they
// fsync every 2 minutes (sync_interval, "always" from 2.10). See
// docs/OPERATIONS.md.
//
// Offsets are stream sequences. Every record is published with Nats-Msg-Id
// (its event id) and Nats-Expected-Last-Sequence (its offset - 1). Only the
// records the stream confirms at their offsets (acked without a hole, or
// read back with our id) count as stored; a second broker's record at one of
// our offsets fails the append as a conflict; ReopenAfterFailedWrite then
// catches the cache up with the stream. The cache, and so next_offset(),
// only ever holds what the stream holds.
//
// Ownership: owns the NATS connection, the buckets it opened and the cache.
// Thread safety: as Store. Append and Sync serialise on publish_mu_;
// cursor and checkpoint state is guarded by state_mu_; reads go to the
// cache (thread-safe).
class JetStreamStore final : public Store {
 public:
  // Connects, creates or checks the streams and the bucket, opens the cache
  // at options.cache_dir and catches it up with the streams (checking that
  // it is a prefix of them), and loads cursors, metadata and the latest
  // checkpoint from the bucket.
  [[nodiscard]] static Result<std::unique_ptr<JetStreamStore>> Open(const JetStreamOptions& options);
  ~JetStreamStore() override;

  uint64_t next_offset() const override;
  int64_t last_received_at_us() const override;
  Status Append(std::span<const AppendEntry> entries) override;
  Status WriteIndexes(std::span<const IndexEntry> entries) override;
  uint64_t index_watermark() const override;
  Result<std::optional<uint64_t>> FindEvent(const wire::EventId& id) override;
  Status FindEvents(std::span<const wire::EventId> ids,
                    std::vector<std::optional<uint64_t>>* out) override;
  Result<std::optional<std::string>> ReadRecord(uint64_t offset) override;
  // From the local cache's memory only (the cache holds dedup and records).
  Status TryFindEvents(std::span<const wire::EventId> ids,
                       std::vector<std::optional<uint64_t>>* out) override;
  Result<std::optional<uint64_t>> TryFindEvent(const wire::EventId& id) override;
  Result<std::optional<std::string>> TryReadRecord(uint64_t offset) override;
  Status Scan(Index index, std::string_view key, uint64_t after, size_t limit,
              std::vector<ScanHit>* out) override;
  Status ScanTime(int64_t from_us, int64_t to_us, uint64_t after, size_t limit,
                  std::vector<uint64_t>* out) override;
  Status PutCursor(std::string_view name, const CursorState& state) override;
  Status DeleteCursor(std::string_view name) override;
  Result<std::optional<CursorState>> GetCursor(std::string_view name) override;
  Status PutLeafBlock(uint64_t block, std::string_view leaves) override;
  Result<std::optional<std::string>> ReadLeafBlock(uint64_t block) override;
  Status ReadAccessLeaves(uint64_t first, size_t count, std::vector<std::string>* out) override;
  Status AppendAccess(std::span<const AccessEntry> entries) override;
  uint64_t access_size() const override;
  Status ScanAccess(uint64_t after, size_t limit,
                    std::vector<std::pair<uint64_t, std::string>>* out) override;
  Status PutCheckpoint(uint64_t size, std::string_view bytes) override;
  Result<std::optional<std::string>> LatestCheckpoint() override;
  Status SupersedeCheckpoints() override;
  Status PutMeta(std::string_view key, std::string_view value) override;
  Status ScanMeta(std::string_view prefix, std::vector<std::pair<std::string, std::string>>* out) override;
  Status Sync() override;
  Status ReopenAfterFailedWrite() override;

  // The stream's last sequence as the cluster says now (tests).
  [[nodiscard]] Result<uint64_t> StreamLastSeq();
  const JetStreamOptions& options() const { return options_; }

 private:
  JetStreamStore();
  Status OpenStreams();
  // Reads what the streams hold past the cache into it; refuses a cache
  // that is not a prefix of the streams.
  Status CatchUp();
  Status CatchUpAccess();
  Status LoadState();
  // Publishes the cursor changes made since the last flush (KV puts and
  // deletes, asynchronously, awaited with the batch). Caller holds
  // publish_mu_.
  void QueueCursorFlush();
  // Publishes entries from offset `from` on (asynchronously, each with its
  // id and expected last sequence) and waits for their acks. Caller holds
  // publish_mu_.
  PublishTrackerOutcome PublishRange(std::span<const AppendEntry> entries,
                                     const std::vector<std::string>& ids, uint64_t from,
                                     bool with_cursors);
  PublishTrackerOutcome AwaitPublishes();
  // Moves *stored past the offsets the stream holds with our ids (records
  // whose acks were lost); a conflict if it holds another's.
  Status ResolveFromStream(const std::vector<std::string>& ids, uint64_t first, uint64_t* stored);

  JetStreamOptions options_;
  std::unique_ptr<NatsClient> client_;
  std::unique_ptr<PublishTracker> tracker_;  // the asynchronous acks
  kvStore* state_kv_ = nullptr;              // owned
  std::unique_ptr<RocksDbStore> cache_;
  std::string log_subject_;
  std::string access_subject_;
  std::string kv_prefix_;  // "$KV.<bucket>."

  std::mutex publish_mu_;  // serialises Append, Sync and ReopenAfterFailedWrite
  std::atomic<bool> failed_{false};  // an Append failed; no Append until reopened

  mutable std::mutex state_mu_;
  std::map<std::string, CursorState, std::less<>> cursors_;        // Guarded by state_mu_.
  std::map<std::string, std::optional<CursorState>> dirty_;        // Guarded by state_mu_.
  std::map<std::string, std::string, std::less<>> meta_;          // Guarded by state_mu_.
  std::optional<std::pair<uint64_t, std::string>> checkpoint_;     // Guarded by state_mu_.
};

}  // namespace lintas::store
