// Referral threads.
#include "lintas/node/referrals.h"

#include <algorithm>

#include "lintas/wire/event_id.h"
#include "lintas/wire/validate.h"

namespace lintas::node {
namespace {

const char* kPrefix = "referral/";

// The state a body moves a thread to, or nullptr to keep it.
const char* NextState(fb::Body body, Direction direction) {
  switch (body) {
    case fb::Body::ReferralCreated: return direction == Direction::kOutgoing ? "sent" : "received";
    case fb::Body::DeliveryReceipt: return "delivered";
    case fb::Body::ReferralAcknowledged: return "acknowledged";
    case fb::Body::ReferralAccepted: return "accepted";
    case fb::Body::ReferralDeclined: return "declined";
    case fb::Body::ClarificationRequested: return "clarification";
    case fb::Body::ReturnPlanned: return "return_planned";
    case fb::Body::ReturnExecuted: return "returned";
    case fb::Body::ReferralClosed: return "closed";
    default: return nullptr;
  }
}

bool Tracked(fb::Body body) {
  return wire::IsReferralBody(body) || body == fb::Body::DeliveryReceipt ||
         body == fb::Body::ReadReceipt;
}

}  // namespace

Status ReferralTracker::Observe(const fb::Event& e, Direction direction, uint64_t offset) {
  if (e.case_id() == nullptr || e.case_id()->size() == 0 || !Tracked(e.body_type())) {
    return OkStatus();
  }
  std::lock_guard lock(mu_);
  std::string key = kPrefix + e.case_id()->str();
  auto stored = store_->Get(key);
  if (!stored.ok()) return std::move(stored).error();
  nlohmann::json t = stored->has_value() ? nlohmann::json::parse(**stored, nullptr, false)
                                         : nlohmann::json::object();
  if (t.is_discarded()) t = nlohmann::json::object();
  if (!t.contains("case_id")) {
    t["case_id"] = e.case_id()->str();
    t["state"] = "open";
    t["events"] = nlohmann::json::array();
  }
  std::string id = wire::EventId::FromFb(*e.id()).ToString();
  for (const auto& ev : t["events"]) {
    if (ev["id"] == id) return OkStatus();  // seen already (resubmission, redelivery)
  }
  if (e.body_type() == fb::Body::ReferralCreated) {
    t["direction"] = direction == Direction::kOutgoing ? "outgoing" : "incoming";
    t["priority"] = fb::EnumNamePriority(e.priority());
    t["priority_rank"] = static_cast<int>(e.priority());
    t["response_due_us"] = e.response_due_us();
    t["created_at_us"] = e.created_at_us();
    t["origin"] = e.origin()->country()->str() + "/" + e.origin()->agency()->str();
    std::string counterpart;
    if (e.destinations() && e.destinations()->size() > 0) {
      const auto* d = e.destinations()->Get(0);
      counterpart = d->country()->str() + "/" +
                    (d->agency() && d->agency()->size() ? d->agency()->str()
                                                        : fb::EnumNameRole(d->role()));
    }
    t["counterpart"] = counterpart;
    t["referral_id"] = id;
  }
  if (e.body_type() == fb::Body::DeadlineExtended) {
    t["response_due_us"] = e.body_as_DeadlineExtended()->new_due_us();
  }
  if (const char* next = NextState(e.body_type(), direction)) {
    // A delivery receipt never moves a thread backwards.
    bool backwards = e.body_type() == fb::Body::DeliveryReceipt && t["state"] != "sent";
    if (!backwards) t["state"] = next;
  }
  nlohmann::json entry{{"id", id},
                       {"type", wire::BodyName(e.body_type())},
                       {"direction", direction == Direction::kOutgoing ? "outgoing" : "incoming"},
                       {"created_at_us", e.created_at_us()},
                       {"from", e.origin()->country()->str() + "/" + e.origin()->agency()->str()}};
  if (offset) entry["offset"] = offset;
  t["events"].push_back(entry);
  t["updated_at_us"] = e.created_at_us();
  return store_->Put(key, t.dump(), false);
}

bool ReferralTracker::IsOverdue(const nlohmann::json& t, int64_t now_us) {
  int64_t due = t.value("response_due_us", int64_t{0});
  std::string state = t.value("state", "");
  return due > 0 && now_us > due && (state == "sent" || state == "delivered" || state == "received");
}

Result<nlohmann::json> ReferralTracker::Thread(const std::string& case_id, int64_t now_us) {
  std::lock_guard lock(mu_);
  auto stored = store_->Get(kPrefix + case_id);
  if (!stored.ok()) return std::move(stored).error();
  if (!stored->has_value()) return nlohmann::json();
  nlohmann::json t = nlohmann::json::parse(**stored, nullptr, false);
  t["overdue"] = IsOverdue(t, now_us);
  return t;
}

Result<nlohmann::json> ReferralTracker::List(const std::string& state, bool overdue_only,
                                             int64_t now_us) {
  std::lock_guard lock(mu_);
  auto all = store_->List(kPrefix);
  if (!all.ok()) return std::move(all).error();
  std::vector<nlohmann::json> threads;
  for (auto& [key, value] : *all) {
    nlohmann::json t = nlohmann::json::parse(value, nullptr, false);
    if (t.is_discarded() || !t.contains("referral_id")) continue;  // no ReferralCreated seen
    t["overdue"] = IsOverdue(t, now_us);
    if (!state.empty() && t["state"] != state) continue;
    if (overdue_only && !t["overdue"].get<bool>()) continue;
    t.erase("events");
    threads.push_back(std::move(t));
  }
  std::sort(threads.begin(), threads.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    bool ao = a["overdue"].get<bool>();
    bool bo = b["overdue"].get<bool>();
    if (ao != bo) return ao;
    int ap = a.value("priority_rank", 0);
    int bp = b.value("priority_rank", 0);
    if (ao && ap != bp) return ap > bp;
    if (ao) return a.value("response_due_us", int64_t{0}) < b.value("response_due_us", int64_t{0});
    return a.value("updated_at_us", int64_t{0}) > b.value("updated_at_us", int64_t{0});
  });
  return nlohmann::json(threads);
}

}  // namespace lintas::node
