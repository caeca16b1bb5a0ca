// ChangeFeed: a condition variable over a counter.
#include "lintas/node/change_feed.h"

#include <sodium.h>

namespace lintas::node {

ChangeFeed::ChangeFeed(size_t max_waiters) : max_waiters_(max_waiters) {
  // A random base, so that a page's counter from before a restart never
  // matches the new one by chance.
  seq_ = (static_cast<uint64_t>(randombytes_random()) << 20) + 1;
}

void ChangeFeed::Bump() {
  {
    std::lock_guard lock(mu_);
    ++seq_;
  }
  cv_.notify_all();
}

uint64_t ChangeFeed::Current() const {
  std::lock_guard lock(mu_);
  return seq_;
}

std::optional<uint64_t> ChangeFeed::WaitPast(uint64_t seen, std::chrono::milliseconds max_wait) {
  std::unique_lock lock(mu_);
  if (seq_ != seen || closed_) return seq_;
  if (waiters_ >= max_waiters_) return std::nullopt;
  ++waiters_;
  cv_.wait_for(lock, max_wait, [&] { return seq_ != seen || closed_; });
  --waiters_;
  return seq_;
}

void ChangeFeed::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace lintas::node
