// Erasure in the case model (docs/ERASURE.md): a CaseErased event, sent or
// received, leaves a case whose items keep what statistics and deadlines
// need (kinds, states, parties, dates, coded reasons) and nothing else: no
// victim block, summary, subject, attachments, notes, references or consent
// detail. The case header records who erased it, when and why. The
// per-case keys are destroyed by the caller (CaseVault) in the same write.
#include <fmt/format.h>

#include "case_keys.h"
#include "lintas/node/case_store.h"
#include "lintas/node/errc.h"
#include "lintas/wire/event_id.h"

namespace lintas::node {

using nlohmann::json;

namespace {

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// What an erased item keeps.
constexpr const char* kItemKeeps[] = {
    "item_id",       "case_id",        "kind",         "type",          "state",        "direction",
    "origin",        "addressed_to",   "addressee",    "counterpart",   "local_agency", "priority",
    "priority_rank", "handling",       "handling_text", "due_us",       "created_at_us", "updated_at_us",
    "created_by",    "acks",           "answered_at_us", "delivered_at_us", "exploitation", "out_of_sequence",
    "state_before_close"};
// What an erased thread entry keeps.
constexpr const char* kEventKeeps[] = {"n",    "id",      "item_id", "type",     "direction", "created_at_us",
                                       "recorded_at_us", "from", "officer", "handling", "handling_text", "offset"};

template <size_t N>
json Keep(const json& from, const char* const (&keys)[N]) {
  json out = json::object();
  for (const char* k : keys) {
    if (from.contains(k)) out[k] = from[k];
  }
  return out;
}

json ScrubItem(const json& item) {
  json out = Keep(item, kItemKeeps);
  // Coded reasons and outcomes stay for statistics; notes go.
  for (const char* coded : {"decline", "refusal"}) {
    if (item.contains(coded) && item[coded].is_object()) out[coded] = {{"reason", item[coded].value("reason", "")}};
  }
  if (item.contains("closed_by")) {
    out["closed_by"] = json::array();
    for (const auto& c : item["closed_by"]) {
      out["closed_by"].push_back({{"agency", c.value("agency", "")}, {"at_us", c.value("at_us", int64_t{0})},
                                  {"outcome", c.value("outcome", "")}});
    }
  }
  out["erased"] = true;
  return out;
}

}  // namespace

json Erasure::ToJson() const {
  return {{"case_id", case_id},
          {"at_us", at_us},
          {"by", {{"country", country}, {"agency", agency}}},
          {"officer", officer},
          {"justification", justification},
          {"legal_basis", legal_basis},
          {"event_id", event_id},
          {"reason", reason}};
}

json ErasureTombstone(const fb::Event& e, const std::string& reason) {
  const auto* b = e.body_as_CaseErased();
  return Erasure{.case_id = Str(e.case_id()),
                 .at_us = e.created_at_us(),
                 .country = Str(e.origin()->country()),
                 .agency = Str(e.origin()->agency()),
                 .officer = Str(e.officer()),
                 .justification = b ? Str(b->justification()) : "",
                 .legal_basis = b ? Str(b->legal_basis()) : "",
                 .event_id = wire::EventId::FromFb(*e.id()).ToString(),
                 .reason = reason}
      .ToJson();
}

Status CaseTxn::RefuseIfErased(const json& kase) {
  if (!kase.contains("erased")) return OkStatus();
  // What it would hold could not be read anyway: its keys are gone.
  return Error{errc::erased,
               fmt::format("case_id: case {} was erased on this node", kase.value("case_id", "")), "case_id"};
}

Status CaseTxn::Scrub(json& kase, const json& tombstone, int64_t now) {
  std::string case_id = kase.value("case_id", "");
  for (const auto& id : kase.value("items", json::array())) {
    std::string key = keys::Item(case_id, id.get<std::string>());
    auto item = Read(key);
    if (!item.ok()) return std::move(item).error();
    if (!item->has_value()) continue;
    json after = ScrubItem(**item);
    after["state"] = "erased";
    Reindex(**item, after, now);
    Write(key, after);
  }
  uint64_t total = kase.value("events_total", uint64_t{0});
  for (uint64_t n = 1; n <= total; ++n) {
    auto ev = Read(keys::Event(case_id, n));
    if (!ev.ok()) return std::move(ev).error();
    if (!ev->has_value()) continue;
    json kept = Keep(**ev, kEventKeeps);
    kept["detail"] = json::object();
    Write(keys::Event(case_id, n), kept);
  }
  kase["references"] = json::object();
  kase.erase("consent");
  kase["erased"] = tombstone;
  return OkStatus();
}

Result<bool> CaseTxn::EraseExpired(const std::string& case_id, const json& tombstone, int64_t now) {
  auto stored = Read(keys::Case(case_id));
  if (!stored.ok()) return std::move(stored).error();
  if (!stored->has_value() || (**stored).contains("erased")) return false;
  json kase = **stored;
  if (auto s = Scrub(kase, tombstone, now); !s.ok()) return std::move(s).error();
  Write(keys::Case(case_id), kase);
  return true;
}

Status CaseTxn::ApplyErasure(const fb::Event& e, Direction d, uint64_t offset, const Principal* who,
                             int64_t now) {
  std::string case_id = Str(e.case_id());
  std::string agency = Str(e.origin()->agency());
  if (who != nullptr && !who->user.Has("dpo")) {
    return Error{errc::forbidden, "role: only a data-protection officer (role dpo) erases a case", "role"};
  }
  auto stored = Read(keys::Case(case_id));
  if (!stored.ok()) return std::move(stored).error();
  if (!stored->has_value()) {
    return Error{errc::not_found, fmt::format("case_id: case {} is not held on this node", case_id), "case_id"};
  }
  json kase = **stored;
  if (kase.contains("erased")) {
    return Error{errc::conflict, fmt::format("case_id: case {} was erased already", case_id), "case_id"};
  }
  bool party = false;
  for (const auto& p : kase.value("parties", json::array())) party = party || p.value("agency", "") == agency;
  if (!party) {
    return Error{d == Direction::kOutgoing ? errc::forbidden : errc::conflict,
                 fmt::format("case_id: {} is not a party of case {} and cannot erase it", agency, case_id),
                 "case_id"};
  }
  if (auto s = Scrub(kase, ErasureTombstone(e, "request"), now); !s.ok()) return s;
  // The erasure's thread entry belongs to the case's first item.
  json first{{"item_id", kase["items"].empty() ? std::string() : kase["items"][0].get<std::string>()}};
  if (auto s = AddEvent(kase, first, e, d, offset, now); !s.ok()) return s;
  Write(keys::Case(case_id), kase);
  return OkStatus();
}

}  // namespace lintas::node
