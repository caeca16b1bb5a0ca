// The request-field helpers of the case actions (case_actions.cc).
#include "action_fields.h"

#include <fmt/format.h>

#include "lintas/node/errc.h"
#include "lintas/node/human_time.h"
#include "names.h"

namespace lintas::node::actions::fields {

Result<std::string> Text(const json& req, const char* field, bool required, size_t max) {
  if (!req.contains(field) || req[field].is_null() || (req[field].is_string() && req[field].get<std::string>().empty())) {
    if (required) return Bad(field, "is required");
    return std::string();
  }
  if (!req[field].is_string()) return Bad(field, "must be a string");
  std::string s = req[field].get<std::string>();
  if (s.size() > max) return Bad(field, fmt::format("is longer than {} bytes", max));
  return s;
}

Result<bool> Flag(const json& req, const char* field, const std::string& name, bool fallback) {
  if (!req.contains(field) || req[field].is_null()) return fallback;
  if (!req[field].is_boolean()) return Bad(name, "must be true or false");
  return req[field].get<bool>();
}

Result<std::vector<std::string>> Texts(const json& req, const char* field, bool required) {
  std::vector<std::string> out;
  if (!req.contains(field) || req[field].is_null()) {
    if (required) return Bad(field, "is required (a list)");
    return out;
  }
  if (req[field].is_string()) {
    out.push_back(req[field].get<std::string>());
  } else if (req[field].is_array()) {
    for (const auto& v : req[field]) {
      if (!v.is_string()) return Bad(field, "must be a list of strings");
      out.push_back(v.get<std::string>());
    }
  } else {
    return Bad(field, "must be a list of strings");
  }
  if (required && out.empty()) return Bad(field, "needs at least one entry");
  if (out.size() > 256) return Bad(field, "has more than 256 entries");
  return out;
}

Result<int64_t> When(const json& req, const char* field, bool required, int64_t now, int64_t fallback) {
  auto text = Text(req, field, required, 64);
  if (!text.ok()) return std::move(text).error();
  if (text->empty()) return fallback;
  auto at = ParseWhen(*text, now);
  if (!at) return Bad(field, std::string("use ") + kWhenHelp);
  return *at;
}

const std::vector<std::string> kRoles = {"police", "prosecutor", "social_welfare", "labour",
                                         "ngo",    "focal_point", "auditor"};

Result<std::unique_ptr<fb::DestinationT>> Destination(const std::string& to, const std::string& field) {
  auto slash = to.find('/');
  if (slash != 3 || to.size() < 5) {
    return Bad(field, "use COUNTRY/agency-id (KHM/kh-mosvy) or COUNTRY/role (KHM/social_welfare)");
  }
  auto d = std::make_unique<fb::DestinationT>();
  d->country = to.substr(0, 3);
  std::string who = to.substr(4);
  std::string squashed = Squash(who);
  for (const auto& r : kRoles) {
    if (Squash(r) == squashed) {
      for (auto v : fb::EnumValuesRole()) {
        if (Squash(fb::EnumNameRole(v)) == squashed) d->role = v;
      }
      return d;
    }
  }
  d->agency = who;
  return d;
}

fb::EventT Envelope(const Context& ctx) {
  fb::EventT e;
  e.id = std::make_unique<fb::Uuid>((ctx.id ? *ctx.id : ctx.ids.Next()).ToFb());
  e.created_at_us = ctx.now_us;
  e.origin = std::make_unique<fb::PartyT>();
  e.origin->country = ctx.config.country;
  e.origin->agency = ctx.who.user.agency;
  e.officer = ctx.who.user.id;
  return e;
}

constexpr size_t kMaxAttachments = 32;

Result<std::unique_ptr<fb::AttachmentT>> AttachmentAt(const json& a, const std::string& field) {
  if (!a.is_object()) return Bad(field, "must be an object {media_type, sha256, size, location}");
  auto out = std::make_unique<fb::AttachmentT>();
  auto media_type = Text(a, "media_type", true, 128);
  if (!media_type.ok()) return Bad(field + ".media_type", "is required (e.g. image/jpeg)");
  out->media_type = *media_type;
  auto location = Text(a, "location", true, 1000);
  if (!location.ok()) return Bad(field + ".location", "is required (where an authorised reader fetches it)");
  out->location = *location;
  auto sha = Text(a, "sha256", true, 64);
  if (!sha.ok() || sha->size() != 64 || sha->find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return Bad(field + ".sha256", "must be the content's SHA-256 in 64 hex digits");
  }
  for (size_t i = 0; i < 64; i += 2) out->sha256.push_back(static_cast<uint8_t>(std::stoi(sha->substr(i, 2), nullptr, 16)));
  if (a.contains("size") && !a["size"].is_null()) {
    if (!a["size"].is_number_unsigned()) return Bad(field + ".size", "must be a number of bytes");
    out->size = a["size"].get<uint64_t>();
  }
  return out;
}

Status Attachments(const json& req, fb::EventT& e) {
  if (!req.contains("attachments") || req["attachments"].is_null()) return OkStatus();
  if (!req["attachments"].is_array()) return Bad("attachments", "must be a list");
  if (req["attachments"].size() > kMaxAttachments) {
    return Bad("attachments", fmt::format("has more than {} entries", kMaxAttachments));
  }
  for (size_t i = 0; i < req["attachments"].size(); ++i) {
    auto a = AttachmentAt(req["attachments"][i], fmt::format("attachments[{}]", i));
    if (!a.ok()) return std::move(a).error();
    e.attachments.push_back(std::move(*a));
  }
  return OkStatus();
}

Status Common(const json& req, fb::EventT& e, const Context& ctx, bool own_priority) {
  if (auto s = Attachments(req, e); !s.ok()) return s;
  auto reference = Text(req, "reference", false, 128);
  if (!reference.ok()) return std::move(reference).error();
  if (!reference->empty()) {
    auto r = std::make_unique<fb::NationalReferenceT>();
    r->country = ctx.config.country;
    r->reference = *reference;
    e.national_refs.push_back(std::move(r));
  }
  auto language = Text(req, "language", false, 8);
  if (!language.ok()) return std::move(language).error();
  e.language = *language;
  if (own_priority) {
    auto p = EnumField(req, "priority", fb::EnumValuesPriority(), fb::EnumNamePriority,
                       std::optional<fb::Priority>(fb::Priority::Routine));
    if (!p.ok()) return std::move(p).error();
    e.priority = *p;
    auto h = EnumField(req, "handling", fb::EnumValuesHandlingCode(), fb::EnumNameHandlingCode,
                       std::optional<fb::HandlingCode>(fb::HandlingCode::H0));
    if (!h.ok()) return std::move(h).error();
    e.handling = *h;
    auto ht = Text(req, "handling_text", e.handling == fb::HandlingCode::H3, 1000);
    if (!ht.ok()) return std::move(ht).error();
    e.handling_text = *ht;
  }
  return OkStatus();
}


Result<std::vector<fb::ConsentItem>> ConsentItems(const json& req, const char* field, bool required) {
  auto names = Texts(req, field, required);
  if (!names.ok()) return std::move(names).error();
  std::vector<fb::ConsentItem> out;
  for (const auto& n : *names) {
    json one{{field, n}};
    auto v = EnumField(one, field, fb::EnumValuesConsentItem(), fb::EnumNameConsentItem, std::optional<fb::ConsentItem>());
    if (!v.ok()) return std::move(v).error();
    out.push_back(*v);
  }
  return out;
}

// Every party of the case but the sender's agency: a consent change goes to
// every holder without the officer listing them.
Result<std::vector<std::unique_ptr<fb::DestinationT>>> Holders(const Context& ctx) {
  std::vector<std::unique_ptr<fb::DestinationT>> out;
  if (ctx.parties.is_array()) {
    for (const auto& p : ctx.parties) {
      std::string country = p.value("country", "");
      std::string agency = p.value("agency", "");
      if (agency == ctx.who.user.agency && country == ctx.config.country) continue;
      auto d = Destination(country + "/" + (agency.empty() ? p.value("role", "") : agency), "to");
      if (!d.ok()) continue;  // a party this node cannot address (never in a case it built)
      out.push_back(std::move(*d));
    }
  }
  if (out.empty()) return Error{errc::conflict, "id: no other agency holds this case", "id"};
  return out;
}

}  // namespace lintas::node::actions::fields
