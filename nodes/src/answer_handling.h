// Handling codes of answers at the node: an answer inherits its parent's
// code (and, for H3, its conditions) unless the officer picks a stricter
// one; a weaker one is refused here, naming `handling`, before the broker
// would refuse it (policy_denied). Strictness: H0 < H1 < H2 < H3. Private to
// lintas::node; thread-safe (reads the store only).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"
#include "lintas/node/case_vault.h"
#include "lintas/node/node_store.h"
#include "lintas/wire/event_id.h"

namespace lintas::node {

struct Handling {
  fb::HandlingCode code = fb::HandlingCode::H0;
  std::string text;  // H3's conditions
};

// The handling of event `id` as this node holds it (inbox or outbox; the
// envelope's fields); none if it holds no such event.
[[nodiscard]] Result<std::optional<Handling>> HandlingOf(NodeStore& store, CaseVault& vault,
                                                        const wire::EventId& id);

// Refuses `e` (bad_input, field `handling`) if its handling code is weaker
// than that of its parent, when this node holds the parent.
[[nodiscard]] Status CheckAnswerHandling(NodeStore& store, CaseVault& vault, const fb::Event& e);

// For a plain JSON body (a raw event, a re-addressed referral) answering
// `parent_id`: when the body names no `handling`, fills in the parent's
// (and its `handling_text` for H3 when the body has none). Nothing if this
// node does not hold the parent or `parent_id` is not an id.
[[nodiscard]] Status InheritHandling(NodeStore& store, CaseVault& vault, const std::string& parent_id,
                                     nlohmann::json& body);

}  // namespace lintas::node
