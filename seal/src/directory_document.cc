// The directory document: JSON in and out, and addressee resolution.
#include "lintas/seal/directory_document.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lintas/seal/errc.h"

namespace lintas::seal {
namespace {

Error Invalid(const std::string& field, const std::string& message) {
  return Error{make_error_code(errc::directory_invalid), field + ": " + message, field};
}

Error Unknown(const std::string& field, const std::string& message) {
  return Error{make_error_code(errc::no_recipient_key), field + ": " + message, field};
}

bool Has(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

Result<std::vector<std::string>> Strings(const nlohmann::json& j, const char* key, const std::string& field) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_array()) return Invalid(field + "." + key, "must be a list of strings");
  for (const auto& v : j[key]) {
    if (!v.is_string()) return Invalid(field + "." + key, "must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string Str(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace

std::string_view RoleName(fb::Role role) {
  switch (role) {
    case fb::Role::Police: return "police";
    case fb::Role::Prosecutor: return "prosecutor";
    case fb::Role::SocialWelfare: return "social_welfare";
    case fb::Role::Labour: return "labour";
    case fb::Role::Ngo: return "ngo";
    case fb::Role::FocalPoint: return "focal_point";
    case fb::Role::Auditor: return "auditor";
    default: return "";
  }
}

std::string DirectoryDocument::Serialize() const {
  nlohmann::ordered_json j;
  j["format"] = "lintas-directory/1";
  j["broker"] = broker_id;
  j["issued_at_us"] = issued_at_us;
  j["agencies"] = nlohmann::ordered_json::array();
  for (const auto& a : agencies) {
    j["agencies"].push_back({{"id", a.id},
                             {"country", a.country},
                             {"roles", a.roles},
                             {"counterpart_for", a.counterpart_for},
                             {"node", a.node}});
  }
  j["nodes"] = nlohmann::ordered_json::array();
  for (const auto& n : nodes) {
    j["nodes"].push_back(
        {{"id", n.id}, {"country", n.country}, {"seal_key", n.seal_key ? ToBase64(*n.seal_key) : ""}});
  }
  return j.dump();
}

Result<DirectoryDocument> DirectoryDocument::Parse(std::string_view text) {
  if (text.size() > kMaxDirectoryBytes) return Invalid("directory", "larger than 1 MiB");
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Invalid("directory", "not a JSON object");
  if (Str(j, "format") != "lintas-directory/1") return Invalid("format", "not lintas-directory/1");
  DirectoryDocument d;
  d.broker_id = Str(j, "broker");
  d.issued_at_us = j.value("issued_at_us", int64_t{0});
  if (!j.contains("agencies") || !j["agencies"].is_array()) return Invalid("agencies", "must be a list");
  if (!j.contains("nodes") || !j["nodes"].is_array()) return Invalid("nodes", "must be a list");
  for (size_t i = 0; i < j["agencies"].size(); ++i) {
    const auto& a = j["agencies"][i];
    std::string field = fmt::format("agencies[{}]", i);
    if (!a.is_object()) return Invalid(field, "must be an object");
    DirectoryAgency agency{Str(a, "id"), Str(a, "country"), {}, {}, Str(a, "node")};
    if (agency.id.empty()) return Invalid(field + ".id", "required");
    auto roles = Strings(a, "roles", field);
    if (!roles.ok()) return roles.error();
    auto counterpart = Strings(a, "counterpart_for", field);
    if (!counterpart.ok()) return counterpart.error();
    agency.roles = std::move(*roles);
    agency.counterpart_for = std::move(*counterpart);
    d.agencies.push_back(std::move(agency));
  }
  for (size_t i = 0; i < j["nodes"].size(); ++i) {
    const auto& n = j["nodes"][i];
    std::string field = fmt::format("nodes[{}]", i);
    if (!n.is_object()) return Invalid(field, "must be an object");
    DirectoryNode node{Str(n, "id"), Str(n, "country"), std::nullopt};
    if (node.id.empty()) return Invalid(field + ".id", "required");
    if (std::string key = Str(n, "seal_key"); !key.empty()) {
      auto k = PublicKeyFromBase64(key);
      if (!k.ok()) return Invalid(field + ".seal_key", k.error().message);
      node.seal_key = *k;
    }
    d.nodes.push_back(std::move(node));
  }
  return d;
}

const DirectoryAgency* DirectoryDocument::FindAgency(std::string_view id) const {
  for (const auto& a : agencies) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

const DirectoryNode* DirectoryDocument::FindNode(std::string_view id) const {
  for (const auto& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

Result<const DirectoryAgency*> DirectoryDocument::Counterpart(std::string_view country, std::string_view role,
                                                              const std::string& field) const {
  const DirectoryAgency* only = nullptr;
  size_t with_role = 0;
  for (const auto& a : agencies) {
    if (a.country != country) continue;
    if (Has(a.counterpart_for, role)) return &a;
    if (Has(a.roles, role)) {
      only = &a;
      ++with_role;
    }
  }
  if (with_role == 1) return only;
  if (with_role == 0) return Unknown(field + ".role", fmt::format("no agency with role '{}' in {}", role, country));
  return Unknown(field + ".role", fmt::format("{} agencies have role '{}' in {} and none is its designated "
                                              "counterpart; address one agency",
                                              with_role, role, country));
}

Result<const DirectoryAgency*> DirectoryDocument::Resolve(const fb::Destination& d, const std::string& field) const {
  std::string_view country = d.country()->string_view();
  if (d.agency() != nullptr && d.agency()->size() > 0) {
    const DirectoryAgency* a = FindAgency(d.agency()->string_view());
    if (a == nullptr || a->country != country) {
      return Unknown(field + ".agency",
                     fmt::format("no agency '{}' in {} in the directory", d.agency()->string_view(), country));
    }
    return a;
  }
  return Counterpart(country, RoleName(d.role()), field);
}

}  // namespace lintas::seal
