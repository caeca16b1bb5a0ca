// The node's check of the broker's consultation log (docs/AUDIT.md 3a):
// after each checkpoint it keeps, the node asks for its own consultation
// records since the last one it checked, each with its inclusion proof in
// that checkpoint's consultation-log tree, and for the damage the broker
// knows of (records missing, or no longer matching their leaf). Anything
// that does not verify is an alarm naming the record.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "lintas/audit/checkpoint.h"
#include "lintas/node/broker_client.h"

namespace lintas::node {

class NodeStore;

// Ownership: borrows the node store (must outlive it). Thread safety: not
// thread-safe; the link thread owns it. One AccessCheck in flight at a time;
// the seq checked up to is kept in meta "audit/access_checked".
class ConsultationCheck {
 public:
  // AccessCheck query ids have this bit set (and neither the directory's,
  // bit 63, nor the own-event proofs', bit 62: own_events.cc).
  static constexpr uint64_t kQueryBit = uint64_t{1} << 61;

  ConsultationCheck(NodeStore* store, std::string node_id) : store_(store), node_id_(std::move(node_id)) {}

  static bool Owns(uint64_t query_id) { return (query_id >> 61) == 1; }
  // The AccessCheck control frame to send for the checkpoint just kept, or
  // nullopt when it holds no consultation record this node has not checked.
  std::optional<std::string> Next(const audit::Checkpoint& kept);
  // Checks a reply; each problem (naming the record) goes to `alarm`.
  // Returns the next query to send when the broker has more.
  std::optional<std::string> HandleReply(const Incoming& message,
                                         const std::function<void(const std::string&)>& alarm);

 private:
  std::string Query(uint64_t after);
  uint64_t Checked();

  NodeStore* store_;
  std::string node_id_;
  std::optional<audit::Checkpoint> asked_;  // the kept checkpoint the query in flight is for
  uint64_t in_flight_ = 0;                  // its query id; 0: none
  uint64_t next_id_ = 1;
};

}  // namespace lintas::node
