// Lifecycle events built from the API's plain JSON.
#include "case_actions.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "action_fields.h"
#include "lintas/node/errc.h"
#include "lintas/node/human_time.h"
#include "lintas/wire/pack.h"
#include "names.h"

namespace lintas::node::actions {
namespace {

using namespace fields;  // NOLINT(google-build-using-namespace): the request-field helpers

using nlohmann::json;

// Addressees, case id and deadline of a new referral or request.
Status Opening(const json& req, fb::EventT& e, const Context& ctx) {
  auto to = Texts(req, "to", true);
  if (!to.ok()) return std::move(to).error();
  for (size_t i = 0; i < to->size(); ++i) {
    auto d = Destination((*to)[i], to->size() == 1 ? "to" : fmt::format("to[{}]", i));
    if (!d.ok()) return std::move(d).error();
    e.destinations.push_back(std::move(*d));
  }
  auto case_id = Text(req, "case_id", true, 64);
  if (!case_id.ok()) return std::move(case_id).error();
  e.case_id = *case_id;
  if (auto s = Common(req, e, ctx, true); !s.ok()) return s;
  auto due = When(req, "due", false, ctx.now_us, ctx.now_us + ctx.cases.DefaultDue(e.priority));
  if (!due.ok()) return std::move(due).error();
  if (*due <= ctx.now_us) return Bad("due", "must be in the future");
  e.response_due_us = *due;
  auto parent = Text(req, "readdresses", false, 64);
  if (!parent.ok()) return std::move(parent).error();
  if (!parent->empty()) {
    auto id = wire::EventId::Parse(*parent);
    if (!id.ok()) return Bad("readdresses", "is not an item id");
    e.parent_id = std::make_unique<fb::Uuid>(id->ToFb());
  }
  return OkStatus();
}

Result<std::unique_ptr<fb::VictimBlockT>> Victim(const json& req, const Context& ctx) {
  if (!req.contains("victim") || !req["victim"].is_object()) {
    return Bad("victim", "is required (an object with at least a pseudonym)");
  }
  const json& v = req["victim"];
  auto out = std::make_unique<fb::VictimBlockT>();
  auto p = Text(v, "pseudonym", true, 64);
  if (!p.ok()) return Bad("victim.pseudonym", "is required (never a name)");
  out->pseudonym = *p;
  auto sex = EnumField(v, "sex", fb::EnumValuesSex(), fb::EnumNameSex, std::optional<fb::Sex>(fb::Sex::Unknown));
  if (!sex.ok()) return Bad("victim.sex", sex.error().message.substr(5));
  out->sex = *sex;
  if (v.contains("age") && !v["age"].is_null()) {
    if (!v["age"].is_number_unsigned() || v["age"].get<uint64_t>() > 120) return Bad("victim.age", "must be 0-120");
    out->age_years = static_cast<uint8_t>(v["age"].get<uint64_t>());
  }
  auto estimate = Flag(v, "age_is_estimate", "victim.age_is_estimate", true);
  if (!estimate.ok()) return std::move(estimate).error();
  out->age_is_estimate = *estimate;
  auto minor = Flag(v, "minor", "victim.minor", false);
  if (!minor.ok()) return std::move(minor).error();
  out->minor = *minor || (out->age_years > 0 && out->age_years < 18);
  auto nat = Text(v, "nationality", false, 3);
  if (!nat.ok()) return Bad("victim.nationality", "must be an ISO 3166-1 alpha-3 code");
  out->nationality_claimed = *nat;
  auto langs = Texts(v, "languages", false);
  if (!langs.ok()) return Bad("victim.languages", "must be a list of ISO 639-1 codes");
  out->languages = *langs;
  auto needs = Texts(v, "needs", false);
  if (!needs.ok()) return Bad("victim.needs", "must be a list of strings");
  out->needs = *needs;
  auto guardian = Text(v, "guardian", false, 64);
  if (!guardian.ok()) return Bad("victim.guardian", "must be the guardian's pseudonym");
  if (!guardian->empty()) {
    out->guardian = std::make_unique<fb::GuardianT>();
    out->guardian->pseudonym = *guardian;
    auto relationship = Text(v, "guardian_relationship", false, 64);
    if (!relationship.ok()) return Bad("victim.guardian_relationship", "must be a string");
    out->guardian->relationship = *relationship;
  } else if (out->minor) {
    return Bad("victim.guardian", "is required for a minor (the guardian's pseudonym)");
  }
  (void)ctx;
  return out;
}

}  // namespace

Result<std::string> NewReferral(const json& req, const Context& ctx) {
  fb::EventT e = Envelope(ctx);
  if (auto s = Opening(req, e, ctx); !s.ok()) return std::move(s).error();
  fb::ReferralCreatedT b;
  auto victim = Victim(req, ctx);
  if (!victim.ok()) return std::move(victim).error();
  b.victim = std::move(*victim);
  auto consent = ConsentItems(req, "consent", true);
  if (!consent.ok()) return std::move(consent).error();
  b.consent = std::make_unique<fb::ConsentScopeT>();
  b.consent->items = *consent;
  b.consent->given_at_us = ctx.now_us;
  b.consent->recorded_by = ctx.who.user.id;
  auto ex = EnumField(req, "exploitation", fb::EnumValuesExploitationType(), fb::EnumNameExploitationType,
                      std::optional<fb::ExploitationType>(fb::ExploitationType::Unknown));
  if (!ex.ok()) return std::move(ex).error();
  b.exploitation = *ex;
  auto summary = Text(req, "summary", false);
  if (!summary.ok()) return std::move(summary).error();
  b.summary = *summary;
  e.body.Set(std::move(b));
  return wire::PackEvent(e);
}

Result<std::string> NewRequest(const json& req, const Context& ctx) {
  fb::EventT e = Envelope(ctx);
  if (auto s = Opening(req, e, ctx); !s.ok()) return std::move(s).error();
  fb::InformationRequestedT b;
  auto subject = Text(req, "subject", true, 64);
  if (!subject.ok()) return std::move(subject).error();
  b.subject = *subject;
  auto questions = Texts(req, "questions", true);
  if (!questions.ok()) return std::move(questions).error();
  b.questions = *questions;
  auto basis = Text(req, "legal_basis", false, 1000);
  if (!basis.ok()) return std::move(basis).error();
  b.legal_basis = *basis;
  e.body.Set(std::move(b));
  return wire::PackEvent(e);
}

Result<std::string> NewAlert(const json& req, const Context& ctx) {
  fb::EventT e = Envelope(ctx);
  json with_default = req;
  if (!with_default.contains("priority")) with_default["priority"] = "urgent";
  if (auto s = Common(with_default, e, ctx, true); !s.ok()) return std::move(s).error();
  auto countries = Texts(req, "countries", false);
  if (!countries.ok()) return std::move(countries).error();
  e.distribution = std::make_unique<fb::DistributionT>();
  e.distribution->kind = countries->empty() ? fb::DistributionKind::Regional : fb::DistributionKind::SelectedCountries;
  e.distribution->countries = *countries;
  auto case_id = Text(req, "case_id", false, 64);
  if (!case_id.ok()) return std::move(case_id).error();
  e.case_id = *case_id;
  fb::AlertPublishedT b;
  auto cat = EnumField(req, "category", fb::EnumValuesAlertCategory(), fb::EnumNameAlertCategory, std::optional<fb::AlertCategory>());
  if (!cat.ok()) return std::move(cat).error();
  b.category = *cat;
  auto title = Text(req, "title", true, 200);
  if (!title.ok()) return std::move(title).error();
  b.title = *title;
  auto description = Text(req, "description", false);
  if (!description.ok()) return std::move(description).error();
  b.description = *description;
  b.target_countries = *countries;
  auto expires = When(req, "expires", false, ctx.now_us, ctx.now_us + 72LL * 3600 * 1000000);
  if (!expires.ok()) return std::move(expires).error();
  if (*expires <= ctx.now_us) return Bad("expires", "must be in the future");
  b.expires_at_us = *expires;
  e.body.Set(std::move(b));
  return wire::PackEvent(e);
}

Result<std::string> CancelAlert(const json& req, const json& alert, const Context& ctx) {
  fb::EventT e = Envelope(ctx);
  if (auto s = Common(req, e, ctx, false); !s.ok()) return std::move(s).error();
  auto id = wire::EventId::Parse(alert.value("item_id", ""));
  if (!id.ok()) return Bad("id", "is not an alert id");
  e.parent_id = std::make_unique<fb::Uuid>(id->ToFb());
  for (auto p : fb::EnumValuesPriority()) {
    if (alert.value("priority", "") == fb::EnumNamePriority(p)) e.priority = p;
  }
  for (auto h : fb::EnumValuesHandlingCode()) {
    if (alert.value("handling", "") == fb::EnumNameHandlingCode(h)) e.handling = h;
  }
  e.handling_text = alert.value("handling_text", "");
  if (e.handling != fb::HandlingCode::H3) e.handling_text.clear();
  e.distribution = std::make_unique<fb::DistributionT>();
  e.distribution->kind = alert.value("regional", false) ? fb::DistributionKind::Regional
                                                         : fb::DistributionKind::SelectedCountries;
  e.distribution->countries = alert.value("countries", std::vector<std::string>{});
  e.case_id = alert.value("case_id", "");
  fb::AlertCancelledT b;
  auto reason = Text(req, "reason", false, 1000);
  if (!reason.ok()) return std::move(reason).error();
  b.reason = *reason;
  e.body.Set(std::move(b));
  return wire::PackEvent(e);
}

namespace {

Status StepBody(const std::string& action, const json& req, fb::EventT& e, const Context& ctx);

// An answer carries its item's handling code (in `e` already) unless the
// officer picks a stricter one; a weaker one is refused, naming `handling`.
Status StricterHandling(const json& req, fb::EventT& e) {
  if (!req.contains("handling") || req["handling"].is_null()) return OkStatus();
  auto h = EnumField(req, "handling", fb::EnumValuesHandlingCode(), fb::EnumNameHandlingCode,
                     std::optional<fb::HandlingCode>());
  if (!h.ok()) return std::move(h).error();
  if (*h < e.handling) {
    return Bad("handling", fmt::format("{} is weaker than {}, the handling code of the item this answers; keep {} "
                                       "(leave handling out) or pick a stricter one",
                                       fb::EnumNameHandlingCode(*h), fb::EnumNameHandlingCode(e.handling),
                                       fb::EnumNameHandlingCode(e.handling)));
  }
  auto text = Text(req, "handling_text", false, 1000);
  if (!text.ok()) return std::move(text).error();
  if (*h == e.handling) {
    // The item's H3 conditions stay; the officer's add to them.
    if (e.handling == fb::HandlingCode::H3 && !text->empty()) e.handling_text += "; " + *text;
    return OkStatus();
  }
  e.handling = *h;
  e.handling_text = *h == fb::HandlingCode::H3 ? *text : std::string();
  if (e.handling == fb::HandlingCode::H3 && e.handling_text.empty()) {
    return Bad("handling_text", "is required with handling code H3 (its conditions)");
  }
  return OkStatus();
}

}  // namespace


Result<std::string> Step(const std::string& action, const json& req, const json& item, const Context& ctx) {
  fb::EventT e = Envelope(ctx);
  if (auto s = Common(req, e, ctx, false); !s.ok()) return std::move(s).error();
  bool ours = item.value("direction", "") == "outgoing";
  const json& other = ours ? item["addressee"] : item["origin"];
  auto d = std::make_unique<fb::DestinationT>();
  d->country = other.value("country", "");
  if (!other.value("agency", "").empty()) {
    d->agency = other.value("agency", "");
  } else {
    auto role = Destination(d->country + "/" + other.value("role", ""), "to");
    if (!role.ok()) return std::move(role).error();
    d = std::move(*role);
  }
  e.destinations.push_back(std::move(d));
  if (action == "consent") {
    auto holders = Holders(ctx);
    if (!holders.ok()) return std::move(holders).error();
    e.destinations = std::move(*holders);
  }
  e.case_id = item.value("case_id", "");
  auto parent = wire::EventId::Parse(item.value("item_id", ""));
  if (!parent.ok()) return Bad("id", "is not an item id");
  e.parent_id = std::make_unique<fb::Uuid>(parent->ToFb());
  for (auto p : fb::EnumValuesPriority()) {
    if (item.value("priority", "") == fb::EnumNamePriority(p)) e.priority = p;
  }
  for (auto h : fb::EnumValuesHandlingCode()) {
    if (item.value("handling", "") == fb::EnumNameHandlingCode(h)) e.handling = h;
  }
  if (e.handling == fb::HandlingCode::H3) e.handling_text = item.value("handling_text", "see the original");
  if (auto s = StricterHandling(req, e); !s.ok()) return std::move(s).error();
  if (auto s = StepBody(action, req, e, ctx); !s.ok()) return std::move(s).error();
  return wire::PackEvent(e);
}

namespace {

Status StepBody(const std::string& action, const json& req, fb::EventT& e, const Context& ctx) {
  auto text = [&](const char* f, bool required, size_t max = 4000) { return Text(req, f, required, max); };
  if (action == "acknowledge") {
    fb::ReferralAcknowledgedT b;
    b.officer = ctx.who.user.id;
    auto note = text("note", false);
    if (!note.ok()) return std::move(note).error();
    b.note = *note;
    e.body.Set(std::move(b));
  } else if (action == "accept") {
    fb::ReferralAcceptedT b;
    auto note = text("note", false);
    if (!note.ok()) return std::move(note).error();
    b.note = *note;
    b.owner_agency = ctx.who.user.agency;
    e.body.Set(std::move(b));
  } else if (action == "decline") {
    fb::ReferralDeclinedT b;
    auto reason = EnumField(req, "reason", fb::EnumValuesDeclineReason(), fb::EnumNameDeclineReason, std::optional<fb::DeclineReason>());
    if (!reason.ok()) return std::move(reason).error();
    b.reason = *reason;
    auto note = text("note", false);
    if (!note.ok()) return std::move(note).error();
    b.note = *note;
    auto suggested = text("suggested", false, 80);
    if (!suggested.ok()) return std::move(suggested).error();
    if (!suggested->empty()) {
      auto d = Destination(*suggested, "suggested");
      if (!d.ok()) return std::move(d).error();
      b.suggested = std::move(*d);
    }
    e.body.Set(std::move(b));
  } else if (action == "clarify") {
    fb::ClarificationRequestedT b;
    auto q = Texts(req, "questions", true);
    if (!q.ok()) return std::move(q).error();
    b.questions = *q;
    e.body.Set(std::move(b));
  } else if (action == "answer") {
    fb::SpontaneousInformationT b;
    auto content = text("text", true);
    if (!content.ok()) return std::move(content).error();
    b.content = *content;
    e.body.Set(std::move(b));
  } else if (action == "assign") {
    fb::OwnerAssignedT b;
    b.agency = ctx.who.user.agency;
    auto officer = text("officer", false, 64);
    if (!officer.ok()) return std::move(officer).error();
    b.officer = officer->empty() ? ctx.who.user.id : *officer;
    e.body.Set(std::move(b));
  } else if (action == "extend") {
    fb::DeadlineExtendedT b;
    auto due = When(req, "due", true, ctx.now_us);
    if (!due.ok()) return std::move(due).error();
    if (*due <= ctx.now_us) return Bad("due", "must be in the future");
    b.new_due_us = *due;
    auto reason = text("reason", false);
    if (!reason.ok()) return std::move(reason).error();
    b.reason = *reason;
    e.body.Set(std::move(b));
  } else if (action == "consent") {
    fb::ConsentChangedT b;
    auto all = Flag(req, "withdraw_all", "withdraw_all", false);
    if (!all.ok()) return std::move(all).error();
    b.withdrawn_all = *all;
    auto withdrawn = ConsentItems(req, "withdraw", false);
    if (!withdrawn.ok()) return std::move(withdrawn).error();
    b.withdrawn = *withdrawn;
    if (req.contains("consent")) {
      auto items = ConsentItems(req, "consent", false);
      if (!items.ok()) return std::move(items).error();
      b.consent = std::make_unique<fb::ConsentScopeT>();
      b.consent->items = *items;
      b.consent->given_at_us = ctx.now_us;
      b.consent->recorded_by = ctx.who.user.id;
    }
    if (!b.withdrawn_all && b.withdrawn.empty() && !b.consent) {
      return Bad("withdraw", "name what is withdrawn (withdraw, withdraw_all) or the new scope (consent)");
    }
    e.body.Set(std::move(b));
  } else if (action == "plan-return") {
    fb::ReturnPlannedT b;
    auto cp = text("checkpoint", true, 200);
    if (!cp.ok()) return std::move(cp).error();
    b.checkpoint = *cp;
    auto on = When(req, "on", true, ctx.now_us);
    if (!on.ok()) return std::move(on).error();
    b.planned_at_us = *on;
    auto escort = text("escort_agency", false, 64);
    if (!escort.ok()) return std::move(escort).error();
    b.escort_agency = *escort;
    e.body.Set(std::move(b));
  } else if (action == "returned") {
    fb::ReturnExecutedT b;
    auto cp = text("checkpoint", true, 200);
    if (!cp.ok()) return std::move(cp).error();
    b.checkpoint = *cp;
    auto on = When(req, "on", false, ctx.now_us, ctx.now_us);
    if (!on.ok()) return std::move(on).error();
    b.executed_at_us = *on;
    auto by = text("received_by", false, 64);
    if (!by.ok()) return std::move(by).error();
    b.received_by = by->empty() ? ctx.who.user.agency : *by;
    e.body.Set(std::move(b));
  } else if (action == "close") {
    fb::ReferralClosedT b;
    auto outcome = EnumField(req, "outcome", fb::EnumValuesReferralOutcome(), fb::EnumNameReferralOutcome,
                             std::optional<fb::ReferralOutcome>());
    if (!outcome.ok()) return std::move(outcome).error();
    b.outcome = *outcome;
    auto note = text("note", false);
    if (!note.ok()) return std::move(note).error();
    b.note = *note;
    e.body.Set(std::move(b));
  } else if (action == "delay") {
    fb::InformationDelayedT b;
    auto reason = text("reason", true);
    if (!reason.ok()) return std::move(reason).error();
    b.reason = *reason;
    auto until = When(req, "until", true, ctx.now_us);
    if (!until.ok()) return std::move(until).error();
    if (*until <= ctx.now_us) return Bad("until", "must be in the future");
    b.new_due_us = *until;
    e.body.Set(std::move(b));
  } else if (action == "provide") {
    fb::InformationProvidedT b;
    auto content = text("content", true, 64000);
    if (!content.ok()) return std::move(content).error();
    b.content = *content;
    e.body.Set(std::move(b));
  } else if (action == "refuse") {
    fb::InformationRefusedT b;
    auto reason = EnumField(req, "reason", fb::EnumValuesRefusalReason(), fb::EnumNameRefusalReason, std::optional<fb::RefusalReason>());
    if (!reason.ok()) return std::move(reason).error();
    b.reason = *reason;
    auto note = text("note", false);
    if (!note.ok()) return std::move(note).error();
    b.note = *note;
    e.body.Set(std::move(b));
  } else if (action == "read") {
    fb::ReadReceiptT b;
    b.read_at_us = ctx.now_us;
    b.reader = ctx.who.user.id;
    e.body.Set(std::move(b));
  } else {
    return Error{errc::not_found, std::string("action: unknown; use one of ") + kActions, "action"};
  }
  return OkStatus();
}

}  // namespace
Result<std::string> EraseCase(const json& req, const std::string& case_id, const Context& ctx) {
  auto justification = Text(req, "justification", true, 2000);
  if (!justification.ok()) {
    return Bad("justification", "is required: why the case is erased (recorded at every holder; no personal data)");
  }
  auto basis = Text(req, "legal_basis", false, 500);
  if (!basis.ok()) return std::move(basis).error();
  auto holders = Holders(ctx);
  if (!holders.ok()) return std::move(holders).error();
  fb::EventT e = Envelope(ctx);
  e.schema_version = 3;  // CaseErased
  e.destinations = std::move(*holders);
  e.case_id = case_id;
  e.priority = fb::Priority::Urgent;
  fb::CaseErasedT b;
  b.justification = *justification;
  b.legal_basis = *basis;
  e.body.Set(std::move(b));
  return wire::PackEvent(e);
}

}  // namespace lintas::node::actions
