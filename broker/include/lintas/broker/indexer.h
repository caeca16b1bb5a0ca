// The index thread: writes the secondary index entries (case, origin, time,
// inbox, distributed) of records already committed, off the synced commit
// path (Store::WriteIndexes, unsynced, with the index watermark).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/store/store.h"

namespace lintas::broker {

// Operation: the commit thread Submit()s the index entries of each group
// commit once it is durable, in offset order; this thread writes every
// batch queued at that moment in one Store::WriteIndexes, which moves the
// store's index watermark. A sync that comes later (the next group commit)
// makes them durable; after a crash the loop rebuilds the indexes past the
// durable watermark from the log (BrokerLoop::RebuildIndexes). After a failed
// write it writes nothing (and drops what is queued) until Reset().
//
// Ownership: borrows the store (must outlive it); owns its thread.
// Thread safety: Submit from the commit thread; Drain, failed, Reset and Stop
// from the loop thread. All methods are safe to call concurrently.
class Indexer {
 public:
  explicit Indexer(store::Store* store);
  ~Indexer();
  Indexer(const Indexer&) = delete;
  Indexer& operator=(const Indexer&) = delete;

  void Submit(std::vector<store::IndexEntry> entries);
  // Waits until nothing is queued or being written. Returns the failure, if
  // a write failed since the last Reset.
  [[nodiscard]] Status Drain();
  // Whether a write failed since the last Reset.
  bool failed() const;
  // Drops what is queued and clears the failure (after the store was
  // reopened; the loop then rebuilds the indexes from the watermark).
  void Reset();
  // Writes what is queued, then ends the thread.
  void Stop();

 private:
  void Run();

  store::Store* store_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // work queued, or stopping
  std::condition_variable idle_cv_;  // the queue emptied and no write is running
  std::deque<std::vector<store::IndexEntry>> queue_;  // Guarded by mu_.
  bool writing_ = false;                              // Guarded by mu_.
  bool stopping_ = false;                             // Guarded by mu_.
  std::optional<Error> failure_;                      // Guarded by mu_.
  std::thread thread_;
};

}  // namespace lintas::broker
