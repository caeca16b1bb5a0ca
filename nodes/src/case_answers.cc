// The case model's rules for answers: every event that moves an item opened
// by a referral or an information request, who may send it, and in which
// states. See docs/API.md ("Items and their states").
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "case_keys.h"
#include "consent_filter.h"
#include "consent_scope.h"
#include "lintas/node/case_store.h"
#include "lintas/node/errc.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/validate.h"

namespace lintas::node {

using nlohmann::json;

namespace {

enum class Side { kNone, kOrigin, kCounterpart };

// The attachment references an item lists (the events keep them all).
constexpr size_t kMaxAttachmentsPerItem = 256;

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

Error Refuse(errc code, const std::string& field, const std::string& message) {
  return Error{code, field.empty() ? message : field + ": " + message, field};
}

struct Rule {
  fb::Body body;
  const char* kind;           // "referral", "request" or "any"
  bool origin;                // the item's originator may send it
  bool counterpart;           // the addressee may send it
  std::set<std::string> from; // states it may be sent in (empty: any but closed)
  const char* to;             // the state it moves to (nullptr: none)
};

const std::set<std::string> kUndecided = {"sent", "delivered", "received", "acknowledged", "clarification"};
const std::set<std::string> kOpenRequest = {"requested", "delayed"};

const Rule kRules[] = {
    {fb::Body::DeliveryReceipt, "any", false, true, {}, nullptr},
    {fb::Body::ReadReceipt, "any", true, true, {}, nullptr},
    {fb::Body::ReferralAcknowledged, "any", false, true, {}, nullptr},
    {fb::Body::ReferralAccepted, "referral", false, true, kUndecided, "accepted"},
    {fb::Body::ReferralDeclined, "referral", false, true, kUndecided, "declined"},
    {fb::Body::ClarificationRequested, "referral", false, true, kUndecided, "clarification"},
    {fb::Body::OwnerAssigned, "any", true, true, {}, nullptr},
    {fb::Body::DeadlineExtended, "any", true, false, {}, nullptr},
    {fb::Body::ConsentChanged, "referral", true, false, {}, nullptr},
    {fb::Body::ReturnPlanned, "referral", true, true, {"accepted", "return_planned"}, "return_planned"},
    {fb::Body::ReturnExecuted, "referral", true, true, {"return_planned"}, "returned"},
    {fb::Body::ReferralClosed, "any", true, true, {}, nullptr},
    {fb::Body::InformationDelayed, "request", false, true, kOpenRequest, "delayed"},
    {fb::Body::InformationProvided, "request", false, true, kOpenRequest, "provided"},
    {fb::Body::InformationRefused, "request", false, true, kOpenRequest, "refused"},
    {fb::Body::SpontaneousInformation, "any", true, true, {}, nullptr},
    {fb::Body::CasesLinked, "any", true, true, {}, nullptr},
};

const Rule* RuleFor(fb::Body body) {
  for (const auto& r : kRules) {
    if (r.body == body) return &r;
  }
  return nullptr;
}

std::string Join(const std::set<std::string>& states) {
  std::string out;
  for (const auto& s : states) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Which side of the item the event's origin is, binding a role-addressed
// counterpart to the first agency of its country that answers.
Side SideOf(json& item, const fb::Event& e) {
  std::string country = Str(e.origin()->country());
  std::string agency = Str(e.origin()->agency());
  if (item["origin"].value("agency", "") == agency && item["origin"].value("country", "") == country) {
    return Side::kOrigin;
  }
  json& to = item["addressee"];
  if (to.value("country", "") != country) return Side::kNone;
  if (to.value("agency", "").empty()) {
    to["agency"] = agency;  // the role resolved to this agency
    if (item.value("direction", "") == "outgoing") item["counterpart"] = to;
    return Side::kCounterpart;
  }
  return to.value("agency", "") == agency ? Side::kCounterpart : Side::kNone;
}

}  // namespace

Status CaseTxn::ApplyAnswer(const fb::Event& e, Direction d, uint64_t offset, const Principal* who,
                            int64_t now) {
  const Rule* rule = RuleFor(e.body_type());
  if (rule == nullptr) return OkStatus();
  std::string parent = wire::EventId::FromFb(*e.parent_id()).ToString();
  auto ref = Read(keys::EventItem(parent));
  if (!ref.ok()) return std::move(ref).error();
  if ((!ref->has_value() || (**ref).value("case", "").empty()) && e.body_type() == fb::Body::ConsentChanged &&
      d == Direction::kIncoming) {
    // Sent to every holder of the case: this node may hold another of the
    // sender's referrals of the case than the one answered.
    auto holder = HolderItemFor(e);
    if (!holder.ok()) return std::move(holder).error();
    if (holder->has_value()) *ref = std::move(*holder);
  }
  if (!ref->has_value() || (**ref).value("case", "").empty()) {
    return Refuse(errc::not_found, "parent_id", "no referral or request " + parent + " on this node");
  }
  std::string case_id = (**ref).value("case", "");
  std::string item_id = (**ref).value("item", "");
  auto stored_item = Read(keys::Item(case_id, item_id));
  auto stored_case = Read(keys::Case(case_id));
  if (!stored_item.ok()) return std::move(stored_item).error();
  if (!stored_case.ok()) return std::move(stored_case).error();
  if (!stored_item->has_value() || !stored_case->has_value()) {
    return Refuse(errc::not_found, "parent_id", "the item of " + parent + " is not on this node");
  }
  if (auto s = RefuseIfErased(**stored_case); !s.ok()) return s;
  if (Str(e.case_id()) != case_id) {
    return Refuse(errc::bad_input, "case_id", fmt::format("must be {}, the case of the event answered", case_id));
  }
  json before = **stored_item;
  json item = before;
  json kase = **stored_case;
  std::string kind = item.value("kind", "");
  std::string state = item.value("state", "");
  std::string name(wire::BodyName(e.body_type()));
  bool outgoing = d == Direction::kOutgoing;
  Side side = SideOf(item, e);
  if (side == Side::kNone) {
    return Refuse(errc::forbidden, "origin.agency",
                  fmt::format("{} is not a party of this {}", Str(e.origin()->agency()), kind));
  }
  if (side == Side::kCounterpart) {
    // A role placeholder among the parties becomes the agency that answered.
    bool listed = false;
    for (auto& p : kase["parties"]) {
      if (p.value("agency", "") == Str(e.origin()->agency())) listed = true;
    }
    for (auto& p : kase["parties"]) {
      if (!listed && p.value("agency", "").empty() && p.value("country", "") == Str(e.origin()->country())) {
        p["agency"] = Str(e.origin()->agency());
        listed = true;
      }
    }
    if (!listed) kase["parties"].push_back({{"country", Str(e.origin()->country())}, {"agency", Str(e.origin()->agency())}});
  }
  if (who != nullptr && who->user.Has("auditor") && !who->user.Has("officer") && !who->user.Has("supervisor")) {
    return Refuse(errc::forbidden, "role", "auditors read; they do not act on cases");
  }
  // Who may send it.
  bool allowed_side = side == Side::kOrigin ? rule->origin : rule->counterpart;
  if (!allowed_side) {
    std::string why = side == Side::kOrigin
                          ? fmt::format("{} sent this {}; {} comes from the addressee", Str(e.origin()->agency()), kind, name)
                          : fmt::format("only the agency that opened the {} sends {}", kind, name);
    return Refuse(errc::forbidden, "body_type", why);
  }
  if (std::string(rule->kind) != "any" && rule->kind != kind) {
    return Refuse(errc::conflict, "body_type", fmt::format("{} does not apply to a {}", name, kind));
  }
  // Acknowledgements: one per addressee agency, by a person.
  if (e.body_type() == fb::Body::ReferralAcknowledged) {
    for (const auto& a : item["acks"]) {
      if (a.value("agency", "") == Str(e.origin()->agency())) {
        return Refuse(errc::conflict, "id",
                      fmt::format("{} acknowledged this {} already ({})", a.value("agency", ""), kind,
                                  a.value("officer", "")));
      }
    }
  }
  // Closures: one per side.
  if (e.body_type() == fb::Body::ReferralClosed) {
    for (const auto& c : item["closed_by"]) {
      if (c.value("agency", "") == Str(e.origin()->agency())) {
        return Refuse(errc::conflict, "id", fmt::format("{} closed this {} already", c.value("agency", ""), kind));
      }
    }
  }
  // Consent changes apply to closed referrals too: the data is still held.
  bool in_state = rule->from.empty() ? state != "closed" || e.body_type() == fb::Body::ConsentChanged
                                     : rule->from.count(state) > 0;
  if (!in_state) {
    // Our own steps must be in order; a partner's late or early event is
    // still recorded in the thread, without moving the state.
    if (outgoing) {
      return Refuse(errc::conflict, "body_type",
                    rule->from.empty()
                        ? fmt::format("the {} is closed", kind)
                        : fmt::format("{} is for a {} that is {} (it is {})", name, kind, Join(rule->from), state));
    }
  }
  if (auto s = AddEvent(kase, item, e, d, offset, now); !s.ok()) return s;
  if (e.attachments() && e.attachments()->size() > 0) {
    json& list = item["attachments"];
    if (!list.is_array()) list = json::array();
    for (auto& a : consent::AttachmentsJson(e)) {
      if (list.size() < kMaxAttachmentsPerItem) list.push_back(std::move(a));
    }
    consent::Purge(item, kase.value("consent", json()));
  }
  // The deadline: an answer after it leaves a missed-deadline record.
  bool was_awaiting = AwaitsAnswer(kind, state);
  int64_t at = e.created_at_us();
  std::string agency = Str(e.origin()->agency());
  std::string officer = Str(e.officer());
  if (in_state) {
    switch (e.body_type()) {
      case fb::Body::DeliveryReceipt:
        item["delivered_at_us"] = at;
        if (state == "sent") item["state"] = "delivered";
        break;
      case fb::Body::ReferralAcknowledged:
        item["acks"].push_back({{"agency", agency}, {"officer", officer.empty() ? Str(e.body_as_ReferralAcknowledged()->officer()) : officer}, {"at_us", at}});
        if (state == "sent" || state == "delivered" || state == "received") item["state"] = "acknowledged";
        break;
      case fb::Body::ReferralDeclined:
        item["decline"] = {{"reason", fb::EnumNameDeclineReason(e.body_as_ReferralDeclined()->reason())},
                           {"note", Str(e.body_as_ReferralDeclined()->note())}, {"by", officer}, {"at_us", at}};
        break;
      case fb::Body::OwnerAssigned:
        item[side == Side::kOrigin ? "origin_owner" : "counterpart_owner"] = {
            {"agency", Str(e.body_as_OwnerAssigned()->agency())}, {"officer", Str(e.body_as_OwnerAssigned()->officer())}};
        break;
      case fb::Body::DeadlineExtended:
      case fb::Body::InformationDelayed: {
        int64_t due = item.value("due_us", int64_t{0});
        if (was_awaiting && due > 0 && at > due) RecordMiss(item, 0, now);
        int64_t new_due = e.body_type() == fb::Body::DeadlineExtended ? e.body_as_DeadlineExtended()->new_due_us()
                                                                       : e.body_as_InformationDelayed()->new_due_us();
        item["due_us"] = new_due;
        if (e.body_type() == fb::Body::InformationDelayed) {
          item["delay"] = {{"reason", Str(e.body_as_InformationDelayed()->reason())}, {"new_due_us", new_due}, {"at_us", at}};
        }
        break;
      }
      case fb::Body::ConsentChanged:
        if (auto s = ApplyConsentChange(kase, item, e); !s.ok()) return s;
        break;
      case fb::Body::ReturnPlanned:
        item["return"] = {{"checkpoint", Str(e.body_as_ReturnPlanned()->checkpoint())},
                          {"planned_at_us", e.body_as_ReturnPlanned()->planned_at_us()}};
        break;
      case fb::Body::ReturnExecuted:
        item["return"]["executed_at_us"] = e.body_as_ReturnExecuted()->executed_at_us();
        item["return"]["received_by"] = Str(e.body_as_ReturnExecuted()->received_by());
        break;
      case fb::Body::ReferralClosed:
        item["closed_by"].push_back({{"agency", agency}, {"officer", officer}, {"at_us", at},
                                     {"outcome", fb::EnumNameReferralOutcome(e.body_as_ReferralClosed()->outcome())}});
        if (item["closed_by"].size() >= 2) {
          item["state_before_close"] = state;
          item["state"] = "closed";
        }
        break;
      case fb::Body::InformationRefused:
        item["refusal"] = {{"reason", fb::EnumNameRefusalReason(e.body_as_InformationRefused()->reason())},
                           {"note", Str(e.body_as_InformationRefused()->note())}};
        break;
      case fb::Body::SpontaneousInformation:
        if (state == "clarification" && side == Side::kOrigin) item["state"] = "acknowledged";
        break;
      default:
        break;
    }
    if (rule->to != nullptr) item["state"] = rule->to;
  } else {
    item["out_of_sequence"] = item.value("out_of_sequence", 0) + 1;
  }
  bool awaiting_now = AwaitsAnswer(kind, item.value("state", ""));
  int64_t due = before.value("due_us", int64_t{0});
  if (was_awaiting && !awaiting_now && due > 0 && at > due) RecordMiss(before, at, now);
  // The first answer that ended the wait, for the response-time statistics.
  if (was_awaiting && !awaiting_now && side == Side::kCounterpart && !item.contains("answered_at_us")) {
    item["answered_at_us"] = at;
  }
  item["updated_at_us"] = std::max(at, item.value("updated_at_us", int64_t{0}));
  item["last_event"] = name;
  if (outgoing) {
    // Kept so that a refusal by the broker can undo this step.
    item["last_event_id"] = wire::EventId::FromFb(*e.id()).ToString();
    uint64_t n = kase.value("events_total", uint64_t{0});
    auto summary = Read(keys::Event(case_id, n));
    if (!summary.ok()) return std::move(summary).error();
    if (summary->has_value()) {
      json with_before = **summary;
      with_before["item_before"] = before;
      Write(keys::Event(case_id, n), with_before);
    }
  }
  Write(keys::Item(case_id, item_id), item);
  Reindex(before, item, now);
  return OkStatus();
}

}  // namespace lintas::node
