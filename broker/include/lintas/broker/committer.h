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
  std::vector<store::AppendEntry> entries;  // lent to the store's write, then given back
  // The entries' Merkle leaves, in order, for the loop's tree: computed
  // by the commit thread once the write succeeded (SHA-256 off the loop
  // thread) when `want_leaves` is set.
  bool want_leaves = false;
  std::vector<std::array<uint8_t, 32>> leaves;
  // With the leaves: the SHA-256 of each entry's event bytes, for the
  // signed acknowledgements (lintas/audit/receipt.h).
  std::vector<std::array<uint8_t, 32>> event_hashes;
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
  // Consultation records up to this seq were written (unsynced) before the
  // batch was submitted: the batch's synced write makes them durable too.
  // A batch with no entries is submitted only for them: it is a sync.
  uint64_t access_covered = 0;
  // A signed checkpoint was stored (unsynced) before the batch was
  // submitted: once the batch is done it may be served.
  bool checkpoint = false;
  Status status;                      // set by the committer
};

// Operation: Submit() queues (loop thread); the committer thread appends all
// queued batches in one synced Store::Append (records and dedup entries
// only), then queues them as done and sends one byte on an inproc PAIR
// socket whose other end, `notify_endpoint`, the loop polls, and hands their
// index entries to the Indexer, which writes them off the sync path. After a
// failed append every batch is failed until Reset(), so that no later batch
// is acknowledged on top of a hole.
//
// Ownership: borrows the store, indexer and probe (must outlive it); owns
// its thread and its PAIR socket (used by its thread only).
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
  // Fills the leaves of the batches that want them from `entries` (theirs,
  // in order, moved out of them for the write).
  static void HashLeaves(std::vector<std::unique_ptr<CommitBatch>>& work,
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
  Error failure_;                                   // Guarded by mu_.
  std::optional<std::pair<uint64_t, std::string>> new_tail_;  // Guarded by mu_: SetLeafTail's
  uint64_t leaf_count_ = 0;  // commit thread only: leaves in the log
  std::string leaf_tail_;    // commit thread only: the incomplete block's leaves
  std::thread thread_;
};

}  // namespace lintas::broker
