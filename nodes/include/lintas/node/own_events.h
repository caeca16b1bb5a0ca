// OwnEvents: the evidence a node keeps about the events the broker
// acknowledged to it, and their checking against the broker's signed log
// (docs/AUDIT.md 2a, 2b): each Ack's signed receipts are verified and stored
// with the event (meta "receipt/<event id>"), each acknowledged event is
// indexed by offset (meta "own/<offset, 16 hex digits>") until an inclusion
// proof against a fresh checkpoint shows the broker's log holds it, and an
// alarm names every event the log no longer holds, or that could not be
// checked within `audit.verify_within` of its ack.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/audit/checkpoint.h"
#include "lintas/audit/receipt.h"
#include "lintas/node/broker_client.h"
#include "lintas/node/config.h"
#include "lintas/node/node_store.h"
#include "lintas/wire/event_id.h"

namespace lintas::node {

// The meta keys of the broker's signing key pinned, and of where it came
// from ("config" or "first use").
inline constexpr const char* kBrokerKeyMeta = "audit/broker_key";
inline constexpr const char* kBrokerKeySourceMeta = "audit/broker_key_source";

// Ownership: borrows the store and the config (must outlive it).
// Thread safety: thread-compatible; the link thread owns it. The store is
// thread-safe (the API reads what it writes).
class OwnEvents {
 public:
  // Pins audit.broker_signing_key when it is configured (the configuration
  // is authoritative: a key pinned before on first use is replaced, loudly).
  OwnEvents(NodeStore* store, const NodeConfig& config);

  // An Ack's entry as this node sent it: nullopt for an entry it no longer
  // knows (a stale answer); `sent_hash` is the SHA-256 of the bytes sent.
  struct Sent {
    wire::EventId id;
    audit::Hash sent_hash{};
  };
  // Verifies the Ack's signed receipts (if it carries them) and adds, to
  // `writes`, each event's receipt and its own/ index entry. An Ack whose
  // receipts fail to verify, or name other bytes than were sent, adds an
  // alarm naming the event. `broker_id` is the log id the broker announced.
  void OnAck(const proto::Ack& ack, std::span<const std::optional<Sent>> sent, std::string_view broker_id,
             WriteSet* writes, std::vector<std::string>* alarms);

  // A fresh checkpoint whose signature verified. `consistent`: it extends
  // the one kept. Names (alarm) the acknowledged events beyond its size when
  // it is not; returns the Proofs query to send for the events to check
  // against it (nullopt: none).
  std::optional<std::string> CheckAgainst(const audit::Checkpoint& fresh, bool consistent,
                                          std::vector<std::string>* alarms);
  // Whether an AuditReply's query id is one of CheckAgainst's.
  static bool IsProofsReply(uint64_t query_id);
  // The proofs of a CheckAgainst query: the events proven are marked
  // verified; an event whose proof does not lead to the checkpoint's root
  // is named in an alarm.
  void OnProofs(const Incoming& reply, std::vector<std::string>* alarms);
  // Names the events acknowledged more than verify_within ago and not yet
  // verified (each once).
  void CheckDeadlines(int64_t now_us, std::vector<std::string>* alarms);

 private:
  struct Pending {
    uint64_t size = 0;
    audit::Hash root{};
    std::vector<uint64_t> offsets;
  };
  NodeStore* store_;
  const NodeConfig& config_;
  uint64_t next_query_ = 1;
  std::map<uint64_t, Pending> pending_;  // by query id
  std::map<uint64_t, bool> overdue_named_;  // offsets already named as overdue
};

}  // namespace lintas::node
