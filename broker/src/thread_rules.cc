// Handling codes through a thread of answers: the checks, without sockets.
#include "thread_rules.h"

#include <algorithm>

#include <fmt/format.h>

#include "lintas/wire/errc.h"

namespace lintas::broker {
namespace {

Error Denied(const std::string& field, const std::string& message) {
  return Error{wire::errc::policy_denied, message, field};
}

}  // namespace

ParentFacts FactsAsParent(const fb::Event& event, std::string originator, store::NodeList parties,
                          const std::optional<ParentFacts>& parent) {
  ParentFacts facts;
  facts.handling = event.handling();
  if (event.body_type() == fb::Body::AlertPublished) {
    facts.alert_category = static_cast<uint8_t>(event.body_as_AlertPublished()->category());
  }
  facts.originator = std::move(originator);
  facts.parties = std::move(parties);
  if (facts.handling == fb::HandlingCode::H2) facts.h2_threads.push_back({facts.originator, facts.parties});
  if (parent) facts.h2_threads.insert(facts.h2_threads.end(), parent->h2_threads.begin(), parent->h2_threads.end());
  return facts;
}

Status CheckAnswer(std::string_view sender, const fb::Event& event, const ParentFacts& parent,
                   const store::NodeList& inbox_nodes) {
  if (!parent.h2_threads.empty() && sender != parent.originator && !parent.parties.contains(sender)) {
    return Denied("parent_id",
                  fmt::format("parent_id: the event this one answers is in an H2 thread (no onward transfer) "
                              "and node {} is not one of its parties: only they may answer it",
                              sender));
  }
  if (event.handling() < parent.handling) {
    return Denied("handling",
                  fmt::format("handling: {} is weaker than {}, the handling code of the event this one answers; "
                              "an answer keeps its parent's code or a stricter one",
                              fb::EnumNameHandlingCode(event.handling()), fb::EnumNameHandlingCode(parent.handling)));
  }
  const fb::Distribution* distribution = event.distribution();
  bool distributed = distribution != nullptr && distribution->kind() != fb::DistributionKind::Addressed;
  for (const H2Thread& thread : parent.h2_threads) {
    if (thread.originator == sender) continue;  // the originator may share its own event
    if (distributed) {
      return Denied("distribution",
                    "distribution: the thread this event answers is H2 (no onward transfer): address its "
                    "parties only, no distribution");
    }
    for (const auto& n : inbox_nodes) {
      if (n != thread.originator && !thread.parties.contains(n)) {
        return Denied("destinations",
                      fmt::format("destinations: the thread this event answers is H2 (no onward transfer "
                                  "without the originator's permission); node {} is not one of its parties",
                                  n));
      }
    }
  }
  return OkStatus();
}

}  // namespace lintas::broker
