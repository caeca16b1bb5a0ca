// Collects the acks of one Append's asynchronous publishes.
#pragma once

#include <nats/nats.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace lintas::store {

// Thread safety: OnAck runs on nats.c's ack thread; Begin and Take on the
// appending thread; everything is guarded by mu_.
class PublishTracker {
 public:
  // The handler given to NatsClient::Connect (closure: this tracker).
  static void OnAck(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* err, void* closure);

  explicit PublishTracker(std::string kv_prefix) : kv_prefix_(std::move(kv_prefix)) {}

  // A new batch: the records' message ids and the offsets they must get.
  // Acks of messages not in it (a failed batch's, arriving late) are
  // ignored.
  void Begin(std::map<std::string, uint64_t> expected);

  struct Outcome {
    size_t acked = 0;         // records stored at their offsets
    std::string error;        // the first failure, "" if none
    bool conflict = false;    // the stream moved (another writer, a late record)
    size_t cursor_errors = 0;  // key-value puts that failed (a redelivery at worst)
  };
  Outcome Take();

 private:
  void Record(natsMsg* msg, jsPubAck* ack, jsPubAckErr* err);

  const std::string kv_prefix_;
  std::mutex mu_;
  std::map<std::string, uint64_t> expected_;  // Guarded by mu_.
  Outcome outcome_;                           // Guarded by mu_.
};

}  // namespace lintas::store
