// Resolving an event's destinations to agencies in the node's directory.
#include "recipients.h"

#include <algorithm>

#include <fmt/format.h>

#include "lintas/wire/errc.h"
#include "names.h"

namespace lintas::node {
namespace {

bool Has(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string FieldOf(DestinationField style, size_t i, size_t n, const char* part) {
  if (style == DestinationField::kTo) return n == 1 ? "to" : fmt::format("to[{}]", i);
  return fmt::format("destinations[{}].{}", i, part);
}

Error Unknown(const std::string& field, const std::string& problem) {
  return Error{wire::errc::unknown_destination, field + ": " + problem, field};
}

// The directory entry COUNTRY/role resolves to, or an error naming `field`.
Result<const DirectoryAgency*> ByRole(const std::vector<DirectoryAgency>& directory, const std::string& country,
                                      const std::string& role, const std::string& field) {
  const DirectoryAgency* only = nullptr;
  size_t with_role = 0;
  for (const auto& a : directory) {
    if (a.country != country) continue;
    if (Has(a.counterpart_for, role)) return &a;
    if (Has(a.roles, role)) {
      only = &a;
      ++with_role;
    }
  }
  if (with_role == 1) return only;
  if (with_role == 0) {
    return Unknown(field, fmt::format("no agency with role '{}' in {} in the node's directory", role, country));
  }
  return Unknown(field, fmt::format("{} agencies have role '{}' in {} and no counterpart is designated for it in "
                                    "the node's directory; address one agency",
                                    with_role, role, country));
}

}  // namespace

Result<Recipients> ResolveRecipients(const NodeConfig& config, const fb::Event& event, DestinationField style) {
  Recipients out;
  const auto* destinations = event.destinations();
  size_t n = destinations ? destinations->size() : 0;
  for (size_t i = 0; i < n; ++i) {
    const auto* d = destinations->Get(i);
    std::string country = d->country() ? d->country()->str() : "";
    std::string agency = d->agency() ? d->agency()->str() : "";
    std::string role = agency.empty() ? SnakeCase(fb::EnumNameRole(d->role())) : "";
    nlohmann::json one{{"to", country + "/" + (agency.empty() ? role : agency)},
                       {"agencies", nlohmann::json::array()}};
    const DirectoryAgency* found = nullptr;
    if (!agency.empty()) {
      auto it = std::find_if(config.directory.begin(), config.directory.end(), [&](const DirectoryAgency& a) {
        return a.agency == agency && a.country == country;
      });
      if (it != config.directory.end()) {
        found = &*it;
      } else if (!config.directory.empty()) {
        return Unknown(FieldOf(style, i, n, "agency"),
                       fmt::format("no agency '{}' in {} in the node's directory", agency, country));
      }
    } else if (!config.directory.empty()) {
      auto r = ByRole(config.directory, country, role, FieldOf(style, i, n, "role"));
      if (!r.ok()) return std::move(r).error();
      found = *r;
    }
    std::string id = found != nullptr ? found->agency : agency;
    if (!id.empty()) {
      one["agencies"].push_back(id);
      bool listed = std::any_of(out.recipients.begin(), out.recipients.end(), [&](const nlohmann::json& r) {
        return r["agency"] == id && r["country"] == country;
      });
      if (!listed) {
        out.recipients.push_back(
            {{"agency", id}, {"country", country}, {"name", found != nullptr ? found->name : std::string()}});
      }
    }
    out.addressees.push_back(std::move(one));
  }
  return out;
}

}  // namespace lintas::node
