// The case model's rules: how each event opens an item or moves one, and who
// may send it. The states are in docs/API.md ("Items and their states").
#include <algorithm>

#include <fmt/format.h>

#include "case_keys.h"
#include "consent_filter.h"
#include "consent_scope.h"
#include "names.h"
#include "lintas/node/case_store.h"
#include "lintas/node/errc.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/validate.h"

namespace lintas::node {

using nlohmann::json;

namespace {

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

std::string IdOf(const fb::Uuid* id) { return wire::EventId::FromFb(*id).ToString(); }

std::string RoleSnake(fb::Role role) { return SnakeCase(fb::EnumNameRole(role)); }

json Party(const std::string& country, const std::string& agency) {
  return {{"country", country}, {"agency", agency}};
}

Error Refuse(errc code, const std::string& field, const std::string& message) {
  return Error{code, field.empty() ? message : field + ": " + message, field};
}

const char* KindOf(fb::Body body) {
  switch (body) {
    case fb::Body::ReferralCreated: return "referral";
    case fb::Body::InformationRequested: return "request";
    default: return nullptr;
  }
}

// A few fields of the body worth showing in a thread (no victim block).
json Detail(const fb::Event& e) {
  json d = json::object();
  switch (e.body_type()) {
    case fb::Body::ReferralAcknowledged:
      d["note"] = Str(e.body_as_ReferralAcknowledged()->note());
      break;
    case fb::Body::ReferralAccepted:
      d["owner_agency"] = Str(e.body_as_ReferralAccepted()->owner_agency());
      d["note"] = Str(e.body_as_ReferralAccepted()->note());
      break;
    case fb::Body::ReferralDeclined: {
      const auto* b = e.body_as_ReferralDeclined();
      d["reason"] = fb::EnumNameDeclineReason(b->reason());
      d["note"] = Str(b->note());
      if (b->suggested()) {
        d["suggested"] = Str(b->suggested()->country()) + "/" +
                         (b->suggested()->agency() ? Str(b->suggested()->agency()) : RoleSnake(b->suggested()->role()));
      }
      break;
    }
    case fb::Body::ClarificationRequested: {
      json q = json::array();
      for (const auto* s : *e.body_as_ClarificationRequested()->questions()) q.push_back(s->str());
      d["questions"] = q;
      break;
    }
    case fb::Body::OwnerAssigned:
      d["agency"] = Str(e.body_as_OwnerAssigned()->agency());
      d["officer"] = Str(e.body_as_OwnerAssigned()->officer());
      break;
    case fb::Body::DeadlineExtended:
      d["new_due_us"] = e.body_as_DeadlineExtended()->new_due_us();
      d["reason"] = Str(e.body_as_DeadlineExtended()->reason());
      break;
    case fb::Body::ConsentChanged: {
      const auto* b = e.body_as_ConsentChanged();
      json w = json::array();
      if (b->withdrawn()) for (auto i : *b->withdrawn()) w.push_back(fb::EnumNameConsentItem(static_cast<fb::ConsentItem>(i)));
      d["withdrawn"] = w;
      d["withdrawn_all"] = b->withdrawn_all();
      break;
    }
    case fb::Body::ReturnPlanned:
      d["checkpoint"] = Str(e.body_as_ReturnPlanned()->checkpoint());
      d["planned_at_us"] = e.body_as_ReturnPlanned()->planned_at_us();
      break;
    case fb::Body::ReturnExecuted:
      d["checkpoint"] = Str(e.body_as_ReturnExecuted()->checkpoint());
      d["executed_at_us"] = e.body_as_ReturnExecuted()->executed_at_us();
      d["received_by"] = Str(e.body_as_ReturnExecuted()->received_by());
      break;
    case fb::Body::ReferralClosed:
      d["outcome"] = fb::EnumNameReferralOutcome(e.body_as_ReferralClosed()->outcome());
      d["note"] = Str(e.body_as_ReferralClosed()->note());
      break;
    case fb::Body::InformationDelayed:
      d["reason"] = Str(e.body_as_InformationDelayed()->reason());
      d["new_due_us"] = e.body_as_InformationDelayed()->new_due_us();
      break;
    case fb::Body::InformationRefused:
      d["reason"] = fb::EnumNameRefusalReason(e.body_as_InformationRefused()->reason());
      d["note"] = Str(e.body_as_InformationRefused()->note());
      break;
    case fb::Body::InformationProvided:
      d["content"] = Str(e.body_as_InformationProvided()->content());
      break;
    case fb::Body::SpontaneousInformation:
      d["content"] = Str(e.body_as_SpontaneousInformation()->content());
      break;
    case fb::Body::AlertCancelled:
      d["reason"] = Str(e.body_as_AlertCancelled()->reason());
      break;
    default:
      break;
  }
  return d;
}

bool InList(const json& list, const std::string& agency) {
  for (const auto& x : list) {
    if (x.value("agency", "") == agency) return true;
  }
  return false;
}

}  // namespace

std::string CaseTxn::LocalAgencyFor(const fb::Event& e) const { return node::LocalAgencyFor(cases_->options_, e); }

std::string LocalAgencyFor(const CaseOptions& o, const fb::Event& e) {
  if (e.destinations()) {
    for (const auto* d : *e.destinations()) {
      if (Str(d->country()) != o.country) continue;
      if (d->agency() && d->agency()->size() > 0) return d->agency()->str();
      std::string role = RoleSnake(d->role());
      // The designated counterpart for the role when this node serves it
      // (where the broker routed it), then the default agency when it plays
      // the role, then the agencies this node serves, in directory order.
      if (auto it = o.local_counterparts.find(role);
          it != o.local_counterparts.end() &&
          (o.agencies.empty() || std::find(o.agencies.begin(), o.agencies.end(), it->second) != o.agencies.end())) {
        return it->second;
      }
      if (auto it = o.local_roles.find(o.default_agency); it != o.local_roles.end() &&
          std::find(it->second.begin(), it->second.end(), role) != it->second.end()) {
        return o.default_agency;
      }
      for (const auto& [agency, roles] : o.local_roles) {
        if (std::find(roles.begin(), roles.end(), role) != roles.end() &&
            (o.agencies.empty() || std::find(o.agencies.begin(), o.agencies.end(), agency) != o.agencies.end())) {
          return agency;
        }
      }
      return o.default_agency;
    }
  }
  return o.default_agency;
}

Status CaseTxn::AddEvent(json& kase, const json& item, const fb::Event& e, Direction d, uint64_t offset,
                         int64_t now) {
  std::string case_id = kase.value("case_id", "");
  uint64_t n = kase.value("events_total", uint64_t{0});
  if (n >= cases_->options_.max_events_per_case) {
    return Refuse(errc::limit_exceeded, "case_id",
                  fmt::format("case {} holds the most events a case may ({})", case_id,
                              cases_->options_.max_events_per_case));
  }
  std::string id = IdOf(e.id());
  json ev{{"n", n + 1},
          {"id", id},
          {"item_id", item.value("item_id", "")},
          {"type", wire::BodyName(e.body_type())},
          {"direction", d == Direction::kOutgoing ? "outgoing" : "incoming"},
          {"created_at_us", e.created_at_us()},
          {"recorded_at_us", now},
          {"from", Party(Str(e.origin()->country()), Str(e.origin()->agency()))},
          {"officer", Str(e.officer())},
          {"detail", Detail(e)},
          {"handling", fb::EnumNameHandlingCode(e.handling())}};
  // Conditions travel with every event of the thread: each recipient sees them.
  if (e.handling_text() != nullptr && e.handling_text()->size() > 0) ev["handling_text"] = Str(e.handling_text());
  if (offset) ev["offset"] = offset;
  Write(keys::Event(case_id, n + 1), ev);
  Write(keys::EventItem(id), json{{"case", case_id}, {"item", item.value("item_id", "")}, {"n", n + 1}});
  kase["events_total"] = n + 1;
  // National references: each side names its own.
  if (e.national_refs()) {
    for (const auto* r : *e.national_refs()) {
      if (Str(r->country()) == Str(e.origin()->country())) kase["references"][Str(r->country())] = Str(r->reference());
    }
  }
  TouchCase(kase, std::max(e.created_at_us(), kase.value("updated_at_us", int64_t{0})));
  return OkStatus();
}

Status CaseTxn::Apply(const fb::Event& e, Direction d, uint64_t offset, const Principal* who, int64_t now) {
  // A refused event leaves nothing behind: the keys it touched get their
  // values from before it back (an undo log, not a copy of the batch).
  undo_.clear();
  Status s = ApplyOne(e, d, offset, who, now);
  if (!s.ok()) {
    for (auto& [key, before] : undo_) {
      if (before) {
        overlay_[key] = std::move(*before);
      } else {
        overlay_.erase(key);
      }
    }
  }
  undo_.clear();
  return s;
}

Status CaseTxn::ApplyOne(const fb::Event& e, Direction d, uint64_t offset, const Principal* who, int64_t now) {
  // Seen already (a resubmission, a redelivery): nothing to do.
  auto seen = ReadRaw(keys::EventItem(IdOf(e.id())));
  if (!seen.ok()) return std::move(seen).error();
  if (seen->has_value()) return OkStatus();
  fb::Body body = e.body_type();
  if (body == fb::Body::CaseErased) return ApplyErasure(e, d, offset, who, now);
  if (body == fb::Body::AlertPublished || body == fb::Body::AlertCancelled) return ApplyAlert(e, d, offset, who, now);
  if (KindOf(body) != nullptr) return ApplyRoot(e, d, offset, who, now);
  if (e.parent_id() == nullptr) return OkStatus();  // not part of any item (spontaneous information)
  return ApplyAnswer(e, d, offset, who, now);
}

Status CaseTxn::ApplyRoot(const fb::Event& e, Direction d, uint64_t offset, const Principal* who, int64_t now) {
  const CaseOptions& o = cases_->options_;
  std::string case_id = Str(e.case_id());
  std::string origin_country = Str(e.origin()->country());
  std::string origin_agency = Str(e.origin()->agency());
  if (who != nullptr && !who->user.Has("officer") && !who->user.Has("supervisor")) {
    return Refuse(errc::forbidden, "role", "only officers and supervisors open referrals and requests");
  }
  auto stored = Read(keys::Case(case_id));
  if (!stored.ok()) return std::move(stored).error();
  json kase;
  if (stored->has_value()) {
    kase = **stored;
    if (auto s = RefuseIfErased(kase); !s.ok()) return s;
    if (!InList(kase["parties"], origin_agency)) {
      return Refuse(d == Direction::kOutgoing ? errc::forbidden : errc::conflict, "case_id",
                    fmt::format("case {} exists here and {} is not one of its parties; use another case id",
                                case_id, origin_agency));
    }
    if (kase["items"].size() >= o.max_items_per_case) {
      return Refuse(errc::limit_exceeded, "case_id",
                    fmt::format("case {} holds the most items a case may ({})", case_id, o.max_items_per_case));
    }
  } else {
    if (d == Direction::kIncoming) {
      auto count = Read(keys::Partner(origin_country, origin_agency));
      if (!count.ok()) return std::move(count).error();
      uint64_t n = count->has_value() ? (**count).get<uint64_t>() : 0;
      if (n >= o.max_cases_per_partner) {
        return Refuse(errc::limit_exceeded, "case_id",
                      fmt::format("{}/{} has opened the most cases a partner may open here ({})",
                                  origin_country, origin_agency, o.max_cases_per_partner));
      }
      Write(keys::Partner(origin_country, origin_agency), json(n + 1));
    }
    kase = {{"case_id", case_id}, {"created_at_us", e.created_at_us()}, {"updated_at_us", 0},
            {"parties", json::array()}, {"references", json::object()}, {"items", json::array()},
            {"events_total", 0}, {"origin", Party(origin_country, origin_agency)}};
  }
  std::string item_id = IdOf(e.id());
  std::string kind = KindOf(e.body_type());
  std::string local = d == Direction::kOutgoing ? origin_agency : LocalAgencyFor(e);
  json counterpart = Party(origin_country, origin_agency);
  json addressee = Party(o.country, local);
  std::string addressed;
  if (e.destinations() && e.destinations()->size() > 0) {
    const auto* dest = e.destinations()->Get(0);
    bool by_role = !dest->agency() || dest->agency()->size() == 0;
    addressed = Str(dest->country()) + "/" + (by_role ? RoleSnake(dest->role()) : Str(dest->agency()));
    if (d == Direction::kOutgoing) {
      addressee = by_role ? json{{"country", Str(dest->country())}, {"agency", ""}, {"role", RoleSnake(dest->role())}}
                          : Party(Str(dest->country()), Str(dest->agency()));
      counterpart = addressee;
    }
  }
  // Parties: the originator and every addressee (a role stands until an
  // agency of that country answers).
  auto add_party = [&](const json& p) {
    if (p.value("agency", "").empty() && p.contains("role")) {
      for (const auto& q : kase["parties"]) {
        if (q.value("country", "") == p["country"] && q.value("role", "") == p["role"]) return;
      }
    } else if (InList(kase["parties"], p.value("agency", ""))) {
      return;
    }
    kase["parties"].push_back(p);
  };
  add_party(Party(origin_country, origin_agency));
  if (d == Direction::kOutgoing) {
    add_party(counterpart);
  } else {
    add_party(Party(o.country, local));
  }
  if (kase["parties"].size() > o.max_parties_per_case) {
    return Refuse(errc::limit_exceeded, "destinations",
                  fmt::format("case {} would have more than {} parties", case_id, o.max_parties_per_case));
  }
  int64_t due = e.response_due_us();
  if (due <= 0 && __builtin_add_overflow(e.created_at_us(), o.DefaultDue(e.priority()), &due)) due = INT64_MAX;
  json item{{"item_id", item_id},
            {"case_id", case_id},
            {"kind", kind},
            {"type", wire::BodyName(e.body_type())},
            {"state", kind == "request" ? "requested" : (d == Direction::kOutgoing ? "sent" : "received")},
            {"direction", d == Direction::kOutgoing ? "outgoing" : "incoming"},
            {"origin", Party(origin_country, origin_agency)},
            {"addressed_to", addressed},
            {"addressee", addressee},
            {"counterpart", counterpart},
            {"local_agency", local},
            {"priority", fb::EnumNamePriority(e.priority())},
            {"priority_rank", static_cast<int>(e.priority())},
            {"handling", fb::EnumNameHandlingCode(e.handling())},
            {"due_us", due},
            {"created_at_us", e.created_at_us()},
            {"updated_at_us", e.created_at_us()},
            {"created_by", Str(e.officer())},
            {"acks", json::array()},
            {"closed_by", json::array()}};
  if (e.handling_text() != nullptr && e.handling_text()->size() > 0) item["handling_text"] = Str(e.handling_text());
  if (e.body_type() == fb::Body::ReferralCreated) {
    const auto* r = e.body_as_ReferralCreated();
    json scope = json::array();
    if (r->consent()->items()) {
      for (auto c : *r->consent()->items()) scope.push_back(fb::EnumNameConsentItem(static_cast<fb::ConsentItem>(c)));
    }
    item["consent"] = scope;
    item["victim"] = Str(r->victim()->pseudonym());
    item["minor"] = r->victim()->minor();
    item["victim_details"] = consent::VictimDetailsJson(*r->victim());
    kase["consent"] = consent::AfterReferral(kase.value("consent", json()), *r);
    item["exploitation"] = fb::EnumNameExploitationType(r->exploitation());
    item["summary"] = Str(r->summary());
  } else {
    item["subject"] = Str(e.body_as_InformationRequested()->subject());
  }
  item["attachments"] = consent::AttachmentsJson(e);
  // What the case's consent does not cover is not kept (a partner's node
  // may send what this one would refuse).
  consent::Purge(item, kase.value("consent", json()));
  if (e.parent_id()) {
    auto parent = ReadRaw(keys::EventItem(IdOf(e.parent_id())));
    if (!parent.ok()) return std::move(parent).error();
    if (parent->has_value()) item["readdresses"] = IdOf(e.parent_id());
  }
  kase["items"].push_back(item_id);
  if (auto s = AddEvent(kase, item, e, d, offset, now); !s.ok()) return s;
  Write(keys::Item(case_id, item_id), item);
  Reindex(json(), item, now);
  return OkStatus();
}

Status CaseTxn::ApplyAlert(const fb::Event& e, Direction d, uint64_t offset, const Principal* who, int64_t) {
  std::string id = IdOf(e.id());
  if (e.body_type() == fb::Body::AlertPublished) {
    if (who != nullptr && !who->user.Has("officer") && !who->user.Has("supervisor")) {
      return Refuse(errc::forbidden, "role", "only officers and supervisors publish alerts");
    }
    const auto* a = e.body_as_AlertPublished();
    if (d == Direction::kIncoming) {
      // One partner may not fill this node with alerts either.
      std::string key = "pa/" + Str(e.origin()->country()) + "/" + Str(e.origin()->agency());
      auto count = Read(key);
      if (!count.ok()) return std::move(count).error();
      uint64_t n = count->has_value() ? (**count).get<uint64_t>() : 0;
      if (n >= cases_->options_.max_cases_per_partner) {
        return Refuse(errc::limit_exceeded, "origin.agency",
                      fmt::format("{} has published the most alerts a partner may keep here ({})",
                                  Str(e.origin()->agency()), cases_->options_.max_cases_per_partner));
      }
      Write(key, json(n + 1));
    }
    json countries = json::array();
    if (e.distribution() && e.distribution()->countries()) {
      for (const auto* c : *e.distribution()->countries()) countries.push_back(c->str());
    }
    json alert{{"item_id", id}, {"kind", "alert"}, {"state", "active"},
               {"direction", d == Direction::kOutgoing ? "outgoing" : "incoming"},
               {"origin", Party(Str(e.origin()->country()), Str(e.origin()->agency()))},
               {"category", fb::EnumNameAlertCategory(a->category())}, {"title", Str(a->title())},
               {"description", Str(a->description())}, {"priority", fb::EnumNamePriority(e.priority())},
               {"priority_rank", static_cast<int>(e.priority())},
               {"countries", countries},
               {"regional", e.distribution() && e.distribution()->kind() == fb::DistributionKind::Regional},
               {"expires_at_us", a->expires_at_us()}, {"created_at_us", e.created_at_us()},
               {"created_by", Str(e.officer())}, {"case_id", Str(e.case_id())}};
    if (offset) alert["offset"] = offset;
    Write(keys::Alert(id), alert);
    Put(keys::AlertIndex(e.created_at_us(), id), "");
    Write(keys::EventItem(id), json{{"case", ""}, {"item", id}});
    return OkStatus();
  }
  std::string parent = e.parent_id() ? IdOf(e.parent_id()) : "";
  auto alert = Read(keys::Alert(parent));
  if (!alert.ok()) return std::move(alert).error();
  if (!alert->has_value()) {
    return Refuse(errc::not_found, "parent_id", "no alert " + parent + " on this node");
  }
  json a = **alert;
  if (a["origin"].value("agency", "") != Str(e.origin()->agency())) {
    return Refuse(errc::forbidden, "parent_id", "only the agency that published an alert cancels it");
  }
  if (a.value("state", "") == "cancelled") return Refuse(errc::conflict, "parent_id", "the alert is cancelled already");
  a["state"] = "cancelled";
  a["cancelled_at_us"] = e.created_at_us();
  a["cancelled_by"] = Str(e.officer());
  a["cancel_reason"] = Str(e.body_as_AlertCancelled()->reason());
  a["cancel_id"] = id;
  Write(keys::Alert(parent), a);
  Write(keys::EventItem(id), json{{"case", ""}, {"item", parent}});
  return OkStatus();
}

}  // namespace lintas::node
