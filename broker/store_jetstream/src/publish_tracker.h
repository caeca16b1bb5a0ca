// Collects the acks of one Append's asynchronous publishes.
#pragma once

#include <nats/nats.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <mutex>
#include <string>

namespace lintas::store {

struct PublishTrackerOutcome {
  // The offsets acknowledged as holding their record (a duplicate ack at the
  // same offset counts: a retried record that had landed). Only a prefix
  // with no hole is ours for certain: the expected-sequence check says a
  // record followed *a* record, not ours, so a record acked after a refused
  // one may follow another broker's.
  std::set<uint64_t> acked;
  std::string error;         // the first failure, "" if none
  bool conflict = false;     // a record of ours elsewhere in the stream
  size_t cursor_errors = 0;  // key-value puts that failed (a redelivery at worst)
};

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

  using Outcome = PublishTrackerOutcome;
  Outcome Take();

 private:
  void Record(natsMsg* msg, jsPubAck* ack, jsPubAckErr* err);

  const std::string kv_prefix_;
  std::mutex mu_;
  std::map<std::string, uint64_t> expected_;  // Guarded by mu_.
  Outcome outcome_;                           // Guarded by mu_.
};

}  // namespace lintas::store
