// The case model and the victim's consent: the record in the case header, the
// check before sending, and the purge of every item when consent changes
// (docs/CONSENT.md).
#include "case_keys.h"
#include "consent_filter.h"
#include "consent_scope.h"
#include "lintas/node/case_store.h"
#include "lintas/node/errc.h"

namespace lintas::node {

using nlohmann::json;

Result<json> CaseTxn::ConsentRecord(const std::string& case_id) {
  if (case_id.empty()) return json();
  auto kase = Read(keys::Case(case_id));
  if (!kase.ok()) return std::move(kase).error();
  if (!kase->has_value() || !(**kase).contains("consent")) return json();
  return (**kase)["consent"];
}

Status CaseTxn::CheckConsent(const fb::Event& e) {
  auto record = ConsentRecord(e.case_id() ? e.case_id()->str() : "");
  if (!record.ok()) return std::move(record).error();
  return consent::Check(e, *record);
}

Result<std::optional<json>> CaseTxn::HolderItemFor(const fb::Event& e) {
  std::string case_id = e.case_id() ? e.case_id()->str() : "";
  if (case_id.empty()) return std::optional<json>();
  auto kase = Read(keys::Case(case_id));
  if (!kase.ok()) return std::move(kase).error();
  if (!kase->has_value()) return std::optional<json>();
  for (const auto& id : (**kase).value("items", json::array())) {
    auto item = Read(keys::Item(case_id, id.get<std::string>()));
    if (!item.ok()) return std::move(item).error();
    if (!item->has_value() || (**item).value("kind", "") != "referral") continue;
    const json& origin = (**item)["origin"];
    if (origin.value("country", "") == e.origin()->country()->str() &&
        origin.value("agency", "") == e.origin()->agency()->str()) {
      return std::optional<json>(json{{"case", case_id}, {"item", id}});
    }
  }
  return std::optional<json>();
}

Status CaseTxn::ApplyConsentChange(json& kase, json& item, const fb::Event& e) {
  std::string case_id = kase.value("case_id", "");
  json record = consent::AfterChange(kase.value("consent", json()), e);
  kase["consent"] = record;
  Write(keys::Case(case_id), kase);
  consent::Purge(item, record);
  // Every other item of the case keeps no copy of what was withdrawn.
  for (const auto& id : kase.value("items", json::array())) {
    if (id == item.value("item_id", "")) continue;
    auto other = Read(keys::Item(case_id, id.get<std::string>()));
    if (!other.ok()) return std::move(other).error();
    if (!other->has_value()) continue;
    json purged = **other;
    consent::Purge(purged, record);
    if (purged != **other) Write(keys::Item(case_id, id.get<std::string>()), purged);
  }
  return OkStatus();
}

}  // namespace lintas::node
