// The directory: which agencies exist, in which country, with which roles,
// which of them is the designated counterpart for a role, and which node
// serves each. Built once from the configuration.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lintas/broker/config.h"
#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"
#include "lintas/store/node_list.h"

namespace lintas::broker {

// Immutable after construction; safe to read from any thread.
class Directory {
 public:
  explicit Directory(const BrokerConfig& config);

  const NodeConfig* FindNode(std::string_view node_id) const;
  const std::vector<NodeConfig>& nodes() const { return nodes_; }

  // Whether `node` serves `agency`.
  bool Serves(const NodeConfig& node, std::string_view agency) const;

  // The one agency destination `index` resolves to (its id, a view into the
  // directory): the agency it names, or for COUNTRY/role the country's
  // designated counterpart for the role, else the only agency of the
  // country with it. An unknown agency, an agency of another country, a
  // role no agency of the country has, or a role several have with none
  // designated is an unknown_destination error naming the field
  // ("destinations[1].agency", "destinations[1].role").
  [[nodiscard]] Result<std::string_view> ResolveAgency(const fb::Destination& destination,
                                                       size_t index) const;

  // The nodes whose inboxes an event addressed to `destinations` goes to
  // (sorted, unique): the nodes serving the agencies ResolveAgency names. A
  // destination that does not resolve, or whose agency no node serves, is
  // an unknown_destination error naming it ("destinations[1]...").
  [[nodiscard]] Status ResolveInbox(
      const flatbuffers::Vector<flatbuffers::Offset<fb::Destination>>& destinations,
      store::NodeList* nodes) const;

  // The roles a destination stands for: every role of the agency it
  // resolves to (so that COUNTRY/role and that agency's id are judged
  // alike), else the role it names (empty for an unknown agency). Views
  // into the directory.
  std::vector<std::string_view> DestinationRoles(const fb::Destination& destination) const;

  // Every role of the agencies `node` serves (sorted, unique).
  std::vector<std::string_view> NodeRoles(const NodeConfig& node) const;

  // The country of an agency of the directory ("" if it is not one).
  std::string_view AgencyCountry(std::string_view agency) const;

  // "social_welfare" for fb::Role::SocialWelfare.
  static std::string_view RoleName(fb::Role role);

 private:
  struct Agency {
    std::string country;
    std::vector<std::string> roles;
    std::string node;  // empty: no node serves it
  };
  using CountryRole = std::pair<std::string, std::string>;
  std::map<std::string, Agency, std::less<>> agencies_;
  // (country, role) -> the designated counterpart's id (unique: the
  // configuration loader refuses two).
  std::map<CountryRole, std::string> counterparts_;
  std::vector<NodeConfig> nodes_;
};

}  // namespace lintas::broker
