// Event validation.
#include "lintas/wire/validate.h"

#include <fmt/format.h>

#include "lintas/wire/country.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/limits.h"

namespace lintas::wire {
namespace {

constexpr size_t kMaxCaseIdBytes = 64;
constexpr size_t kSha256Bytes = 32;
// 2020-01-01T00:00:00Z: nothing in this log predates the project.
constexpr int64_t kEarliestMicros = 1577836800LL * 1000000;

Error Invalid(std::string field, std::string message) {
  return Error{errc::event_invalid, fmt::format("{}: {}", field, message), std::move(field)};
}

bool IsLanguageCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 3) return false;
  for (char c : code) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

Status CheckCountry(const flatbuffers::String* code, const std::string& field, bool required) {
  if (code == nullptr || code->size() == 0) {
    if (required) return Invalid(field, "is required (ISO 3166-1 alpha-3 country code)");
    return OkStatus();
  }
  if (!IsPartyCode(code->string_view())) {
    return Invalid(field, fmt::format("\"{}\" is not an ISO 3166-1 alpha-3 country code",
                                      code->size() <= 8 ? code->str() : std::string("...")));
  }
  return OkStatus();
}

bool IsSet(const fb::Uuid* id) { return id != nullptr && !EventId::FromFb(*id).IsNil(); }

Status CheckDestination(const fb::Destination& d, const std::string& field) {
  if (auto s = CheckCountry(d.country(), field + ".country", true); !s.ok()) return s;
  bool has_agency = d.agency() != nullptr && d.agency()->size() > 0;
  bool has_role = d.role() != fb::Role::Unspecified;
  if (has_agency == has_role) {
    return Invalid(field, "needs exactly one of agency or role");
  }
  if (has_agency && !IsAgencyId(d.agency()->string_view())) {
    return Invalid(field + ".agency", "is not an agency id (1-64 of a-z, 0-9, '-')");
  }
  if (has_role && fb::EnumNameRole(d.role())[0] == '\0') {
    return Invalid(field + ".role", "is not a known role");
  }
  return OkStatus();
}

Status CheckRouting(const fb::Event& e) {
  size_t n_dest = e.destinations() ? e.destinations()->size() : 0;
  for (size_t i = 0; i < n_dest; ++i) {
    if (auto s = CheckDestination(*e.destinations()->Get(i), fmt::format("destinations[{}]", i));
        !s.ok()) {
      return s;
    }
  }
  auto kind = e.distribution() ? e.distribution()->kind() : fb::DistributionKind::Addressed;
  size_t n_countries = e.distribution() && e.distribution()->countries()
                           ? e.distribution()->countries()->size()
                           : 0;
  switch (kind) {
    case fb::DistributionKind::Addressed:
      if (n_dest == 0) return Invalid("destinations", "an addressed event needs a destination");
      break;
    case fb::DistributionKind::SelectedCountries:
      if (n_countries == 0) {
        return Invalid("distribution.countries", "selected-countries distribution needs countries");
      }
      for (size_t i = 0; i < n_countries; ++i) {
        if (auto s = CheckCountry(e.distribution()->countries()->Get(i),
                                  fmt::format("distribution.countries[{}]", i), true);
            !s.ok()) {
          return s;
        }
      }
      break;
    case fb::DistributionKind::Regional:
      if (n_countries != 0) {
        return Invalid("distribution.countries", "a regional distribution names no countries");
      }
      break;
    default:
      return Invalid("distribution.kind", "is not a known distribution kind");
  }
  return OkStatus();
}

Status CheckEnvelope(const fb::Event& e) {
  EventId id = EventId::FromFb(*e.id());
  if (!id.IsV7()) return Invalid("id", "is not a UUIDv7");
  if (e.schema_version() < 1 || e.schema_version() > kSchemaVersion) {
    return Invalid("schema_version", fmt::format("{} is not a version this build knows (1..{})",
                                                 e.schema_version(), kSchemaVersion));
  }
  if (e.created_at_us() < kEarliestMicros) {
    return Invalid("created_at_us", "is required (Unix microseconds, UTC)");
  }
  if (auto s = CheckCountry(e.origin()->country(), "origin.country", true); !s.ok()) return s;
  if (!IsAgencyId(e.origin()->agency()->string_view())) {
    return Invalid("origin.agency", "is not an agency id (1-64 of a-z, 0-9, '-')");
  }
  if (fb::EnumNamePriority(e.priority())[0] == '\0') {
    return Invalid("priority", "is not a known priority");
  }
  if (e.response_due_us() != 0 && e.response_due_us() <= e.created_at_us()) {
    return Invalid("response_due_us", "must be after created_at_us");
  }
  if (fb::EnumNameHandlingCode(e.handling())[0] == '\0') {
    return Invalid("handling", "is not a known handling code");
  }
  if (e.handling() == fb::HandlingCode::H3 &&
      (e.handling_text() == nullptr || e.handling_text()->size() == 0)) {
    return Invalid("handling_text", "is required with handling code H3");
  }
  if (e.case_id() != nullptr && e.case_id()->size() > kMaxCaseIdBytes) {
    return Invalid("case_id", fmt::format("is longer than {} bytes", kMaxCaseIdBytes));
  }
  // Case ids and officer ids become keys and log fields at every node: no
  // control characters, no separators, nothing a terminal interprets.
  if (e.case_id() != nullptr && !IsCaseId(e.case_id()->string_view(), true)) {
    return Invalid("case_id", "may hold only letters A-Z a-z, digits and . _ : / -");
  }
  if (e.officer() != nullptr && !IsCaseId(e.officer()->string_view(), true)) {
    return Invalid("officer", "may hold only letters, digits and . _ : / - (an account id)");
  }
  if (e.national_refs()) {
    for (size_t i = 0; i < e.national_refs()->size(); ++i) {
      if (auto s = CheckCountry(e.national_refs()->Get(i)->country(),
                                fmt::format("national_refs[{}].country", i), true);
          !s.ok()) {
        return s;
      }
    }
  }
  if (e.language() != nullptr && !IsLanguageCode(e.language()->string_view())) {
    return Invalid("language", "is not an ISO 639 code (2-3 lower-case letters)");
  }
  if (e.attachments()) {
    for (size_t i = 0; i < e.attachments()->size(); ++i) {
      if (e.attachments()->Get(i)->sha256()->size() != kSha256Bytes) {
        return Invalid(fmt::format("attachments[{}].sha256", i), "must be 32 bytes");
      }
    }
  }
  return CheckRouting(e);
}

Status CheckReferralCreated(const fb::ReferralCreated& r) {
  const fb::VictimBlock& v = *r.victim();
  if (v.pseudonym()->size() == 0) return Invalid("body.victim.pseudonym", "is required");
  if (v.minor() && v.guardian() == nullptr) {
    return Invalid("body.victim.guardian", "is required for a minor");
  }
  if (auto s = CheckCountry(v.nationality_claimed(), "body.victim.nationality_claimed", false);
      !s.ok()) {
    return s;
  }
  if (v.languages()) {
    for (size_t i = 0; i < v.languages()->size(); ++i) {
      if (!IsLanguageCode(v.languages()->Get(i)->string_view())) {
        return Invalid(fmt::format("body.victim.languages[{}]", i), "is not an ISO 639 code");
      }
    }
  }
  return OkStatus();
}

Status CheckAlert(const fb::Event& e, const fb::AlertPublished& a) {
  if (a.expires_at_us() <= e.created_at_us()) {
    return Invalid("body.expires_at_us", "must be after created_at_us");
  }
  if (a.target_countries()) {
    for (size_t i = 0; i < a.target_countries()->size(); ++i) {
      if (auto s = CheckCountry(a.target_countries()->Get(i),
                                fmt::format("body.target_countries[{}]", i), true);
          !s.ok()) {
        return s;
      }
    }
  }
  return OkStatus();
}

// Bodies that answer an earlier event must say which.
bool NeedsParent(fb::Body type) {
  switch (type) {
    case fb::Body::ReferralCreated:
    case fb::Body::InformationRequested:
    case fb::Body::SpontaneousInformation:
    case fb::Body::CasesLinked:
    case fb::Body::AlertPublished:
    case fb::Body::CaseErased:
      return false;
    default:
      return true;
  }
}

// A sealed envelope's structure (its content is validated by the node that
// opens it): lib `lintas::seal` writes it, docs/SECURITY.md describes it.
Status CheckSealed(const fb::Event& e) {
  const fb::Sealed& s = *e.sealed();
  if (e.schema_version() < 2) return Invalid("schema_version", "must be 2 or more for a sealed event");
  if (s.algorithm() != 1) return Invalid("sealed.algorithm", "is not a known algorithm (1)");
  if (s.nonce()->size() != 24) return Invalid("sealed.nonce", "must be 24 bytes");
  if (s.ciphertext()->size() < 16) return Invalid("sealed.ciphertext", "is shorter than its tag");
  if (s.keys()->size() == 0 || s.keys()->size() > 64) return Invalid("sealed.keys", "must hold 1 to 64 keys");
  for (size_t i = 0; i < s.keys()->size(); ++i) {
    const fb::SealedKey& k = *s.keys()->Get(i);
    if (!IsCaseId(k.node()->string_view(), false) || k.node()->size() > 64) {
      return Invalid(fmt::format("sealed.keys[{}].node", i), "is not a node id");
    }
    if (k.key_id()->size() != 8) return Invalid(fmt::format("sealed.keys[{}].key_id", i), "must be 8 bytes");
    if (k.wrapped()->size() != 80) return Invalid(fmt::format("sealed.keys[{}].wrapped", i), "must be 80 bytes");
  }
  if ((e.attachments() && e.attachments()->size() > 0) || (e.national_refs() && e.national_refs()->size() > 0)) {
    return Invalid("sealed", "attachments and national_refs travel inside the sealed content only");
  }
  return OkStatus();
}

Status CheckBody(const fb::Event& e) {
  fb::Body type = e.body_type();
  if (type == fb::Body::NONE || BodyName(type) == "NONE") {
    return Invalid("body_type", "is not a known body type");
  }
  if (NeedsParent(type) && !IsSet(e.parent_id())) {
    return Invalid("parent_id", fmt::format("is required for {}", BodyName(type)));
  }
  if ((IsReferralBody(type) || type == fb::Body::InformationRequested || type == fb::Body::CaseErased) &&
      (e.case_id() == nullptr || e.case_id()->size() == 0)) {
    return Invalid("case_id", fmt::format("is required for {}", BodyName(type)));
  }
  if (type == fb::Body::CaseErased && e.schema_version() < 3) {
    return Invalid("schema_version", "must be 3 or more for CaseErased");
  }
  if (e.sealed() != nullptr) return CheckSealed(e);
  switch (type) {
    case fb::Body::CaseErased:
      if (e.body_as_CaseErased()->justification()->size() == 0) {
        return Invalid("body.justification", "is required: why the case is erased");
      }
      return OkStatus();
    case fb::Body::ReferralCreated:
      return CheckReferralCreated(*e.body_as_ReferralCreated());
    case fb::Body::AlertPublished:
      return CheckAlert(e, *e.body_as_AlertPublished());
    case fb::Body::DeadlineExtended:
      if (e.body_as_DeadlineExtended()->new_due_us() <= e.created_at_us()) {
        return Invalid("body.new_due_us", "must be after created_at_us");
      }
      return OkStatus();
    case fb::Body::InformationDelayed:
      if (e.body_as_InformationDelayed()->new_due_us() <= e.created_at_us()) {
        return Invalid("body.new_due_us", "must be after created_at_us");
      }
      return OkStatus();
    case fb::Body::ReferralDeclined: {
      const auto* suggested = e.body_as_ReferralDeclined()->suggested();
      return suggested ? CheckDestination(*suggested, "body.suggested") : OkStatus();
    }
    case fb::Body::CasesLinked:
      if (e.body_as_CasesLinked()->case_ids()->size() == 0) {
        return Invalid("body.case_ids", "needs at least one case id");
      }
      return OkStatus();
    default:
      return OkStatus();
  }
}

}  // namespace

bool IsCaseId(std::string_view id, bool allow_empty) {
  if (id.empty()) return allow_empty;
  if (id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == ':' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsAgencyId(std::string_view id) {
  if (id.empty() || id.size() > 64 || id[0] < 'a' || id[0] > 'z') return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string_view BodyName(fb::Body type) {
  if (type > fb::Body::MAX) return "NONE";
  return fb::EnumNameBody(type);
}

bool IsReferralBody(fb::Body type) {
  return type >= fb::Body::ReferralCreated && type <= fb::Body::ReferralClosed;
}

Status ValidateEvent(const fb::Event& event) {
  if (auto s = CheckEnvelope(event); !s.ok()) return s;
  return CheckBody(event);
}

}  // namespace lintas::wire
