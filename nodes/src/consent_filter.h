// What the node shows of a case's data, given the victim's consent record
// (consent_scope.h): every view of a case, an item or an event goes through
// here, so withdrawn data disappears from all of them at once, with a note of
// who withdrew it and when. Private to lintas::node. Pure functions;
// thread-safe.
#pragma once

#include <nlohmann/json.hpp>

namespace lintas::node::consent {

// Removes from a stored item what the record no longer covers (attachments,
// victim details, the return plan) and sets its consent list to the
// record's. Used to purge the case model's copy when consent changes, and by
// FilterItem. A null record leaves the item alone.
void Purge(nlohmann::json& item, const nlohmann::json& record);

// Purge, and the notes: `consent_withdrawn` ([{item, at_us, by, officer}])
// and `consent_withdrawn_all` ({at_us, by, officer}) when consent was
// withdrawn entirely.
void FilterItem(nlohmann::json& item, const nlohmann::json& record);

// A whole case view (CaseStore::CaseView): its items, and the details of
// return events when ReturnLogistics is not in scope. Reads the record from
// the view's own `consent`.
void FilterCase(nlohmann::json& view);

// An event in the API's JSON (EventToApiJson). Returns what was hidden:
// [{field, item, at_us, by, officer}] (`reason: "outside_scope"` instead of
// the withdrawal for data never consented to); empty when nothing was.
[[nodiscard]] nlohmann::json FilterEvent(nlohmann::json& event, const nlohmann::json& record);

}  // namespace lintas::node::consent
