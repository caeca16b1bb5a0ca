// Group commit thread.
#include "lintas/broker/committer.h"

#include <chrono>

#include "lintas/audit/hash.h"
#include "lintas/audit/merkle_log.h"
#include "lintas/audit/receipt.h"
#include "lintas/broker/logger.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/verify.h"

namespace lintas::broker {
namespace {

// How long the next commit waits for the loop to end the turn in which it
// took the last commit's batches (Committer::TurnEnded).
constexpr std::chrono::microseconds kTurnWait{2000};

}  // namespace

Committer::Committer(store::Store* store, Indexer* indexer, BrokerProbe* probe,
                     zmq::context_t& ctx, const std::string& notify_endpoint)
    : store_(store), indexer_(indexer), probe_(probe), side_("lintas-hash") {
  // The PAIR socket is created inside the thread that uses it; the loop binds
  // the other end before constructing the committer.
  thread_ = std::thread(&Committer::Run, this, &ctx, notify_endpoint);
}

Committer::~Committer() { Stop(); }

void Committer::Submit(std::unique_ptr<CommitBatch> batch) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(batch));
  }
  cv_.notify_one();
}

std::vector<std::unique_ptr<CommitBatch>> Committer::TakeDone() {
  std::lock_guard lock(mu_);
  if (!done_.empty()) taken_ = true;
  return std::exchange(done_, {});
}

void Committer::TurnEnded() {
  {
    std::lock_guard lock(mu_);
    if (!taken_) return;
    taken_ = false;
    turn_ended_ = true;
  }
  cv_.notify_one();
}

void Committer::Reset() {
  std::lock_guard lock(mu_);
  failed_ = false;
}

void Committer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Committer::SetLeafTail(uint64_t count, std::string tail) {
  std::lock_guard lock(mu_);
  new_tail_.emplace(count, std::move(tail));
}

void Committer::WriteLeafBlocks(const std::vector<std::unique_ptr<CommitBatch>>& work) {
  constexpr uint64_t kBlock = audit::MerkleLog::kBlock;
  bool grew = false;
  for (const auto& b : work) {
    for (const auto& leaf : b->leaves) {
      leaf_tail_.append(reinterpret_cast<const char*>(leaf.data()), leaf.size());
      grew = true;
      if (++leaf_count_ % kBlock != 0) continue;
      if (auto s = store_->PutLeafBlock(leaf_count_ / kBlock - 1, leaf_tail_); !s.ok()) {
        Log()->warn("leaf block {} not stored ({}); it will be recomputed", leaf_count_ / kBlock - 1,
                    s.error().message);
      }
      leaf_tail_.clear();
    }
  }
  // The incomplete block too, so that its leaves, like the others, come from
  // the time of writing and not from records that may have been altered since.
  if (grew && !leaf_tail_.empty()) {
    if (auto s = store_->PutLeafBlock(leaf_count_ / kBlock, leaf_tail_); !s.ok()) {
      Log()->warn("leaf block {} not stored ({}); it will be recomputed", leaf_count_ / kBlock, s.error().message);
    }
  }
}

void Committer::MergeWrites(store::CommitWrites* from, store::CommitWrites* into) {
  for (auto& a : from->access) into->access.push_back(std::move(a));
  for (auto& c : from->cursors) into->cursors.push_back(std::move(c));
  if (from->checkpoint) into->checkpoint = std::move(from->checkpoint);
  *from = store::CommitWrites();
}

void Committer::HashLeaves(const std::vector<std::unique_ptr<CommitBatch>>& work,
                           const std::vector<store::AppendEntry>& entries) {
  size_t k = 0;
  for (const auto& b : work) {
    size_t n = b->entries.size();
    if (b->want_leaves) {
      b->leaves.reserve(n);
      b->event_hashes.reserve(n);
      b->receipt_leaves.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        const store::AppendEntry& e = entries[k + i];
        audit::ReceiptEntry receipt;
        receipt.event_id = e.event_id.bytes();
        receipt.offset = e.offset;
        receipt.leaf = audit::LeafHash(e.record);
        // Built by the loop (EncodeRecord): no need to verify it again.
        receipt.event_hash = audit::Sha256(wire::RecordEventBytes(*fb::GetStoredRecord(e.record.data())));
        b->leaves.push_back(receipt.leaf);
        b->event_hashes.push_back(receipt.event_hash);
        b->receipt_leaves.push_back(receipt.LeafHash());
      }
    }
    k += n;
  }
}

void Committer::HashStored(std::vector<std::unique_ptr<CommitBatch>>& work) {
  for (auto& b : work) {
    if (!b->want_leaves) continue;
    for (const PendingAck& a : b->acks) {
      if (!a.duplicate || b->stored_hashes.count(a.offset)) continue;
      auto record = store_->ReadRecord(a.offset);
      if (!record.ok() || !record->has_value()) continue;
      auto verified = wire::VerifyRecord(wire::AsBytes(**record));
      if (!verified.ok()) continue;
      b->stored_hashes[a.offset] = {audit::LeafHash(**record),
                                    audit::Sha256(wire::RecordEventBytes(**verified))};
    }
  }
}

bool Committer::TakeQueued(std::vector<std::unique_ptr<CommitBatch>>* work, std::optional<Error>* failure) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  if (queue_.empty()) return false;  // stopping, nothing left
  // Bounded: a loop busy for longer must not stall the log.
  cv_.wait_for(lock, kTurnWait, [&] { return stopping_ || turn_ended_; });
  while (!queue_.empty()) {
    work->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  if (failed_) *failure = failure_;
  if (new_tail_) {
    leaf_count_ = new_tail_->first;
    leaf_tail_ = std::move(new_tail_->second);
    new_tail_.reset();
  }
  return true;
}

Status Committer::CommitAll(std::vector<std::unique_ptr<CommitBatch>>& work,
                            std::vector<store::AppendEntry>& entries, std::vector<store::IndexEntry>* index) {
  entries.clear();
  uint64_t bytes = 0;
  store::CommitWrites writes;
  for (auto& b : work) {
    for (auto& e : b->entries) entries.push_back(std::move(e));
    bytes += b->bytes;
    MergeWrites(&b->writes, &writes);
  }
  // The leaves are hashed and the index entries copied while the records
  // are written and synced (both only read the entries); they are used
  // only once the write has succeeded.
  side_.Start([&] {
    HashLeaves(work, entries);
    index->reserve(entries.size());
    for (const auto& e : entries) index->push_back({e.offset, e.index});
  });
  auto start = std::chrono::steady_clock::now();
  // No entries: the batches came for their writes (consultation records,
  // cursors, a checkpoint) alone.
  Status status = store_->Commit(entries, writes);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  side_.Wait();
  if (status.ok()) {
    HashStored(work);
    WriteLeafBlocks(work);
  }
  // The entries go back to their batches: the loop keeps the records of
  // recent commits for live deliveries.
  size_t k = 0;
  for (auto& b : work) {
    for (auto& e : b->entries) e = std::move(entries[k++]);
  }
  if (status.ok()) {
    if (!entries.empty()) probe_->Committed(entries.size(), bytes, seconds);
    return status;
  }
  index->clear();
  for (auto& b : work) {
    b->leaves.clear();
    b->event_hashes.clear();
    b->receipt_leaves.clear();
  }
  Log()->error("commit failed, refusing publishes until it succeeds: {}", status.error().message);
  return status;
}

void Committer::HandBack(std::vector<std::unique_ptr<CommitBatch>>& work, const Status& status) {
  std::lock_guard lock(mu_);
  if (!status.ok()) {
    failed_ = true;
    failure_ = status.error();
  }
  turn_ended_ = false;
  for (auto& b : work) {
    b->status = status;
    done_.push_back(std::move(b));
  }
  work.clear();
}

void Committer::Run(zmq::context_t* ctx, std::string endpoint) {
  pthread_setname_np(pthread_self(), "lintas-commit");
  zmq::socket_t notify(*ctx, zmq::socket_type::pair);
  notify.set(zmq::sockopt::linger, 0);
  notify.connect(endpoint);
  std::vector<std::unique_ptr<CommitBatch>> work;
  std::vector<store::AppendEntry> entries;
  for (;;) {
    std::optional<Error> failure;  // of an earlier commit: every batch fails until Reset
    if (!TakeQueued(&work, &failure)) break;
    std::vector<store::IndexEntry> index;
    Status status = failure ? Status(*failure) : CommitAll(work, entries, &index);
    HandBack(work, status);
    notify.send(zmq::const_buffer("", 0), zmq::send_flags::dontwait);
    // After the acks are on their way: index writes are off the sync path.
    indexer_->Submit(std::move(index));
  }
}

}  // namespace lintas::broker
