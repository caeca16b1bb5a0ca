// The routing policy: which country pairs and roles may exchange which event
// types and alert categories. Configured in [policy] of the broker's TOML;
// checked when an event is published (its addressees, its selected
// countries) and again when a distributed event is delivered to a
// subscriber.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/fb/event_generated.h"

namespace lintas::broker {

// One permission. A list that is empty, or holds "*", matches everything.
struct PolicyRule {
  std::string name;                     // for logs; Default: "rules[<index>]"
  std::vector<std::string> from;        // origin countries (required)
  std::vector<std::string> to;          // addressee countries (required)
  std::vector<std::string> roles;       // addressee agency roles; Default: any
  std::vector<std::string> events;      // body type names ("ReferralCreated"); Default: any
  std::vector<std::string> categories;  // alert categories ("MissingPerson"); Default: any
};

struct PolicyConfig {
  // Default: false. When no [policy] table is configured every exchange the
  // directory resolves is allowed (and the broker warns at start-up); with
  // one, anything no rule allows is refused with `policy_denied`.
  bool enforced = false;
  std::vector<PolicyRule> rules;
};

// What is being sent to whom.
struct Exchange {
  std::string_view from_country;
  std::string_view to_country;
  // The addressee's roles: the named role, or every role of the named
  // agency. Empty: not known (a country-wide distribution), matching only
  // rules without a role restriction.
  std::vector<std::string_view> roles;
  // True: match a rule whatever its roles (the recipients' roles are
  // checked later, at delivery).
  bool any_role = false;
  fb::Body body = fb::Body::NONE;
  // For alert bodies (AlertCancelled: the cancelled alert's category).
  uint8_t category = 0;
};

// Immutable after construction; safe to read from any thread.
class RoutingPolicy {
 public:
  explicit RoutingPolicy(PolicyConfig config);

  bool enforced() const { return config_.enforced; }

  // The name of the first rule that allows `exchange`, or empty if none
  // does. Always "(no policy)" when the policy is not enforced.
  std::string_view Allows(const Exchange& exchange) const;

  // Checks names and codes in a rule; returns an error text naming the
  // field, or empty. Used by the configuration loader.
  static std::string CheckRule(const PolicyRule& rule);

 private:
  PolicyConfig config_;
};

}  // namespace lintas::broker
