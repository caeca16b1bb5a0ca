// The commit thread: takes batches prepared by the broker loop, writes every
// batch queued at that moment in one synced store append (group commit), and
// hands them back with their status. The loop keeps receiving and verifying
// while a sync is in progress.
#pragma once

#include <array>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "lintas/broker/indexer.h"
#include "lintas/broker/probe.h"
#include "lintas/common/result.h"
#include "lintas/common/side_worker.h"
#include "lintas/store/store.h"

namespace lintas::broker {

// An answer owed to a publisher once its batch is durable.
struct PendingAck {
  std::string peer;  // ROUTER routing id
  uint64_t seq = 0;
  uint64_t offset = 0;
  bool duplicate = false;
  wire::EventId event_id;  // for the loop's in-flight dedup map
};

// One loop iteration's worth of appends and the acks that wait for them.
struct CommitBatch {
  uint64_t serial = 0;  // the loop's count of batches, for what it waits on
  std::vector<store::AppendEntry> entries;  // lent to the store's write, then given back
  // The entries' Merkle leaves, in order, for the loop's tree: computed
  // beside the commit's write by its SideWorker (SHA-256 off the loop
  // thread and off the write's path) when `want_leaves` is set; emptied if
  // the write failed.
  bool want_leaves = false;
  std::vector<std::array<uint8_t, 32>> leaves;
  // With the leaves: the SHA-256 of each entry's event bytes, for the
  // signed acknowledgements (lintas/audit/receipt.h).
  std::vector<std::array<uint8_t, 32>> event_hashes;
  // With the leaves: each entry's receipt leaf (audit::ReceiptEntry::LeafHash
  // of its id, offset, event hash and leaf), for the signed acks' roots.
  std::vector<std::array<uint8_t, 32>> receipt_leaves;
  // The receipts' hashes (record leaf, event hash) of the records that
  // duplicate acks answer with, read from the store by the commit thread
  // when `want_leaves` is set: the loop does not read the disk for them.
  struct StoredHashes {
    std::array<uint8_t, 32> leaf;
    std::array<uint8_t, 32> event_hash;
  };
  std::map<uint64_t, StoredHashes> stored_hashes;  // by offset
  std::vector<PendingAck> acks;
  uint64_t bytes = 0;
  std::set<std::string> inbox_nodes;  // whose inbox subscriptions to wake
  bool distributed = false;           // whether to wake named subscriptions
  // What rides in the same synced write (consultation records, cursors, a
  // signed checkpoint), so that the loop does not write to the store
  // itself. Consumed by the commit: the loop keeps what a failed commit
  // must write again.
  store::CommitWrites writes;
  // Consultation records up to this seq are in this batch's writes or an
  // earlier batch's: once it is done they are durable. A batch with no
  // entries is submitted only for its writes.
  uint64_t access_covered = 0;
  // writes.checkpoint holds a signed checkpoint: once the batch is done it
  // may be served.
  bool checkpoint = false;
  Status status;                      // set by the committer
};

// Operation: Submit() queues (loop thread); the committer thread writes all
// queued batches in one synced Store::Commit (records, dedup entries and the
// batches' writes; not the indexes), then queues them as done and sends one byte on an inproc PAIR
// socket whose other end, `notify_endpoint`, the loop polls, and hands their
// index entries to the Indexer, which writes them off the sync path. After a
// failed append every batch is failed until Reset(), so that no later batch
// is acknowledged on top of a hole.
//
// Ownership: borrows the store, indexer and probe (must outlive it); owns
// its thread, its PAIR socket (used by its thread only) and a SideWorker
// thread that hashes each commit's records beside its write.
// Thread safety: Submit, TakeDone, Reset and Stop are called by the loop.
class Committer {
 public:
  Committer(store::Store* store, Indexer* indexer, BrokerProbe* probe, zmq::context_t& ctx,
            const std::string& notify_endpoint);
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  void Submit(std::unique_ptr<CommitBatch> batch);
  std::vector<std::unique_ptr<CommitBatch>> TakeDone();
  // The loop ends the turn in which it took done batches: what it submitted
  // in that turn (the acks' publishers' next events, the consultation
  // records of the deliveries the commit allowed) is queued. The next
  // commit waits for this, for at most 2 ms, so that a delivery waits
  // one commit for its record, not two.
  void TurnEnded();
  // Clears the failed state after the loop has taken every failed batch.
  void Reset();
  // Commits what is queued, then ends the thread.
  void Stop();
  // The event log's leaf blocks (Store::PutLeafBlock: unsynced, the next
  // append syncs them, a lost one is recomputed) are written by the commit
  // thread right after each synced append, before the batches are handed
  // back, so that the loop never waits behind the sync in the store's write
  // queue. `count`: leaves in the log; `tail`: those of its incomplete last
  // block. Called by the loop before the first batch that wants leaves, and
  // after a recovery, before it submits again.
  void SetLeafTail(uint64_t count, std::string tail);

 private:
  void Run(zmq::context_t* ctx, std::string endpoint);
  // Takes every queued batch (once the loop's turn ended, or after at most
  // 2 ms) and, if an earlier commit failed, its error; false when stopping
  // with nothing queued.
  bool TakeQueued(std::vector<std::unique_ptr<CommitBatch>>* work, std::optional<Error>* failure);
  // Writes the batches in one synced Store::Commit, their leaves and index
  // entries computed beside it (`index`, empty if the write failed);
  // `entries`: scratch space, the records lent to the write.
  Status CommitAll(std::vector<std::unique_ptr<CommitBatch>>& work, std::vector<store::AppendEntry>& entries,
                   std::vector<store::IndexEntry>* index);
  // Queues the batches as done with `status` (a failure is kept until
  // Reset) and empties `work`.
  void HandBack(std::vector<std::unique_ptr<CommitBatch>>& work, const Status& status);
  // Moves `from` to the end of `into` (a later checkpoint replaces one).
  static void MergeWrites(store::CommitWrites* from, store::CommitWrites* into);
  // Fills the leaves, event hashes and receipt leaves (always of equal
  // size: the loop indexes all three by one position) of the batches that
  // want them from `entries` (theirs, in order, moved out of them for the
  // write). Runs on side_ while the commit thread writes the same entries:
  // it only reads them, and touches nothing but those three vectors.
  static void HashLeaves(const std::vector<std::unique_ptr<CommitBatch>>& work,
                         const std::vector<store::AppendEntry>& entries);
  // Fills the stored_hashes of the batches that want leaves, for their
  // duplicate acks (a record missing or unverifiable is left out).
  void HashStored(std::vector<std::unique_ptr<CommitBatch>>& work);
  // Adds the batches' leaves to the tail and stores every block they
  // complete, then the incomplete last one.
  void WriteLeafBlocks(const std::vector<std::unique_ptr<CommitBatch>>& work);

  store::Store* store_;
  Indexer* indexer_;
  BrokerProbe* probe_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<CommitBatch>> queue_;  // Guarded by mu_.
  std::vector<std::unique_ptr<CommitBatch>> done_;  // Guarded by mu_.
  bool stopping_ = false;                           // Guarded by mu_.
  bool failed_ = false;                             // Guarded by mu_.
  bool taken_ = false;        // Guarded by mu_: TakeDone took batches in this loop turn
  bool turn_ended_ = true;    // Guarded by mu_: the loop ended the turn that took the last done batches
  Error failure_;                                   // Guarded by mu_.
  std::optional<std::pair<uint64_t, std::string>> new_tail_;  // Guarded by mu_: SetLeafTail's
  uint64_t leaf_count_ = 0;  // commit thread only: leaves in the log
  std::string leaf_tail_;    // commit thread only: the incomplete block's leaves
  SideWorker side_;          // commit thread only: hashes and index entries beside the write
  std::thread thread_;
};

}  // namespace lintas::broker
