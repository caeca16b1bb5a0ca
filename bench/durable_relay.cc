// The durable relay raw limit (see durable_relay.h).
#include "durable_relay.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <zmq.hpp>

#include "relay_sockets.h"

namespace lintas::bench {
namespace {

// The commit thread: writes each handed batch as one synced WriteBatch.
// Thread safety: Hand and TakeDone are called by the relay thread only.
class SyncedBatches {
 public:
  explicit SyncedBatches(rocksdb::DB* db) : db_(db), thread_([this] { Run(); }) {}
  ~SyncedBatches() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  // False while the previous batch is being written.
  bool Hand(std::vector<zmq::message_t>* bodies) {
    std::lock_guard lock(mu_);
    if (busy_) return false;
    batch_.swap(*bodies);
    busy_ = true;
    cv_.notify_one();
    return true;
  }

  bool failed() {
    std::lock_guard lock(mu_);
    return failed_;
  }

  // The written batch's bodies, once it is synced; empty otherwise.
  std::vector<zmq::message_t> TakeDone() {
    std::lock_guard lock(mu_);
    return std::exchange(done_, {});
  }

 private:
  void Run() {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    for (;;) {
      std::vector<zmq::message_t> work;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !batch_.empty(); });
        if (stop_) return;
        work.swap(batch_);
      }
      rocksdb::WriteBatch wb;
      for (const auto& body : work) {
        ++key_;
        char k[8];
        for (int b = 0; b < 8; ++b) k[b] = static_cast<char>(key_ >> (56 - 8 * b));
        wb.Put(rocksdb::Slice(k, 8), rocksdb::Slice(static_cast<const char*>(body.data()), body.size()));
      }
      bool ok = db_->Write(wo, &wb).ok();
      std::lock_guard lock(mu_);
      if (!ok) {
        failed_ = true;
        return;  // busy_ stays: nothing more is handed
      }
      done_ = std::move(work);
      busy_ = false;
    }
  }

  rocksdb::DB* db_;
  uint64_t key_ = 0;  // commit thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<zmq::message_t> batch_;  // Guarded by mu_.
  std::vector<zmq::message_t> done_;   // Guarded by mu_.
  bool busy_ = false;                  // Guarded by mu_.
  bool stop_ = false;                  // Guarded by mu_.
  bool failed_ = false;                // Guarded by mu_: a write failed
  std::thread thread_;
};

// Keeps `window` messages unacknowledged until `stop`; an ack is the count
// of messages it covers (8 bytes).
void SendWindowed(zmq::socket_t& dealer, const std::string& payload, size_t window,
                  const std::atomic<bool>& stop) {
  size_t in_flight = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    short events = static_cast<short>(ZMQ_POLLIN | (in_flight < window ? ZMQ_POLLOUT : 0));
    zmq::pollitem_t item{dealer.handle(), 0, events, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    zmq::message_t ack;
    while (dealer.recv(ack, zmq::recv_flags::dontwait)) {
      uint64_t n = 0;
      if (ack.size() == sizeof(n)) std::memcpy(&n, ack.data(), sizeof(n));
      in_flight -= std::min<size_t>(in_flight, n);
    }
    while (in_flight < window && dealer.send(zmq::buffer(payload), zmq::send_flags::dontwait)) ++in_flight;
  }
}

// Takes what arrived, hands it to the commit thread when it is free, and
// acknowledges and forwards each synced batch.
void Relay(zmq::socket_t& in, zmq::socket_t& out, SyncedBatches& commits, const std::atomic<bool>& stop) {
  std::vector<zmq::message_t> pending;
  std::string sender;
  bool out_for_commit = false;
  while (!stop.load(std::memory_order_relaxed)) {
    zmq::pollitem_t item{in.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(out_for_commit ? 1 : 50));
    zmq::message_t id;
    while (in.recv(id, zmq::recv_flags::dontwait)) {
      zmq::message_t body;
      (void)in.recv(body, zmq::recv_flags::none);  // the rest of a message is already here
      sender = id.to_string();
      pending.push_back(std::move(body));
    }
    std::vector<zmq::message_t> synced = commits.TakeDone();
    if (!synced.empty()) {
      out_for_commit = false;
      uint64_t n = synced.size();
      in.send(zmq::buffer(sender), zmq::send_flags::sndmore);
      in.send(zmq::buffer(&n, sizeof(n)), zmq::send_flags::none);
      for (auto& body : synced) {
        while (!out.send(body, zmq::send_flags::dontwait)) {
          if (stop.load(std::memory_order_relaxed)) return;
          zmq::pollitem_t wait{out.handle(), 0, ZMQ_POLLOUT, 0};
          zmq::poll(&wait, 1, std::chrono::milliseconds(50));
        }
      }
    }
    if (!out_for_commit && !pending.empty() && commits.Hand(&pending)) out_for_commit = true;
  }
}

}  // namespace

double DurableRelayRate(const std::string& dir, size_t message_bytes, size_t window, double seconds) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir, &raw).ok()) throw std::runtime_error("open " + dir);
  std::unique_ptr<rocksdb::DB> db(raw);
  RelaySockets sockets;
  std::atomic<bool> stop{false};
  std::string payload(message_bytes, 'm');
  double rate = 0;
  {
    SyncedBatches commits(db.get());
    std::thread sender([&] { SendWindowed(sockets.dealer, payload, window, stop); });
    std::thread relay([&] { Relay(sockets.in, sockets.out, commits, stop); });
    rate = ReceiveRate(sockets.sink, seconds);
    stop = true;
    sender.join();
    relay.join();
    if (commits.failed()) throw std::runtime_error("durable relay: a synced write failed in " + dir);
  }
  (void)db->Close();
  return rate;
}

}  // namespace lintas::bench
