// The active broker's lease: key "active" of a JetStream key-value bucket
// whose entries expire after lease_ttl_ms. One broker holds it at a time;
// the others stand by (bind nothing) until it lapses.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "lintas/common/result.h"
#include "lintas/store/jetstream_options.h"

typedef struct __kvStore kvStore;

namespace lintas::store {

class NatsClient;

// Taken with a create (only if the key is absent: expired or deleted),
// renewed every lease_ttl_ms / 3 with an update conditional on the last
// revision, released with a delete. It is a liveness device, not the
// safety one: appends are fenced by the stream's expected-last-sequence
// check whatever the lease says.
//
// Ownership: owns its own NATS connection and the renewal thread.
// Thread safety: Acquire and Release from one thread; on_lost runs on the
// renewal thread.
class JetStreamLease {
 public:
  // Connects and opens (or creates) options.lease_bucket. `holder` names
  // this broker in the lease ("id@host:pid").
  [[nodiscard]] static Result<std::unique_ptr<JetStreamLease>> Connect(const JetStreamOptions& options,
                                                                       std::string holder);
  ~JetStreamLease();  // stops renewing and releases the lease if held

  // Blocks until this broker holds the lease, polling every lease_ttl_ms /
  // 10 while another holds it; returns early (an error) once `stop` is set.
  [[nodiscard]] Status Acquire(const std::atomic<bool>& stop);
  // Renews in the background; `on_lost` is called once if the lease could
  // not be renewed (another holder, or no renewal for 2/3 of the TTL, so
  // before it can lapse): the broker must stop appending then.
  void StartRenewing(std::function<void(const std::string& why)> on_lost);
  // Deletes the key (a clean stop hands over at once, without the TTL).
  void Release();
  // Who holds the lease now ("" if nobody or unreadable).
  std::string Holder();

 private:
  JetStreamLease() = default;
  void RenewLoop();

  JetStreamOptions options_;
  std::string holder_;
  std::unique_ptr<NatsClient> client_;
  kvStore* kv_ = nullptr;  // owned
  uint64_t revision_ = 0;  // of our last create/update; 0: not held
  std::function<void(const std::string&)> on_lost_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // Guarded by mu_.
  std::thread renewer_;
};

}  // namespace lintas::store
