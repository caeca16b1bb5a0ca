// The consent scope: what each piece of an event needs, the case's record, the check before sending.
#include "consent_scope.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "lintas/node/errc.h"
#include "lintas/wire/event_id.h"

namespace lintas::node::consent {
namespace {

using nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Biometric media types (docs/CONSENT.md): fingerprint images (WSQ), ANSI/NIST-ITL
// records, ISO/IEC 19794 templates, and the generic x-biometric family.
constexpr std::array<std::string_view, 5> kBiometricTypes = {
    "image/x-wsq", "application/x-ansi-nist", "application/vnd.nist.itl", "application/vnd.iso.19794",
    "application/x-biometric"};

std::string Name(fb::ConsentItem item) { return fb::EnumNameConsentItem(item); }

bool Has(const json& list, const std::string& name) {
  return list.is_array() && std::find(list.begin(), list.end(), json(name)) != list.end();
}

json EmptyRecord() { return {{"items", json::array()}, {"withdrawn", json::array()}, {"withdrawn_all", nullptr}}; }

json Normalised(const json& before) {
  json r = before.is_object() ? before : EmptyRecord();
  if (!r["items"].is_array()) r["items"] = json::array();
  if (!r["withdrawn"].is_array()) r["withdrawn"] = json::array();
  if (!r.contains("withdrawn_all")) r["withdrawn_all"] = nullptr;
  return r;
}

// The withdrawal entry of `name`, or null.
const json* WithdrawalOf(const json& record, const std::string& name) {
  if (!record.is_object() || !record.contains("withdrawn")) return nullptr;
  for (const auto& w : record["withdrawn"]) {
    if (w.value("item", "") == name) return &w;
  }
  return nullptr;
}

json Withdrawal(const fb::Event& e) {
  auto str = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
  return {{"at_us", e.created_at_us()},
          {"by", {{"country", str(e.origin()->country())}, {"agency", str(e.origin()->agency())}}},
          {"officer", str(e.officer())},
          {"event_id", wire::EventId::FromFb(*e.id()).ToString()}};
}

void AddWithdrawal(json& record, const std::string& name, const json& base) {
  if (WithdrawalOf(record, name) != nullptr) return;  // the first withdrawal says from when
  json w = base;
  w["item"] = name;
  record["withdrawn"].push_back(std::move(w));
}

void Remove(json& list, const std::string& name) {
  list.erase(std::remove(list.begin(), list.end(), json(name)), list.end());
}

Error Outside(const std::string& field, const std::string& message) {
  return Error{errc::outside_consent, field + ": " + message, field};
}

}  // namespace

bool IsHealthNeed(std::string_view need) {
  size_t i = 0;
  while (i < need.size() && std::isspace(static_cast<unsigned char>(need[i]))) ++i;
  return StartsWith(Lower(need.substr(i)), "health:");
}

std::optional<fb::ConsentItem> ItemForMediaType(std::string_view media_type) {
  std::string mt = Lower(media_type);
  for (auto t : kBiometricTypes) {
    if (StartsWith(mt, t)) return fb::ConsentItem::Biometrics;
  }
  if (StartsWith(mt, "image/") || StartsWith(mt, "video/")) return fb::ConsentItem::Photograph;
  if (StartsWith(mt, "audio/")) return fb::ConsentItem::Testimony;
  return std::nullopt;
}

std::vector<Need> Needs(const fb::Event& e) {
  std::vector<Need> out;
  if (e.attachments()) {
    for (size_t i = 0; i < e.attachments()->size(); ++i) {
      std::string mt = e.attachments()->Get(i)->media_type()->str();
      if (auto item = ItemForMediaType(mt)) out.push_back({fmt::format("attachments[{}]", i), *item, "a " + mt + " attachment"});
    }
  }
  if (e.body_type() == fb::Body::ReferralCreated) {
    const fb::VictimBlock* v = e.body_as_ReferralCreated()->victim();
    auto identity = [&](const char* field, const char* what) {
      out.push_back({std::string("body.victim.") + field, fb::ConsentItem::Identity, what});
    };
    if (v->sex() != fb::Sex::Unknown) identity("sex", "the victim's sex");
    if (v->age_years() > 0) identity("age_years", "the victim's age");
    if (v->nationality_claimed() && v->nationality_claimed()->size() > 0) identity("nationality_claimed", "the victim's nationality");
    if (v->languages() && v->languages()->size() > 0) identity("languages", "the victim's languages");
    if (v->needs()) {
      for (size_t i = 0; i < v->needs()->size(); ++i) {
        bool health = IsHealthNeed(v->needs()->Get(i)->string_view());
        out.push_back({fmt::format("body.victim.needs[{}]", i),
                       health ? fb::ConsentItem::Health : fb::ConsentItem::Identity,
                       health ? "a health need" : "the victim's needs"});
      }
    }
  }
  if (e.body_type() == fb::Body::ReturnPlanned || e.body_type() == fb::Body::ReturnExecuted) {
    out.push_back({"body_type", fb::ConsentItem::ReturnLogistics, "a return plan or hand-over"});
  }
  return out;
}

bool AllowedAfterWithdrawal(fb::Body body) {
  switch (body) {
    case fb::Body::ConsentChanged:
    case fb::Body::ReferralClosed:
    case fb::Body::ReferralDeclined:
    case fb::Body::DeliveryReceipt:
    case fb::Body::ReadReceipt:
      return true;
    default:
      return false;
  }
}

json AfterReferral(const json& before, const fb::ReferralCreated& referral) {
  json r = Normalised(before);
  json items = json::array();
  if (referral.consent() && referral.consent()->items() && r["withdrawn_all"].is_null()) {
    for (auto i : *referral.consent()->items()) {
      std::string name = Name(static_cast<fb::ConsentItem>(i));
      if (WithdrawalOf(r, name) == nullptr && !Has(items, name)) items.push_back(name);
    }
  }
  r["items"] = items;
  return r;
}

json AfterChange(const json& before, const fb::Event& change) {
  json r = Normalised(before);
  const fb::ConsentChanged* c = change.body_as_ConsentChanged();
  if (c == nullptr) return r;
  json base = Withdrawal(change);
  if (c->withdrawn_all()) {
    for (const auto& i : r["items"]) AddWithdrawal(r, i.get<std::string>(), base);
    if (c->withdrawn()) {
      for (auto i : *c->withdrawn()) AddWithdrawal(r, Name(static_cast<fb::ConsentItem>(i)), base);
    }
    r["items"] = json::array();
    if (r["withdrawn_all"].is_null()) r["withdrawn_all"] = base;
    return r;
  }
  if (c->consent() && c->consent()->items()) {  // a new scope: what it leaves out is withdrawn
    json scope = json::array();
    for (auto i : *c->consent()->items()) scope.push_back(Name(static_cast<fb::ConsentItem>(i)));
    for (const auto& i : r["items"]) {
      if (!Has(scope, i.get<std::string>())) AddWithdrawal(r, i.get<std::string>(), base);
    }
    json kept = json::array();
    for (const auto& w : r["withdrawn"]) {
      if (!Has(scope, w.value("item", ""))) kept.push_back(w);
    }
    r["withdrawn"] = kept;
    r["items"] = scope;
    r["withdrawn_all"] = nullptr;
  }
  if (c->withdrawn()) {
    for (auto i : *c->withdrawn()) {
      std::string name = Name(static_cast<fb::ConsentItem>(i));
      Remove(r["items"], name);
      AddWithdrawal(r, name, base);
    }
  }
  return r;
}

std::vector<std::string> WithdrawnItems(const json& record) {
  std::vector<std::string> out;
  if (!record.is_object() || !record.contains("withdrawn")) return out;
  for (const auto& w : record["withdrawn"]) out.push_back(w.value("item", ""));
  return out;
}

json AttachmentsJson(const fb::Event& e) {
  json out = json::array();
  if (!e.attachments()) return out;
  std::string id = wire::EventId::FromFb(*e.id()).ToString();
  for (const auto* a : *e.attachments()) {
    std::string hex;
    for (auto b : *a->sha256()) hex += fmt::format("{:02x}", b);
    out.push_back({{"event_id", id}, {"media_type", a->media_type()->str()}, {"size", a->size()},
                   {"sha256", hex}, {"location", a->location()->str()}});
  }
  return out;
}

json VictimDetailsJson(const fb::VictimBlock& v) {
  json d = json::object();
  if (v.sex() != fb::Sex::Unknown) d["sex"] = fb::EnumNameSex(v.sex());
  if (v.age_years() > 0) {
    d["age_years"] = v.age_years();
    d["age_is_estimate"] = v.age_is_estimate();
  }
  if (v.nationality_claimed() && v.nationality_claimed()->size() > 0) d["nationality_claimed"] = v.nationality_claimed()->str();
  auto list = [](const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* l) {
    json out = json::array();
    if (l) for (const auto* s : *l) out.push_back(s->str());
    return out;
  };
  if (v.languages() && v.languages()->size() > 0) d["languages"] = list(v.languages());
  if (v.needs() && v.needs()->size() > 0) d["needs"] = list(v.needs());
  return d;
}

std::string WhenBy(const json& w) {
  std::time_t t = static_cast<std::time_t>(w.value("at_us", int64_t{0}) / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> date{};
  std::strftime(date.data(), date.size(), "%Y-%m-%d %H:%M UTC", &tm);
  const json& by = w.contains("by") ? w["by"] : json::object();
  return fmt::format("{} by {}/{}", date.data(), by.value("country", ""), by.value("agency", ""));
}

Status Check(const fb::Event& e, const json& record) {
  bool known = record.is_object();
  if (known && record.contains("withdrawn_all") && record["withdrawn_all"].is_object() &&
      !AllowedAfterWithdrawal(e.body_type())) {
    return Outside("case_id", "the victim withdrew consent entirely (" + WhenBy(record["withdrawn_all"]) +
                                  "); only consent changes, closures, declines and receipts may be sent in this case");
  }
  json scope = json::array();
  if (e.body_type() == fb::Body::ReferralCreated) {
    const auto* c = e.body_as_ReferralCreated()->consent();
    if (c && c->items()) {
      for (auto i : *c->items()) {
        std::string name = Name(static_cast<fb::ConsentItem>(i));
        if (const json* w = WithdrawalOf(record, name)) {
          return Outside("body.consent.items", name + " was withdrawn in this case (" + WhenBy(*w) +
                                                   "); record a consent change on the case to grant it again");
        }
        scope.push_back(name);
      }
    }
  } else if (known) {
    scope = record.value("items", json::array());
  } else {
    return OkStatus();  // no referral in the case here: no victim's scope to judge by
  }
  for (const auto& need : Needs(e)) {
    std::string name = Name(need.item);
    if (Has(scope, name)) continue;
    if (const json* w = WithdrawalOf(record, name)) {
      return Outside(need.field, fmt::format("{} needs the victim's consent to {}, which was withdrawn ({})", need.what,
                                             name, WhenBy(*w)));
    }
    std::string have;
    for (const auto& s : scope) have += (have.empty() ? "" : ", ") + s.get<std::string>();
    return Outside(need.field, fmt::format("{} needs the victim's consent to {}, which the consent scope ({}) does "
                                           "not include",
                                           need.what, name, have.empty() ? "empty" : have));
  }
  return OkStatus();
}

}  // namespace lintas::node::consent
