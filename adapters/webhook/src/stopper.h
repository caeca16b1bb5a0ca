// A stop flag that interrupts waits: the adapter's workers sleep through
// backoffs and polls with WaitFor, which returns at once when Stop is called.
//
// Thread safety: every method is safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace lintas::webhook {

class Stopper {
 public:
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }
  // Waits `us` microseconds; false when stopped (before or during the wait).
  bool WaitFor(int64_t us) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, std::chrono::microseconds(us), [this] { return stopped_; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace lintas::webhook
