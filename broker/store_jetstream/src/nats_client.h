// One NATS connection with its JetStream context: the calls the JetStream
// store and the lease make, as Result/Status values. nats.c types stay in
// broker/store_jetstream/src.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "lintas/common/result.h"
#include "lintas/store/jetstream_options.h"

namespace lintas::store {

// A stored stream message as the store reads it back.
struct StreamMessage {
  uint64_t seq = 0;
  std::string msg_id;  // the Nats-Msg-Id header ("" if none)
  std::string data;
};

// Ownership: owns the connection, the JetStream context and the buckets it
// opened. Thread safety: nats.c connections and contexts are thread safe;
// the asynchronous publish acks go to the handler given at Connect, on a
// nats.c thread.
class NatsClient {
 public:
  using AckHandler = jsPubAckHandler;

  // Connects to options.servers (fail-over between them, reconnecting for
  // ever) with a JetStream context whose asynchronous acks go to `on_ack`
  // (closure `ack_closure`); nullptr: no asynchronous publishing.
  [[nodiscard]] static Result<std::unique_ptr<NatsClient>> Connect(const JetStreamOptions& options,
                                                                   AckHandler on_ack = nullptr,
                                                                   void* ack_closure = nullptr);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  // Creates the stream (file storage, replicas, duplicate window, no limits,
  // no deletes or purges) or checks that the existing one has the same
  // replicas and keeps everything (no age, count or size limit).
  [[nodiscard]] Status EnsureStream(const std::string& name, int replicas,
                                    int64_t duplicate_window_ms);
  // Opens the bucket, creating it (file storage, history 1) if missing.
  // ttl_ms 0: entries never expire.
  [[nodiscard]] Result<kvStore*> EnsureBucket(const std::string& name, int replicas, int64_t ttl_ms);
  // The stream's last sequence (0: empty).
  [[nodiscard]] Result<uint64_t> LastSeq(const std::string& stream);
  // The message at `seq`, if the stream holds it.
  [[nodiscard]] Result<std::optional<StreamMessage>> GetMessage(const std::string& stream,
                                                                uint64_t seq);
  // Reads messages first .. last of the stream, in order, through an
  // ordered consumer, calling `each` for every one; stops on its error.
  [[nodiscard]] Status ReadRange(const std::string& stream, uint64_t first, uint64_t last,
                                 const std::function<Status(StreamMessage&&)>& each);
  // Publishes one message and waits for its ack (the request timeout).
  // Sets `expected_last` (Nats-Expected-Last-Sequence, 0 included) and
  // `msg_id` if not empty. Returns the stored sequence.
  [[nodiscard]] Result<uint64_t> PublishSync(const std::string& subject, std::string_view data,
                                             const std::string& msg_id, uint64_t expected_last);

  natsConnection* connection() { return nc_; }
  jsCtx* js() { return js_; }
  const JetStreamOptions& options() const { return options_; }
  // The server the connection is on now (for logs).
  std::string ConnectedUrl();

 private:
  NatsClient() = default;

  JetStreamOptions options_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

// A nats.c status as an Error: what failed, the status and nats.c's last
// error text.
Error NatsError(natsStatus s, std::string_view what, jsErrCode jerr = static_cast<jsErrCode>(0));

// A message with the headers the store sets: Nats-Msg-Id (if not empty) and
// Nats-Expected-Last-Sequence (always, 0 included: "the stream is empty").
Result<natsMsg*> NewLogMessage(const std::string& subject, std::string_view data,
                               const std::string& msg_id, uint64_t expected_last);

}  // namespace lintas::store
