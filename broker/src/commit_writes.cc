// What the loop hands the group commit besides records: consultation
// records and cursor writes, kept until their commit has returned so that
// reads see them and a failed commit's recovery writes them again.
#include "broker_loop.h"

namespace lintas::broker {
namespace {

constexpr int kWaitPollMs = 50;

}  // namespace

void BrokerLoop::PutCursor(const std::string& key, std::optional<store::CursorState> state) {
  current_->writes.cursors.emplace_back(key, state);
  unwritten_cursors_[key] = UnwrittenCursor{std::move(state), current_->serial};
}

Result<std::optional<store::CursorState>> BrokerLoop::GetCursor(const std::string& key) {
  if (auto it = unwritten_cursors_.find(key); it != unwritten_cursors_.end()) return it->second.state;
  return store_->GetCursor(key);
}

void BrokerLoop::ForgetWritten(const CommitBatch& batch) {
  while (!unwritten_access_.empty() && unwritten_access_.front().seq <= batch.access_covered) {
    unwritten_access_.pop_front();
  }
  // A key written again by a later batch stays until that one returns.
  std::erase_if(unwritten_cursors_, [&](const auto& entry) { return entry.second.batch <= batch.serial; });
}

void BrokerLoop::RequeueUnwritten() {
  // The reopened store holds the records up to its access_size(): those of
  // a failed commit may have reached the disk after all.
  uint64_t stored = store_->access_size();
  while (!unwritten_access_.empty() && unwritten_access_.front().seq <= stored) unwritten_access_.pop_front();
  current_->writes.access.assign(unwritten_access_.begin(), unwritten_access_.end());
  current_->writes.cursors.clear();
  for (auto& [key, cursor] : unwritten_cursors_) {
    current_->writes.cursors.emplace_back(key, cursor.state);
    cursor.batch = current_->serial;
  }
}

void BrokerLoop::WaitForCommits() {
  SubmitCurrent();
  while (inflight_batches_ > 0) {
    zmq::pollitem_t item{notify_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(kWaitPollMs));
    CompleteCommits();
    committer_->TurnEnded();
  }
}

}  // namespace lintas::broker
