// The node's erasure work off the request and link threads
// (docs/ERASURE.md): shredding the store after an erasure (slow: it flushes
// and compacts), and the retention sweep on a timer. The Node owns one
// (Node::erasure()); tests and benchmarks call SweepRetention and EraseHere.
//
// Ownership: owned by the Node; borrows its stores. Thread safety: ShredSoon
// and SweepRetention from any thread; one thread of its own, started by the
// constructor and joined by the destructor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "lintas/common/result.h"
#include "lintas/node/case_store.h"
#include "lintas/node/case_vault.h"
#include "lintas/node/config.h"
#include "lintas/node/node_store.h"

namespace lintas::node {

class ErasureWorker {
 public:
  ErasureWorker(const NodeConfig& config, NodeStore* store, CaseStore* cases, CaseVault* vault);
  ~ErasureWorker();
  ErasureWorker(const ErasureWorker&) = delete;
  ErasureWorker& operator=(const ErasureWorker&) = delete;

  // A case was erased: shred the store soon (requests made meanwhile are
  // served by one shred).
  void ShredSoon();
  // Erases every case past its retention period at `now_us` (the timer
  // calls it every retention.check_every); returns how many. Shreds after.
  [[nodiscard]] Result<size_t> SweepRetention(int64_t now_us);
  // Erases `case_id` here only, without an event (retention, or a case no
  // other agency holds), leaving `tombstone`; false if it is unknown or
  // erased already. Shreds soon after.
  [[nodiscard]] Result<bool> EraseHere(const std::string& case_id, const nlohmann::json& tombstone,
                                       int64_t now_us);
  // Shreds finished since start (for tests and metrics).
  uint64_t shreds_done() const;

 private:
  void Run();
  // The retention rule `kase` (a case view) is past at `now_us`, or "".
  std::string Expired(const nlohmann::json& kase, int64_t updated_us, int64_t now_us) const;

  const NodeConfig& config_;
  NodeStore* store_;
  CaseStore* cases_;
  CaseVault* vault_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;        // Guarded by mu_.
  bool shred_ = false;       // Guarded by mu_.
  uint64_t shreds_done_ = 0; // Guarded by mu_.
  std::thread thread_;
};

}  // namespace lintas::node
