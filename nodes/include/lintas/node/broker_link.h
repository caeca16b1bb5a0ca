// BrokerLink: the node's thread that owns its connection to the broker. It
// sends the outbox in order and resends what is unacknowledged after every
// reconnect (with backoff), settles each event's status from Ack / Nack, and
// stores deliveries in the inbox (synced) before acknowledging them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "lintas/node/broker_client.h"
#include "lintas/node/config.h"
#include "lintas/node/own_events.h"
#include "lintas/node/witnessing.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/event_id.h"

namespace lintas::node {

class Node;
class ConsultationCheck;

// Ownership: borrows the node (must outlive it); owns its thread, its ZeroMQ
// context and the BrokerClient (used by that thread only).
// Thread safety: Wake, ResubscribeSoon, Stop and connected() from any thread.
class BrokerLink {
 public:
  explicit BrokerLink(Node* node);
  ~BrokerLink();

  void Start();
  void Stop();
  // New events are in the outbox.
  void Wake() { outbox_dirty_.store(true, std::memory_order_release); }
  // A sender needs a fresher directory (an addressee's key is missing).
  void RefreshDirectorySoon() { directory_wanted_.store(true, std::memory_order_release); }
  // The subscription list changed.
  void ResubscribeSoon() { resubscribe_.store(true, std::memory_order_release); }
  // Detach a subscription now (its broker-side cursor is kept).
  void UnsubscribeSoon(const std::string& name);
  bool connected() const { return connected_.load(std::memory_order_acquire); }
  // Why the outbox waits at this event (no seal key for an addressee yet),
  // or "" if it does not.
  std::string WaitingReason(const wire::EventId& id) const;

 private:
  void Run();
  bool ConnectAndAttach();
  void SendOutbox();
  // What to send for an outbox event: sealed here when it must be
  // (`bytes` replaced by the envelope). kHold: no directory or key yet;
  // kRefused: never sendable (recorded as refused).
  enum class Sending { kSend, kHold, kRefused };
  Sending ForSending(const wire::EventId& id, const fb::Event& event, std::string& bytes);
  // The most event bytes (packed) one Publish carries: under the broker's
  // message cap, which refuses a larger one whole.
  size_t PublishBudget() const;
  // The event of an outbox copy (encrypted under its case's key); nullopt,
  // with the event recorded as refused, when its case was erased before it
  // was sent. `id`: the event's, when the caller knows it.
  std::optional<std::string> OpenOutboxCopy(std::optional<wire::EventId> id, std::string copy);
  // A refusal (the broker's Nack, or the node's own before sending): the
  // outbox status and the case model, in one synced write.
  void RecordRefusal(const wire::EventId& id, wire::errc code, const std::string& message,
                     const std::string& field);
  void Handle(const Incoming& message);
  void HandleDeliver(const Incoming& message);
  // The automatic DeliveryReceipt for a received referral, from the local
  // agency it was addressed to.
  std::string BuildReceipt(const fb::Event& original, int64_t now_us);
  void Disconnect(const char* reason);
  // Sends Subscribe for every named subscription; false if one was not sent.
  bool Resubscribe();
  // Records a security alarm for /v1/health (meta "audit/alarm").
  void RaiseAlarm(const std::string& what);
  void WaitBackoff();

  Node* node_;
  const NodeConfig& config_;
  zmq::context_t ctx_;
  // The broker's signed checkpoints: asked for after each connect and every
  // minute; each must extend the last one kept (meta "audit/checkpoint"),
  // signed by the key pinned on first use (meta "audit/broker_key").
  void AskCheckpoint();
  void HandleAuditReply(const Incoming& message);
  std::chrono::steady_clock::time_point next_checkpoint_{};
  // The signed directory (docs/SECURITY.md): asked for after each connect,
  // every 30 s and when a sender needs it; replies carry query ids with
  // kDirectoryQuery set.
  void AskDirectory();
  void HandleDirectoryReply(const Incoming& message);
  std::chrono::steady_clock::time_point next_directory_{};
  std::atomic<bool> directory_wanted_{false};
  // The event the outbox waits at for the directory, and why. Guarded by
  // held_mu_ (the API reads it).
  mutable std::mutex held_mu_;
  wire::EventId held_id_;
  std::string held_reason_;
  int unanswered_checkpoints_ = 0;
  // The consultation log's check after each checkpoint kept
  // (src/consultation_check.h).
  std::unique_ptr<ConsultationCheck> consultation_check_;

  std::unique_ptr<BrokerClient> client_;
  std::string public_key_;  // curve mode: derived from the secret key
  std::string secret_key_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> outbox_dirty_{true};
  std::atomic<bool> resubscribe_{false};
  std::atomic<bool> connected_{false};
  std::mutex mu_;               // guards unsubscribes_; the backoff wait
  std::vector<std::string> unsubscribes_;
  std::condition_variable cv_;  // wakes the backoff wait on Stop

  // Loop thread only.
  std::map<uint64_t, std::pair<wire::EventId, uint64_t>> in_flight_;  // wire seq -> (id, local seq)
  std::map<uint64_t, audit::Hash> sent_hashes_;  // wire seq -> SHA-256 of the bytes sent
  // Signed receipts and the checking of acknowledged events (own_events.h).
  OwnEvents own_;
  // Co-signing the checkpoint kept and checking the peers' (witnessing.h):
  // a Witness query after each checkpoint request and each checkpoint kept.
  Witnessing witness_;
  void SendWitness();
  void HandleAck(const Incoming& message);
  // Remembers what was sent under wire seqs first.. (for the receipts).
  void Sent(uint64_t first, const std::vector<std::string>& events);
  void RaiseAlarms(const std::vector<std::string>& alarms);
  // Events the broker asked to resend later (overloaded, storage_error): sent
  // again alone when due, on the same connection; cleared by Disconnect,
  // which resends everything unsettled anyway.
  struct Retry {
    wire::EventId id;
    int attempts = 0;
    std::chrono::steady_clock::time_point due;
  };
  std::map<uint64_t, Retry> retries_;  // by local outbox seq
  void ScheduleRetry(const wire::EventId& id, uint64_t local_seq, wire::errc code);
  // Sends the retries that are due; false if the send would block.
  bool SendRetries();
  uint64_t last_loaded_seq_ = 0;  // outbox events up to here were sent on this connection
  uint32_t backoff_ms_ = 0;
  size_t endpoint_index_ = 0;  // into the endpoint and its fallbacks
  std::chrono::steady_clock::time_point last_heard_;
};

}  // namespace lintas::node
