// Referral tracking: the state of each referral thread (case) through its
// lifecycle, derived from the events the node sends and receives, its
// response-due time, and the overdue list.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"
#include "lintas/node/node_store.h"

namespace lintas::node {

enum class Direction { kOutgoing, kIncoming };

// Thread safety: Observe and the readers take mu_.
class ReferralTracker {
 public:
  explicit ReferralTracker(NodeStore* store) : store_(store) {}

  // Updates the case thread the event belongs to (events without a case id
  // or outside the referral lifecycle and receipts are ignored).
  [[nodiscard]] Status Observe(const fb::Event& event, Direction direction, uint64_t offset);

  // One case thread: {"case_id", "state", "priority", "response_due_us",
  // "overdue", "origin", "counterpart", "events": [...]}; null if unknown.
  [[nodiscard]] Result<nlohmann::json> Thread(const std::string& case_id, int64_t now_us);

  // Every thread, optionally only `state`; overdue first (life-threatening,
  // then urgent, then routine; earliest due first), then most recent.
  [[nodiscard]] Result<nlohmann::json> List(const std::string& state, bool overdue_only,
                                            int64_t now_us);

 private:
  static bool IsOverdue(const nlohmann::json& thread, int64_t now_us);

  NodeStore* store_;
  std::mutex mu_;
};

}  // namespace lintas::node
