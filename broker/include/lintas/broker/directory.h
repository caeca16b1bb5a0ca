// The directory: which agencies exist, in which country, with which roles,
// and which node serves each. Built once from the configuration.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/broker/config.h"
#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"

namespace lintas::broker {

// Immutable after construction; safe to read from any thread.
class Directory {
 public:
  explicit Directory(const BrokerConfig& config);

  const NodeConfig* FindNode(std::string_view node_id) const;
  const std::vector<NodeConfig>& nodes() const { return nodes_; }

  // Whether `node` serves `agency`.
  bool Serves(const NodeConfig& node, std::string_view agency) const;

  // The nodes whose inboxes an event addressed to `destinations` goes to
  // (sorted, unique). A destination that names an unknown agency, an agency
  // of another country, or a role no agency of the country has, or that
  // resolves only to agencies no node serves, is an unknown_destination
  // error naming it ("destinations[1]").
  [[nodiscard]] Status ResolveInbox(
      const flatbuffers::Vector<flatbuffers::Offset<fb::Destination>>& destinations,
      std::vector<std::string>* nodes) const;

  // The roles a destination stands for: its role, or every role of its
  // agency (empty if the agency is unknown). Views into the directory.
  std::vector<std::string_view> DestinationRoles(const fb::Destination& destination) const;

  // Every role of the agencies `node` serves (sorted, unique).
  std::vector<std::string_view> NodeRoles(const NodeConfig& node) const;

  // "social_welfare" for fb::Role::SocialWelfare.
  static std::string_view RoleName(fb::Role role);

 private:
  struct Agency {
    std::string country;
    std::vector<std::string> roles;
    std::string node;  // empty: no node serves it
  };
  std::map<std::string, Agency, std::less<>> agencies_;
  std::vector<NodeConfig> nodes_;
};

}  // namespace lintas::broker
