// A thread that runs one task at a time beside its caller. The broker's
// commit thread hands it the work of a group commit that does not touch the
// store (SHA-256 of the leaves, the index entries) and writes meanwhile; the
// RocksDB store syncs its record segments on one while RocksDB syncs its WAL.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace lintas {

// Operation: Start(task) runs `task` on the worker's thread; Wait() returns
// once it has returned. What the task reads or writes is the caller's to
// leave alone until Wait() returns. One task at a time: Start after Wait.
//
// Ownership: owns its thread (named `thread_name`), joined by the
// destructor after the task in progress, if any.
// Thread safety: Start and Wait from one thread.
class SideWorker {
 public:
  explicit SideWorker(std::string thread_name);
  ~SideWorker();
  SideWorker(const SideWorker&) = delete;
  SideWorker& operator=(const SideWorker&) = delete;

  void Start(std::function<void()> task);
  void Wait();

 private:
  void Run(std::string thread_name);

  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> task_;  // Guarded by mu_: set by Start, taken by the thread
  bool busy_ = false;           // Guarded by mu_: from Start until the task has returned
  bool stopping_ = false;       // Guarded by mu_.
  std::thread thread_;
};

}  // namespace lintas
