// The log reader: the thread that makes the store reads the loop thread must
// not wait for (a dedup entry or a parent record that is not in memory).
// Internal to lintas::broker.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

namespace lintas::broker {

// Operation: Submit() queues a job (loop thread); the reader thread runs its
// `work`, which may block on the store, then queues the job as done and
// sends one byte on an inproc PAIR socket whose other end,
// `notify_endpoint`, the loop polls; TakeDone() gives the loop the finished
// jobs' `done` callbacks, in submission order, to run on the loop thread.
// `work` must touch nothing the loop owns (it reads the store and what it
// captured); `done` hands its answers to the loop.
//
// Ownership: owns its thread and its PAIR socket (used by its thread only).
// Thread safety: Submit, TakeDone, outstanding and Stop are called by the
// loop thread.
class LogReader {
 public:
  LogReader(zmq::context_t& ctx, const std::string& notify_endpoint);
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  void Submit(std::function<void()> work, std::function<void()> done);
  std::vector<std::function<void()>> TakeDone();
  // Jobs submitted whose `done` the loop has not taken yet.
  size_t outstanding() const { return outstanding_; }
  // Runs what is queued, then ends the thread. Idempotent.
  void Stop();

 private:
  struct Job {
    std::function<void()> work;
    std::function<void()> done;
  };
  void Run(zmq::context_t* ctx, std::string endpoint);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;                   // Guarded by mu_.
  std::vector<std::function<void()>> done_;  // Guarded by mu_.
  bool stopping_ = false;                   // Guarded by mu_.
  size_t outstanding_ = 0;                  // Loop thread only.
  std::thread thread_;
};

}  // namespace lintas::broker
