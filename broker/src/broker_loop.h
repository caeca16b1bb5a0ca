// The broker's event loop: the thread that owns the ROUTER socket, every
// session, subscription and replay. Internal to lintas::broker.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "lintas/audit/checkpoint.h"
#include "lintas/audit/merkle_log.h"
#include "lintas/audit/receipt.h"
#include "lintas/audit/signer.h"
#include "lintas/fb/audit_generated.h"
#include "lintas/fb/record_generated.h"
#include "lintas/broker/committer.h"
#include "lintas/broker/config.h"
#include "lintas/broker/directory.h"
#include "lintas/broker/filter.h"
#include "lintas/broker/indexer.h"
#include "lintas/broker/policy.h"
#include "lintas/broker/probe.h"
#include "lintas/broker/revocations.h"
#include "lintas/broker/zap_handler.h"
#include "lintas/store/store.h"
#include "lintas/wire/frame.h"
#include "lintas/seal/directory_document.h"
#include "ingest.h"
#include "log_lookups.h"
#include "log_reader.h"
#include "party_filter.h"
#include "recent_records.h"
#include "regional_stats.h"
#include "seal_registry.h"
#include "shared_record.h"
#include "witness_registry.h"
#include "thread_rules.h"

namespace lintas::broker {

// A batch recorded in the consultation log, waiting for that record to be
// synced (by the next group commit) before it is sent.
struct HeldBatch {
  std::vector<uint64_t> offsets;
  std::vector<SharedRecord> records;  // references, not copies (shared_record.h)
  uint64_t access_seq = 0;  // its consultation record
};

// A catch-up read: the records of a subscription past `after` that the
// log holds (through its index, up to `indexed`), read by the LogReader
// thread. Written by the reader until `ready`, then the loop's; the reader
// may drop the last reference to it (and to its records) after the loop
// has let go of it.
struct CatchUp {
  uint64_t after = 0;    // the subscription's position when it was asked for
  uint64_t examined = 0;  // the last offset the scan considered
  std::vector<uint64_t> offsets;  // the records to deliver, in order
  std::vector<SharedRecord> records;
  Status status;
  bool ready = false;
};

// A durable subscription attached to a session.
struct Subscription {
  std::string key;   // "<node id>/<name>", the cursor's name
  std::string name;  // "inbox" or the node's name for it
  bool inbox = false;
  SubscriptionFilter filter;
  std::string peer;          // routing id of the attached session
  std::string node_id;
  std::string node_country;
  std::vector<std::string_view> node_roles;  // views into the directory
  uint64_t acked = 0;     // durable cursor
  uint64_t position = 0;  // last offset held, sent or skipped
  uint64_t credit = 0;    // records the subscriber will take: sending spends it
  uint64_t window = 0;    // the credit given at Subscribe: no Deliver is larger
  // Recorded, not yet sent, in offset order: each goes once its record is
  // durable and the credit allows it. Up to one window is held beyond the
  // credit, so that the wait for a record's commit overlaps the wait for
  // credit instead of adding to it (HoldRoom).
  std::deque<HeldBatch> held;
  uint64_t held_records = 0;  // records in `held`
  // How many more records may be held now.
  uint64_t HoldRoom() const { return credit + window > held_records ? credit + window - held_records : 0; }
  bool packed = false;  // Delivers packed (Subscribe.packed)
  bool idle = false;  // caught up with the log; woken by a commit that may concern it
  std::shared_ptr<CatchUp> catch_up;  // asked of the LogReader; used when ready
};

// An auditor's replay in progress.
struct ReplayState {
  uint64_t id = 0;
  uint64_t from_offset = 0;
  uint64_t to_offset = UINT64_MAX;
  int64_t from_time_us = 0;
  int64_t to_time_us = INT64_MAX;
  std::string origin_country;
  std::string case_id;
  PartyFilter party;          // from or routed to a country / an agency
  std::string justification;  // recorded with every batch it discloses
  bool packed = false;        // Delivers packed (Replay.packed)
  uint64_t position = 0;  // last offset considered
  uint64_t credit = 0;
  uint64_t count = 0;
  uint64_t end = 0;  // the log's end when the replay started: it stops there
  uint64_t recorded_to = 0;     // disclosures up to here are in the consultation log
  uint64_t recorded_seq = 0;    // the seq of that consultation record: sent once it is durable
  std::set<uint64_t> missing;   // index hits whose record could not be read: told in ReplayEnd
};

// Who sent a message, as ZeroMQ says: the ZAP User-Id (empty in plaintext
// mode) and the remote address ("127.0.0.1"; empty for inproc).
struct PeerInfo {
  std::string user_id;
  std::string address;
};

// A Publish whose lookups need the disk: the LogReader makes them while the
// loop goes on; its events wait, behind the session's earlier deferred
// Publishes, until the answers are back (`ready`), and are decided then.
struct DeferredPublish {
  uint64_t first_seq = 0;
  std::vector<std::vector<uint64_t>> payloads;  // owned, 8-aligned copies
  std::vector<std::span<const uint8_t>> views;  // the events in them
  std::vector<Result<const fb::Event*>> admitted;  // points into `payloads`
  // Parents in flight when the lookups were asked for (then not looked up).
  std::unordered_map<wire::EventId, ParentFacts, EventIdHash> known_parents;
  LogAnswers answers;  // written by the reader thread until `ready`
  bool ready = false;
};

struct Session {
  std::string peer;
  std::string address;  // the remote address at Hello, for log lines
  const NodeConfig* node = nullptr;
  int64_t last_recv_ms = 0;
  int64_t last_send_ms = 0;
  uint64_t inflight = 0;  // events accepted, not yet committed
  std::set<std::string> subscriptions;  // keys
  std::map<uint64_t, ReplayState> replays;
  std::deque<std::shared_ptr<DeferredPublish>> deferred;  // in arrival order
};

// An event accepted but not yet committed: its offset for dedup, and its
// facts for the answers that may arrive before its commit.
struct InflightEvent {
  uint64_t offset = 0;
  ParentFacts facts;
};

// The store's leaves, for a MerkleLog: the event log's complete blocks
// (recomputed from the records, and stored again, if a block is missing), or
// the consultation log's leaves. Thread-compatible (loop thread).
class StoreLeafSource final : public audit::LeafSource {
 public:
  // `unwritten`: for the consultation log, its records not yet known to be
  // in the store (in seq order), whose leaves are read from there.
  StoreLeafSource(store::Store* store, bool access, const std::deque<store::AccessEntry>* unwritten = nullptr)
      : store_(store), access_(access), unwritten_(unwritten) {}
  Status ReadLeaves(uint64_t first, size_t count, std::vector<audit::Hash>* out) override;

 private:
  store::Store* store_;
  bool access_;
  const std::deque<store::AccessEntry>* unwritten_;
};

// See Broker. Everything here runs on the loop thread, except Stop().
class BrokerLoop {
 public:
  BrokerLoop(BrokerConfig config, std::unique_ptr<store::Store> store);
  ~BrokerLoop();

  std::string Bind();
  void Run();
  void Stop() { stop_.store(true, std::memory_order_release); }
  BrokerProbe& probe() { return probe_; }
  store::Store& store() { return *store_; }

 private:
  enum class SendResult { kSent, kWouldBlock, kGone };

  // Receiving and dispatch (broker_loop.cc).
  void ReadMessages();
  void Dispatch(const std::string& peer, const PeerInfo& from,
                const std::vector<zmq::message_t>& frames);
  void HandleHello(const std::string& peer, const PeerInfo& from, const proto::Hello& hello);
  void Tick();
  void EndSession(const std::string& peer, const char* reason);
  SendResult Send(const std::string& peer, const std::string& control,
                  const std::vector<std::string>* payloads = nullptr);
  // A Deliver (for `subscription`, or replay `replay_id`) of the records at
  // `offsets`, record(i) each (frames are copies: shared_record.h says why):
  // one frame per record, or `packed` (several records to a frame,
  // docs/PROTOCOL.md 4.3) for a subscriber or auditor that asked.
  SendResult SendDeliver(const std::string& peer, std::string_view subscription, uint64_t replay_id,
                         const std::vector<uint64_t>& offsets, bool packed,
                         const std::function<std::span<const uint8_t>(size_t)>& record);
  // One message: the peer's routing id, `control`, then `parts` frames made
  // by `part(i)`.
  SendResult SendFrames(const std::string& peer, const std::string& control, size_t parts,
                        const std::function<zmq::message_t(size_t)>& part);
  void SendError(const std::string& peer, wire::errc code, const std::string& message);
  // Tells `peer` that its session ends and why (docs/PROTOCOL.md 4.5).
  void SendGoodbye(const std::string& peer, proto::GoodbyeCode code, const std::string& reason);
  void LogRefusal(const std::string& peer, const Error& error);
  void RefreshRevocations();

  // Publish path (publish.cc).
  void HandlePublish(Session& session, const wire::MessageView& message);
  // Admits each event (verify, validate, origin) and collects the ids and
  // parents to look up in the log: those not in flight. The facts of
  // parents in flight go to `known_parents` if given (a deferred Publish
  // keeps them for its decision).
  void AdmitAll(const NodeConfig& node, std::span<const std::span<const uint8_t>> payloads,
                std::vector<Result<const fb::Event*>>* admitted, std::vector<wire::EventId>* ids,
                std::vector<wire::EventId>* parents,
                std::unordered_map<wire::EventId, ParentFacts, EventIdHash>* known_parents);
  // Why a whole Publish of `n` events is refused before any is looked at.
  std::optional<Error> PublishRefusal(const Session& session, size_t n) const;
  // The decision for each admitted event, with the lookups' answers (and
  // the parents that were in flight when they were asked for, if deferred).
  void Decide(Session& session, uint64_t first_seq, std::span<const std::span<const uint8_t>> payloads,
              const std::vector<Result<const fb::Event*>>& admitted, const LogAnswers& answers,
              const std::unordered_map<wire::EventId, ParentFacts, EventIdHash>* known_parents);
  // Where an event id is stored or in flight, from the in-flight map, the
  // recently committed map or the answers; an error if none knows.
  [[nodiscard]] Result<std::optional<uint64_t>> StoredAt(const wire::EventId& id, const LogAnswers& answers) const;
  [[nodiscard]] Result<std::optional<ParentFacts>> ParentOf(
      const wire::EventId& parent_id, const LogAnswers& answers,
      const std::unordered_map<wire::EventId, ParentFacts, EventIdHash>* known_parents) const;
  void Nack(Session& session, uint64_t seq, const Error& error);
  // Deferred publishes (publish_deferred.cc): a Publish whose lookups need
  // the disk goes to the LogReader, and so does every later Publish of its
  // session until it is decided.
  void Defer(Session& session, uint64_t first_seq, std::span<const std::span<const uint8_t>> payloads);
  void ContinueDeferred(const std::string& peer);
  // Every LogReader job goes through here; CompleteReads runs the finished
  // jobs' `done`. A job that looks event ids up in the log (`looks_up_ids`:
  // a deferred Publish's dedup and parent lookups) notes the commit
  // generation it was asked at, so that the events committed meanwhile stay
  // in recently_committed_ until it is back; a catch-up read needs none.
  void SubmitRead(std::function<void()> work, std::function<void()> done, bool looks_up_ids);
  void CompleteReads();
  // Forgets an in-flight event whose batch finished; a committed one is kept
  // in recently_committed_ while a lookup that may have missed it is out.
  void ForgetInflight(const wire::EventId& id, bool committed);
  void PruneRecentlyCommitted();
  void SubmitCurrent();
  // Sends the acks of the batches the committer finished: signed (one
  // signature per Ack message, signed_acks.h) when the audit trail is on.
  void CompleteCommits();
  // The receipt entry of the record stored at `offset` (a duplicate's ack),
  // from the hashes the commit thread read for `batch`; false if it could
  // not read them (that ack then goes unsigned).
  [[nodiscard]] static bool StoredReceipt(const CommitBatch& batch, uint64_t offset,
                                          audit::ReceiptEntry* receipt);

  // Derived indexes (index_rebuild.cc). RebuildIndexes indexes the log's
  // records past the store's index watermark, as the publish path would
  // have; start-up and RecoverFromFailedWrite run it before serving.
  [[nodiscard]] Status RebuildIndexes();
  [[nodiscard]] Result<store::IndexKeys> DeriveIndexKeys(const fb::StoredRecord& record);
  // After a failed write, once no batch is in flight: reopen the store,
  // rebuild the indexes, restart from the store's next offset.
  void RecoverFromFailedWrite();
  // The last offset the store's indexes are certain to hold: index scans
  // read no further (the recent records or a later pump cover the rest).
  uint64_t IndexedEnd() const { return store_->index_watermark(); }
  // The parent's facts, from the in-flight map or the log, blocking (for the
  // index rebuild at start-up and after a failed write); empty if the log
  // holds no such event. A storage failure is an error.
  [[nodiscard]] Result<std::optional<ParentFacts>> LookupParent(const wire::EventId& parent_id);
  // Gives an accepted event its offset and record, into the current batch.
  void Append(Session& session, uint64_t seq, const wire::EventId& id,
              std::span<const uint8_t> bytes, Accepted&& accepted);

  // The audit trail (audit_trail.cc).
  void InitAudit();
  // Records a disclosure in the consultation log: into the tree and the
  // next group commit's writes (what it records goes once that commit has
  // returned: access_durable_).
  void RecordAccess(const Session& session, fb::AccessAction action,
                                  std::span<const uint64_t> offsets,
                                  std::string_view subscription = {}, uint64_t replay_id = 0,
                                  std::string_view justification = {},
                                  std::string_view purpose = {}, std::string_view case_id = {});
  void AppendCommitted(const CommitBatch& batch);
  // A damaged log (log_damage.cc): the broker's key must sign its stored
  // checkpoints (else it throws: the wrong key file); a log that no longer
  // matches its last checkpoint keeps serving that checkpoint, and refuses
  // publishes (log_damaged) until the operator restores the data directory
  // or starts it once with --accept-damaged-log.
  void CheckSigningKey(const audit::SignedCheckpoint& latest, uint64_t size) const;
  void ServeDamaged(const audit::SignedCheckpoint& latest, uint64_t size, uint64_t access_size);
  void ActOnDamage();
  // Why no proof in a tree of `size` records can be given by a damaged log.
  std::string DamageMessage(uint64_t size) const;
  // After the store was reopened following a failed write: the records of a
  // failed batch that reached the disk after all go into the tree too.
  void AppendRecovered();
  // Adds a batch's leaves to the event log's tree (and pending_leaves_, the
  // incomplete block's); `store_blocks`: also stores the blocks (recovery
  // only: the commit thread stores them for committed batches).
  void AppendLeaves(const CommitBatch& batch, bool store_blocks);
  // Signs a checkpoint if the logs grew and `force`, or enough records or
  // time passed since the last one.
  void MaybeCheckpoint(bool force);
  // A signed checkpoint stored, waiting for the sync that lets it be served.
  struct PendingCheckpoint {
    audit::SignedCheckpoint checkpoint;
    uint64_t size = 0;
    uint64_t access_size = 0;
    int64_t signed_ms = 0;
  };
  void ServeCheckpoint(PendingCheckpoint synced);
  void HandleAuditQuery(Session& session, const proto::AuditQuery& query);
  // Whether a Proofs query names only events the session's node published or
  // is addressed to (1..max_batch of them): those need no audit permission.
  [[nodiscard]] bool OnlyOwnEvents(const Session& session, const proto::AuditQuery& query);
  // The justification recorded for such a query that gives none.
  static constexpr std::string_view kOwnEvents = "verification of the node's own events";
  // Adds the offsets past `indexed` (the case index's watermark) of records
  // of `case_id`, read from the log.
  [[nodiscard]] Status CaseOffsetsPastIndex(std::string_view case_id, uint64_t indexed,
                                            std::set<uint64_t>* out);
  void AuditTick(int64_t now_ms);
  // The consultation log's own checks (consultation_audit.cc). At start-up:
  // every stored consultation record is still the one its leaf (and so the
  // signed checkpoints) holds, none is missing; what is not is remembered in
  // access_missing_ / access_altered_, logged as a critical security event
  // naming the records, and blocks signing (audit_blocked_).
  void CheckAccessRecords();
  // Access: the consultation log (all, or the records that disclosed an
  // event of a case), optionally each with its inclusion proof; false if
  // refused (the error is sent).
  [[nodiscard]] bool AnswerAccessQuery(Session& session, const proto::AuditQuery& query,
                                       proto::AuditReplyT* reply, std::vector<std::string>* payloads);
  // AccessCheck: the asking node's own consultation records with their
  // proofs, and the damage known; false if refused (the error is sent).
  [[nodiscard]] bool AnswerAccessCheck(Session& session, const proto::AuditQuery& query,
                                       proto::AuditReplyT* reply, std::vector<std::string>* payloads);
  // Witness (witnesses.cc): keeps the node's co-signed checkpoint and adds,
  // as payloads, every other node's with the proofs that relate it to this
  // one; false if refused (the error is sent).
  [[nodiscard]] bool AnswerWitness(Session& session, const proto::AuditQuery& query,
                                   std::vector<std::string>* payloads);
  // Whether `cp` (signed with this broker's key) is of this broker's logs;
  // the error's code is result_out_of_range when `cp` is beyond them.
  [[nodiscard]] Status ProvesOwnHistory(const audit::Checkpoint& cp);
  // A peer's witness as an "LNTW" payload, with the consistency proofs from
  // the smaller of its checkpoint and `own` to the larger.
  [[nodiscard]] Result<std::string> RelatedWitness(const audit::CosignedCheckpoint& peer,
                                                   const audit::Checkpoint& peer_cp, const audit::Checkpoint& own);
  // The consistency proof of the consultation log's tree from the size a
  // node holds, into a Checkpoint reply.
  [[nodiscard]] Status AddAccessConsistency(const Session& session, uint64_t known,
                                            proto::AuditReplyT* reply);
  // Regional statistics (stats_queries.cc): a Stats query starts a scan
  // that PumpStats advances a bounded step per loop turn; its reply goes
  // out when it is complete.
  void HandleStatsQuery(Session& session, const proto::AuditQuery& query);
  // The signed directory (directory_query.cc).
  seal::DirectoryDocument BuildDirectoryDocument() const;
  // A node's seal key: the one it announced, else the one registered in the
  // config; none if neither.
  std::optional<seal::PublicKey> CurrentSealKey(const std::string& node_id) const;
  void HandleDirectoryQuery(Session& session, const proto::AuditQuery& query);
  // Records the seal key a node announced in Hello (if any). Errors are wire
  // errors (malformed_message, storage_error).
  [[nodiscard]] Status AnnounceSealKey(const NodeConfig& node, const proto::Hello& hello);
  void PumpStats();

  // Delivery and replay (delivery.cc).
  void HandleSubscribe(Session& session, const proto::Subscribe& subscribe);
  void HandleUnsubscribe(Session& session, const proto::Unsubscribe& unsubscribe);
  void HandleDeliveryAck(Session& session, const proto::DeliveryAck& ack);
  void HandleCredit(Session& session, const proto::Credit& credit);
  void HandleReplay(Session& session, const proto::Replay& replay);
  void Detach(const std::string& key);
  void PumpDeliveries();
  void PumpSubscription(Subscription& sub, uint64_t watermark);
  // One step of PumpSubscription: the records it found (with the position
  // they take the subscription to), taken from the recent records or from a
  // catch-up read.
  struct PumpBatch {
    std::vector<store::ScanHit> hits;  // the recent records' scan
    std::vector<uint64_t> offsets;
    std::vector<SharedRecord> records;  // references to the recent records or a catch-up read
    uint64_t position = 0;
    void Clear(uint64_t from) {
      hits.clear();
      offsets.clear();
      records.clear();
      position = from;
    }
  };
  // kFound: `batch` holds what to deliver (maybe nothing, past filtered
  // records); kScanned: nothing matched, the subscription moved past what
  // was examined; kIdle: nothing more is committed; kStop: end this pump
  // (a read is out, the index is behind, or an error was logged).
  enum class PumpStep { kFound, kScanned, kIdle, kStop };
  PumpStep TakeRecent(Subscription& sub, uint64_t watermark, size_t* budget, PumpBatch* batch);
  PumpStep TakeCatchUp(Subscription& sub, uint64_t watermark, size_t* budget, PumpBatch* batch);
  // Records the batch's consultation records and holds it for FlushHeld, in
  // Delivers of at most max_batch records; false if the session is gone.
  bool Hold(Subscription& sub, PumpBatch* batch);
  void PumpReplay(Session& session, ReplayState& replay, uint64_t watermark);
  // The next offsets (after r.position, at most `limit`) that replay `r`'s
  // index names: case, origin, time or the whole log.
  Status ScanReplay(const ReplayState& r, size_t limit, std::vector<uint64_t>* candidates);
  void EndReplay(Session& session, ReplayState& replay);  // erases it
  enum class Disclosed { kSent, kNotNow, kGone };
  // One batch of a replay: recorded in the consultation log first (once,
  // even when a would-block makes the caller retry the same batch), then
  // sent. (A subscription's batches are recorded as they are held, and sent
  // by FlushHeld.) kSent: the caller moves its position past the batch;
  // kNotNow: it keeps it and tries again later; kGone: the session (and
  // what the caller holds of it) may be gone.
  Disclosed Disclose(Session& session, ReplayState& replay, const std::vector<uint64_t>& offsets,
                     const std::vector<std::string>& records);
  // Sends a reply that discloses (an audit query's) once the consultation
  // records up to `access_seq` are durable; at once if they are.
  void SendWhenRecorded(const std::string& peer, std::string control,
                        std::vector<std::string> payloads, uint64_t access_seq);
  void ReleaseHeldReplies();
  // The seq of the last consultation record made (0: none, or no trail):
  // in the tree and handed to a group commit, not necessarily durable.
  uint64_t AccessWritten() const { return access_tree_ ? access_tree_->size() : 0; }
  // Cursor writes and reads (commit_writes.cc): a write goes into the next group
  // commit; a read sees the writes not yet committed first.
  void PutCursor(const std::string& key, std::optional<store::CursorState> state);
  [[nodiscard]] Result<std::optional<store::CursorState>> GetCursor(const std::string& key);
  // A batch is done: forget what it wrote of the consultation log and cursors.
  void ForgetWritten(const CommitBatch& batch);
  // After a failed commit and the store's reopening: the consultation
  // records and cursor writes it did not keep go into current_ again.
  void RequeueUnwritten();
  // Submits what is pending and completes every batch in flight (blocking:
  // for a forced checkpoint and shutdown).
  void WaitForCommits();
  // Sends the held batches whose records are durable, in order, while the
  // credit allows (sending spends it). kSent: all of those went; kNotNow:
  // the socket would block; kGone: the session (and what the caller holds of
  // it) may be gone.
  Disclosed FlushHeld(Subscription& sub);
  void ReportBacklog(const Subscription& sub);
  // A committed record for delivery: from the recent records, else the store.
  [[nodiscard]] Result<std::optional<std::string>> ReadCommitted(uint64_t offset);
  // Catch-up reads (catch_up.cc): a subscription behind the recent records
  // asks the LogReader for its next records past the index watermark; the
  // pump takes them when they are back. True when `sub.catch_up` holds an
  // answer for its position; false when it waits (one is asked for now, or
  // is already out).
  bool CatchUpReady(Subscription& sub, uint64_t indexed, size_t scan_limit, size_t deliver_limit);

  BrokerConfig config_;
  Directory directory_;
  SealRegistry seal_keys_;  // the nodes' announced seal keys
  WitnessRegistry witnesses_;  // each node's latest co-signed checkpoint
  RoutingPolicy policy_;
  IngestState ingest_state_;  // points into config_, directory_, policy_ and this
  Revocations revocations_;            // read by the ZAP thread too
  std::set<std::string> revoked_nodes_;  // nodes whose configured key is revoked
  int64_t next_revocation_check_ms_ = 0;
  std::unique_ptr<store::Store> store_;
  BrokerProbe probe_;
  zmq::context_t ctx_;
  std::unique_ptr<ZapHandler> zap_;  // curve mode; bound before router_
  zmq::socket_t router_;
  zmq::socket_t notify_;
  std::unique_ptr<Indexer> indexer_;      // outlives committer_, which feeds it
  std::unique_ptr<Committer> committer_;
  zmq::socket_t reader_notify_;         // bound by the loop; the reader connects
  std::unique_ptr<LogReader> reader_;   // stopped before the store goes
  std::atomic<bool> stop_{false};

  std::map<std::string, Session> sessions_;           // by routing id
  std::map<std::string, std::string> node_sessions_;  // node id -> routing id
  std::map<std::string, Subscription> subscriptions_; // attached, by key
  std::set<std::string> gone_peers_;                  // unreachable, to end in Tick

  uint64_t next_offset_ = 1;       // the next offset to assign
  // The offset after the last record whose group commit the loop has
  // completed (CompleteCommits): deliveries stop below it. Not the store's
  // next_offset(), which the commit thread moves before the loop has added
  // those records to recent_: a pump in between would take a live
  // subscriber for one behind the recent records and send it to the
  // LogReader for records the loop holds.
  uint64_t committed_end_ = 1;
  int64_t last_received_us_ = 0;   // received_at never decreases along the log
  std::unordered_map<wire::EventId, InflightEvent, EventIdHash> inflight_ids_;
  // Committed events a deferred lookup may have missed (it read the log
  // before their commit; they left the in-flight map before its answer came
  // back), with the commit generation that forgot them. An entry goes once
  // every reader job out was asked for after that generation.
  std::unordered_map<wire::EventId, InflightEvent, EventIdHash> recently_committed_;
  std::deque<std::pair<uint64_t, wire::EventId>> recently_order_;
  uint64_t commit_gen_ = 0;             // CompleteCommits calls
  std::deque<uint64_t> issued_gens_;    // commit_gen_ when each lookup job out was asked for
  std::unique_ptr<CommitBatch> current_;
  RecentRecords recent_;  // the last committed records, for live deliveries
  // Audit trail: trees over the committed log and the consultation log.
  StoreLeafSource log_leaves_{nullptr, false};
  StoreLeafSource access_leaves_{nullptr, true};
  std::string pending_leaves_;  // leaves of the event log's incomplete block
  std::string audit_blocked_;   // why no checkpoint may be signed (tampering found)
  // Consultation records found missing or altered at start-up (the first
  // kMaxAccessDamage of each), reported to every node that checks.
  std::vector<uint64_t> access_missing_;
  std::vector<uint64_t> access_altered_;
  std::unique_ptr<audit::MerkleLog> log_tree_;
  std::unique_ptr<audit::MerkleLog> access_tree_;
  std::optional<audit::Signer> signer_;
  std::optional<audit::SignedCheckpoint> checkpoint_;  // the latest
  std::optional<PendingCheckpoint> pending_checkpoint_;  // stored, its sync not yet returned
  uint64_t checkpoint_size_ = 0;
  uint64_t checkpoint_access_size_ = 0;
  int64_t checkpoint_ms_ = 0;
  // Consultation records and cursors go into the next group commit's writes
  // (one is submitted for them alone when no event is waiting); nothing a
  // record records is sent before it returns.
  uint64_t access_durable_ = 0;    // records up to this seq are synced
  // Consultation records not yet known to be stored, in seq order (the
  // access tree reads their leaves from here; a failed commit's recovery
  // writes them again): from RecordAccess until their commit returns.
  std::deque<store::AccessEntry> unwritten_access_;
  // Cursor writes not yet known to be stored (none: a delete), with the
  // serial of the batch that carries the latest: read before the store's,
  // and written again after a failed commit.
  struct UnwrittenCursor {
    std::optional<store::CursorState> state;
    uint64_t batch = 0;
  };
  std::map<std::string, UnwrittenCursor> unwritten_cursors_;
  uint64_t batch_serial_ = 0;  // current_'s serial; the batches before it were submitted
  struct HeldReply {
    std::string peer;
    uint64_t access_seq = 0;
    std::string control;
    std::vector<std::string> payloads;
  };
  std::vector<HeldReply> held_replies_;  // in the order they were made
  size_t inflight_batches_ = 0;
  uint64_t inflight_bytes_ = 0;  // records' bytes of the batches in flight
  bool storage_failed_ = false;
  bool deliveries_pending_ = false;
  // A subscription or replay waits for the index thread (its next hits lie
  // past the index watermark): poll again soon.
  bool index_wait_ = false;
  struct PendingStats {
    std::string peer;
    uint64_t query_id = 0;
    std::unique_ptr<StatsScan> scan;
    uint64_t access_seq = 0;  // its consultation record
  };
  std::vector<PendingStats> stats_scans_;  // regional statistics in progress

  int64_t log_window_s_ = 0;  // refusal log rate limit
  int log_count_ = 0;
};

// Whether a distributed record (by its summary) is for a subscriber: its
// filter, then the routing policy. Thread-safe (reads only).
bool DistributedTo(const SubscriptionFilter& filter, const std::string& country,
                   const std::vector<std::string_view>& roles, const RoutingPolicy& policy,
                   std::string_view summary);

int64_t SteadyMillis();

// A routing id (binary) as hex, for log lines.
std::string PeerName(std::string_view routing_id);

}  // namespace lintas::broker
