// Routing policy matching.
#include "lintas/broker/policy.h"

#include <algorithm>

#include <fmt/format.h>

#include "lintas/wire/country.h"
#include "lintas/wire/validate.h"

namespace lintas::broker {
namespace {

bool Any(const std::vector<std::string>& list) {
  return list.empty() || std::find(list.begin(), list.end(), "*") != list.end();
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return Any(list) || std::find(list.begin(), list.end(), value) != list.end();
}

bool IsAlert(fb::Body body) {
  return body == fb::Body::AlertPublished || body == fb::Body::AlertCancelled;
}

}  // namespace

RoutingPolicy::RoutingPolicy(PolicyConfig config) : config_(std::move(config)) {}

std::string_view RoutingPolicy::Allows(const Exchange& x) const {
  if (!config_.enforced) return "(no policy)";
  for (const PolicyRule& rule : config_.rules) {
    if (!Contains(rule.from, x.from_country) || !Contains(rule.to, x.to_country)) continue;
    if (!Contains(rule.events, wire::BodyName(x.body))) continue;
    if (!Any(rule.categories) && IsAlert(x.body) &&
        !Contains(rule.categories,
                  fb::EnumNameAlertCategory(static_cast<fb::AlertCategory>(x.category)))) {
      continue;
    }
    if (!Any(rule.roles) && !x.any_role && std::none_of(x.roles.begin(), x.roles.end(), [&](std::string_view r) {
          return Contains(rule.roles, r);
        })) {
      continue;
    }
    return rule.name;
  }
  return {};
}

std::string RoutingPolicy::CheckRule(const PolicyRule& rule) {
  if (rule.from.empty()) return "from: required (a list of ISO 3166-1 alpha-3 codes or \"*\")";
  if (rule.to.empty()) return "to: required (a list of ISO 3166-1 alpha-3 codes or \"*\")";
  for (const auto* list : {&rule.from, &rule.to}) {
    for (const auto& c : *list) {
      if (c != "*" && !wire::IsPartyCode(c)) {
        return fmt::format("{}: '{}' is not an ISO 3166-1 alpha-3 code",
                           list == &rule.from ? "from" : "to", c);
      }
    }
  }
  for (const auto& e : rule.events) {
    bool known = e == "*";
    for (auto body : fb::EnumValuesBody()) known |= body != fb::Body::NONE && wire::BodyName(body) == e;
    if (!known) return fmt::format("events: '{}' is not an event type (schemas/event.fbs)", e);
  }
  for (const auto& c : rule.categories) {
    bool known = c == "*";
    for (auto cat : fb::EnumValuesAlertCategory()) known |= fb::EnumNameAlertCategory(cat) == c;
    if (!known) return fmt::format("categories: '{}' is not an alert category", c);
  }
  return {};
}

}  // namespace lintas::broker
