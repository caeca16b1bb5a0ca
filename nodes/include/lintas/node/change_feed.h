// lintas::node::ChangeFeed: a counter of changes to what officers see
// (cases, items, the inbox, outbox states), on which the console's pages
// wait for "something changed" instead of reloading (GET /v1/changes).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

namespace lintas::node {

// Ownership: owned by the Node. Thread safety: every method from any
// thread. Limitations: says only that something changed, not what; a page
// re-reads what it shows (cheap, and never shows what its reader may not
// see, since the re-read is authorised again).
class ChangeFeed {
 public:
  // At most `max_waiters` requests wait at once (each holds an HTTP worker,
  // of the API's 128: docs/API.md). Default: 64
  explicit ChangeFeed(size_t max_waiters = 64);

  // Called after a change was committed.
  void Bump();
  uint64_t Current() const;
  // Waits until the counter differs from `seen` or `max_wait` passes, and
  // returns it; nullopt if too many requests wait already. A `seen` from
  // before a restart (the counter starts at a random base) returns at once.
  [[nodiscard]] std::optional<uint64_t> WaitPast(uint64_t seen, std::chrono::milliseconds max_wait);
  // Wakes every waiter (the node is stopping).
  void Close();

 private:
  const size_t max_waiters_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t seq_;
  size_t waiters_ = 0;
  bool closed_ = false;
};

}  // namespace lintas::node
