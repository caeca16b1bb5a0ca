// Builds the events of every lifecycle step from the API's plain JSON
// (docs/API.md): new referrals, requests and alerts, and each answer to an
// item, deriving addresses, case id, parent, priority and handling code from
// the item so that nothing is retyped. Private to lintas::node. Pure
// functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/node/account_store.h"
#include "lintas/node/case_store.h"
#include "lintas/node/config.h"
#include "lintas/wire/event_id.h"

namespace lintas::node::actions {

struct Context {
  const Principal& who;
  const NodeConfig& config;
  const CaseOptions& cases;
  wire::EventIdGenerator& ids;
  int64_t now_us;
  // The event id to use instead of a new one (a client-supplied id).
  // Default: none (ids.Next())
  std::optional<wire::EventId> id = std::nullopt;
  // The case's parties ([{country, agency, role?}], CaseStore::CaseView),
  // for a consent change: it goes to every holder but the sender.
  // Default: none (null)
  nlohmann::json parties = nullptr;
};

// POST /v1/referrals, /v1/requests, /v1/alerts.
[[nodiscard]] Result<std::string> NewReferral(const nlohmann::json& req, const Context& ctx);
[[nodiscard]] Result<std::string> NewRequest(const nlohmann::json& req, const Context& ctx);
[[nodiscard]] Result<std::string> NewAlert(const nlohmann::json& req, const Context& ctx);
// POST /v1/alerts/{id}/cancel: inherits the alert's priority, handling (`alert`'s
// "handling", "handling_text"), category
// (through the parent) and distribution, so every subscriber that got the
// alert gets its cancellation.
[[nodiscard]] Result<std::string> CancelAlert(const nlohmann::json& req, const nlohmann::json& alert,
                                              const Context& ctx);
// Every new event and step takes `attachments`: [{media_type, sha256 (64 hex
// digits), size, location}] (references, never content).
// POST /v1/items/{id}/{action}: acknowledge, accept, decline, clarify,
// answer, assign, extend, consent, plan-return, returned, close, delay,
// provide, refuse, read.
[[nodiscard]] Result<std::string> Step(const std::string& action, const nlohmann::json& req,
                                       const nlohmann::json& item, const Context& ctx);

// POST /v1/cases/{id}/erase (role dpo, docs/ERASURE.md): a CaseErased to
// every other holder of the case (`ctx.parties`), with `justification`
// (required) and `legal_basis`. conflict when no other agency holds it (the
// caller erases it here only).
[[nodiscard]] Result<std::string> EraseCase(const nlohmann::json& req, const std::string& case_id,
                                            const Context& ctx);

// The actions Step knows, for help and errors.
inline constexpr const char* kActions =
    "acknowledge, accept, decline, clarify, answer, assign, extend, consent, plan-return, returned, close, "
    "delay, provide, refuse, read";

}  // namespace lintas::node::actions
