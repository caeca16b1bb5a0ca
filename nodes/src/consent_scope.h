// The victim's consent scope at the node (docs/CONSENT.md): which consent item
// each piece of an event needs, the case's consent record and how referrals
// and consent changes move it, and the check a node makes before it sends an
// event. Private to lintas::node. Pure functions; thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"

namespace lintas::node::consent {

// The consent item a media type needs: Biometrics for the biometric types
// listed in docs/CONSENT.md, Photograph for other image/* and video/*,
// Testimony for audio/*; nullopt for anything else (documents: the sender's
// judgement).
[[nodiscard]] std::optional<fb::ConsentItem> ItemForMediaType(std::string_view media_type);

// The victim-block fields Identity covers (schema names). The pseudonym, the
// minor flag and the guardian's pseudonym need no item: without them there is
// no referral (and a minor's guardian is who consents).
inline constexpr std::array<const char*, 5> kIdentityFields = {"sex", "age_years", "age_is_estimate",
                                                                "nationality_claimed", "languages"};

// Whether a `needs` entry is health data: it starts with "health:" (any
// case). Health covers those; Identity the other entries.
[[nodiscard]] bool IsHealthNeed(std::string_view need);

// One piece of an event's data and the consent item it needs. `field` is the
// schema path (attachments[0], body.victim.age_years, body_type).
struct Need {
  std::string field;
  fb::ConsentItem item;
  std::string what;  // in plain words, for messages ("an image/jpeg attachment")
};

// Every piece of `e` that needs a consent item, in field order.
[[nodiscard]] std::vector<Need> Needs(const fb::Event& e);

// Whether a body may be sent, and is shown, after consent was withdrawn
// entirely: consent changes, closures, declines and receipts.
[[nodiscard]] bool AllowedAfterWithdrawal(fb::Body body);

// The case's consent record, kept in the case header as "consent":
//   {"items": ["Identity", ...],            what may be shared now
//    "withdrawn": [{"item", "at_us", "by": {country, agency}, "officer", "event_id"}],
//    "withdrawn_all": null | {"at_us", "by", "officer", "event_id"}}
// A referral's scope starts the record (or replaces its items: the latest
// scope recorded, without what was withdrawn); a ConsentChanged moves it.
[[nodiscard]] nlohmann::json AfterReferral(const nlohmann::json& before, const fb::ReferralCreated& referral);
[[nodiscard]] nlohmann::json AfterChange(const nlohmann::json& before, const fb::Event& change);

// The names of a record's items that are withdrawn (every item ever granted
// when consent was withdrawn entirely).
[[nodiscard]] std::vector<std::string> WithdrawnItems(const nlohmann::json& record);

// Whether `e` may be sent in a case whose consent record is `record` (null:
// no referral known in the case; a referral is judged by its own scope).
// Error outside_consent naming the first field outside the scope.
[[nodiscard]] Status Check(const fb::Event& e, const nlohmann::json& record);

// What the case model keeps of an event's attachments (references, never
// content): [{event_id, media_type, size, sha256 (hex), location}].
[[nodiscard]] nlohmann::json AttachmentsJson(const fb::Event& e);
// What the case model keeps of a victim block beyond the pseudonym and the
// minor flag: {sex, age_years, age_is_estimate, nationality_claimed,
// languages, needs} (fields left out when not given).
[[nodiscard]] nlohmann::json VictimDetailsJson(const fb::VictimBlock& victim);

// "2026-12-09 10:00 UTC by THA/th-rtp-atpd", for messages.
[[nodiscard]] std::string WhenBy(const nlohmann::json& withdrawal);

}  // namespace lintas::node::consent
