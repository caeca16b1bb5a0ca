// Directory lookups and role resolution.
#include "lintas/broker/directory.h"

#include <algorithm>

#include <fmt/format.h>

#include "lintas/seal/directory_document.h"
#include "lintas/wire/errc.h"

namespace lintas::broker {

Directory::Directory(const BrokerConfig& config) : nodes_(config.nodes) {
  for (const auto& a : config.agencies) {
    agencies_[a.id] = Agency{a.country, a.roles, ""};
    for (const auto& role : a.counterpart_for) counterparts_.emplace(CountryRole{a.country, role}, a.id);
  }
  for (const auto& n : nodes_) {
    for (const auto& id : n.agencies) {
      auto it = agencies_.find(id);
      if (it != agencies_.end()) it->second.node = n.id;
    }
  }
}

const NodeConfig* Directory::FindNode(std::string_view node_id) const {
  for (const auto& n : nodes_) {
    if (n.id == node_id) return &n;
  }
  return nullptr;
}

bool Directory::Serves(const NodeConfig& node, std::string_view agency) const {
  auto it = agencies_.find(agency);
  return it != agencies_.end() && it->second.node == node.id;
}

std::vector<std::string_view> Directory::DestinationRoles(const fb::Destination& d) const {
  std::vector<std::string_view> roles;
  if (auto agency = ResolveAgency(d, 0); agency.ok()) {
    const Agency& a = agencies_.find(*agency)->second;
    roles.assign(a.roles.begin(), a.roles.end());
  } else if (bool by_agency = d.agency() != nullptr && d.agency()->size() > 0; !by_agency) {
    if (std::string_view role = RoleName(d.role()); !role.empty()) roles.push_back(role);
  }
  return roles;
}

std::vector<std::string_view> Directory::NodeRoles(const NodeConfig& node) const {
  std::vector<std::string_view> roles;
  for (const auto& id : node.agencies) {
    auto it = agencies_.find(id);
    if (it == agencies_.end()) continue;
    roles.insert(roles.end(), it->second.roles.begin(), it->second.roles.end());
  }
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return roles;
}

std::string_view Directory::RoleName(fb::Role role) { return seal::RoleName(role); }

std::string_view Directory::AgencyCountry(std::string_view agency) const {
  auto it = agencies_.find(agency);
  return it == agencies_.end() ? std::string_view() : std::string_view(it->second.country);
}

Result<std::string_view> Directory::ResolveAgency(const fb::Destination& d, size_t index) const {
  // Built only on the error paths: this runs for every published event.
  auto field = [index](const char* part) { return fmt::format("destinations[{}].{}", index, part); };
  std::string_view country = d.country()->string_view();
  if (d.agency() != nullptr && d.agency()->size() > 0) {
    auto it = agencies_.find(d.agency()->string_view());
    if (it == agencies_.end() || it->second.country != country) {
      return Error{wire::errc::unknown_destination,
                   fmt::format("{}: no agency '{}' in {} in the directory", field("agency"),
                               d.agency()->string_view(), country),
                   field("agency")};
    }
    return std::string_view(it->first);
  }
  std::string_view role = RoleName(d.role());
  if (auto it = counterparts_.find(CountryRole{std::string(country), std::string(role)});
      it != counterparts_.end()) {
    return std::string_view(it->second);
  }
  std::string_view only;
  size_t with_role = 0;
  for (const auto& [id, a] : agencies_) {
    if (a.country != country) continue;
    if (std::find(a.roles.begin(), a.roles.end(), role) == a.roles.end()) continue;
    only = id;
    ++with_role;
  }
  if (with_role == 1) return only;
  if (with_role == 0) {
    return Error{wire::errc::unknown_destination,
                 fmt::format("{}: no agency with role '{}' in {}", field("role"), role, country),
                 field("role")};
  }
  return Error{wire::errc::unknown_destination,
               fmt::format("{}: {} agencies have role '{}' in {} and no counterpart is designated for it; "
                           "address one agency",
                           field("role"), with_role, role, country),
               field("role")};
}

Status Directory::ResolveInbox(
    const flatbuffers::Vector<flatbuffers::Offset<fb::Destination>>& destinations,
    store::NodeList* nodes) const {
  for (size_t i = 0; i < destinations.size(); ++i) {
    auto agency = ResolveAgency(*destinations.Get(i), i);
    if (!agency.ok()) return std::move(agency).error();
    const Agency& a = agencies_.find(*agency)->second;
    if (a.node.empty()) {
      return Error{wire::errc::unknown_destination,
                   fmt::format("destinations[{}]: no node serves {}, the agency it resolves to", i, *agency),
                   fmt::format("destinations[{}]", i)};
    }
    nodes->push_back(a.node);
  }
  std::sort(nodes->begin(), nodes->end());
  nodes->truncate(static_cast<size_t>(std::unique(nodes->begin(), nodes->end()) - nodes->begin()));
  return OkStatus();
}

}  // namespace lintas::broker
