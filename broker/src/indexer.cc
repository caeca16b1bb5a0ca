// The index thread (see indexer.h).
#include "lintas/broker/indexer.h"

#include <pthread.h>

#include "lintas/broker/logger.h"

namespace lintas::broker {

Indexer::Indexer(store::Store* store) : store_(store) { thread_ = std::thread(&Indexer::Run, this); }

Indexer::~Indexer() { Stop(); }

void Indexer::Submit(std::vector<store::IndexEntry> entries) {
  if (entries.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (failure_) return;  // the loop rebuilds from the watermark after Reset
    queue_.push_back(std::move(entries));
  }
  cv_.notify_one();
}

Status Indexer::Drain() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return queue_.empty() && !writing_; });
  if (failure_) return *failure_;
  return OkStatus();
}

bool Indexer::failed() const {
  std::lock_guard lock(mu_);
  return failure_.has_value();
}

void Indexer::Reset() {
  std::lock_guard lock(mu_);
  queue_.clear();
  failure_.reset();
}

void Indexer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Indexer::Run() {
  pthread_setname_np(pthread_self(), "lintas-index");
  std::vector<store::IndexEntry> work;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, nothing left
      work.clear();
      while (!queue_.empty()) {
        auto& batch = queue_.front();
        work.insert(work.end(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
        queue_.pop_front();
      }
      writing_ = true;
    }
    Status status = store_->WriteIndexes(work);
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      if (!status.ok() && !failure_) {
        Log()->error("index write failed; indexes wait for a rebuild from offset {}: {}",
                     work.front().offset, status.error().message);
        failure_ = status.error();
        queue_.clear();
      }
    }
    idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

}  // namespace lintas::broker
