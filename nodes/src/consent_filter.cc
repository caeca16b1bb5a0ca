// Views of a case's data within the victim's consent: one filter for cases, items and events.
#include "consent_filter.h"

#include <optional>
#include <string>

#include "consent_scope.h"

namespace lintas::node::consent {
namespace {

using nlohmann::json;

bool WithdrawnAll(const json& record) {
  return record.is_object() && record.contains("withdrawn_all") && record["withdrawn_all"].is_object();
}

bool InScope(const json& record, const std::string& name) {
  if (WithdrawnAll(record)) return false;
  const json& items = record.contains("items") ? record["items"] : json::array();
  for (const auto& i : items) {
    if (i == name) return true;
  }
  return false;
}

bool InScope(const json& record, fb::ConsentItem item) { return InScope(record, fb::EnumNameConsentItem(item)); }

// Whether an attachment of `media_type` may be shown.
bool AttachmentShown(const json& record, const std::string& media_type) {
  if (WithdrawnAll(record)) return false;
  auto need = ItemForMediaType(media_type);
  return !need || InScope(record, *need);
}

bool NeedShown(const json& record, const json& need) {
  bool health = need.is_string() && IsHealthNeed(need.get<std::string>());
  return InScope(record, health ? fb::ConsentItem::Health : fb::ConsentItem::Identity);
}

// Why `field` (needing `item`; empty when every item is gone) is hidden.
json Note(const json& record, const std::string& field, const std::string& item) {
  json note{{"field", field}, {"item", item.empty() ? "all" : item}};
  const json* w = nullptr;
  if (WithdrawnAll(record)) w = &record["withdrawn_all"];
  for (const auto& x : record.value("withdrawn", json::array())) {
    if (!item.empty() && x.value("item", "") == item) {
      note["item"] = item;
      note["at_us"] = x.value("at_us", int64_t{0});
      note["by"] = x.value("by", json::object());
      note["officer"] = x.value("officer", "");
      return note;
    }
  }
  if (w != nullptr) {
    note["at_us"] = w->value("at_us", int64_t{0});
    note["by"] = w->value("by", json::object());
    note["officer"] = w->value("officer", "");
  } else {
    note["reason"] = "outside_scope";
  }
  return note;
}

std::string ItemOfMediaType(const std::string& media_type) {
  auto need = ItemForMediaType(media_type);
  return need ? fb::EnumNameConsentItem(*need) : "";
}

void PurgeAttachments(json& list, const json& record) {
  if (!list.is_array()) return;
  json kept = json::array();
  for (auto& a : list) {
    if (AttachmentShown(record, a.value("media_type", ""))) kept.push_back(std::move(a));
  }
  list = std::move(kept);
}

void PurgeVictim(json& item, const json& record) {
  if (!item.contains("victim_details")) return;
  if (WithdrawnAll(record)) {
    item.erase("victim_details");
    return;
  }
  json& v = item["victim_details"];
  if (!InScope(record, fb::ConsentItem::Identity)) {
    for (const char* f : kIdentityFields) v.erase(f);
  }
  if (v.contains("needs") && v["needs"].is_array()) {
    json kept = json::array();
    for (const auto& n : v["needs"]) {
      if (NeedShown(record, n)) kept.push_back(n);
    }
    v["needs"] = kept;
  }
}

// The event's victim block, within the record; notes what went.
void FilterVictim(json& body, const json& record, json& notes) {
  if (!body.contains("victim") || !body["victim"].is_object()) return;
  json& v = body["victim"];
  if (WithdrawnAll(record)) {
    json kept{{"pseudonym", v.value("pseudonym", "")}};
    if (v.size() > 1) notes.push_back(Note(record, "body.victim", ""));
    v = kept;
    return;
  }
  if (!InScope(record, fb::ConsentItem::Identity)) {
    for (const char* f : kIdentityFields) {
      if (v.contains(f) && v.erase(f) > 0 && std::string(f) != "age_is_estimate") {
        notes.push_back(Note(record, std::string("body.victim.") + f, "Identity"));
      }
    }
  }
  if (v.contains("needs") && v["needs"].is_array()) {
    json kept = json::array();
    for (size_t i = 0; i < v["needs"].size(); ++i) {
      const json& n = v["needs"][i];
      if (NeedShown(record, n)) {
        kept.push_back(n);
      } else {
        bool health = n.is_string() && IsHealthNeed(n.get<std::string>());
        notes.push_back(Note(record, "body.victim.needs[" + std::to_string(i) + "]", health ? "Health" : "Identity"));
      }
    }
    v["needs"] = kept;
  }
}

void FilterConsentScope(json& body, const json& record, json& notes) {
  if (!body.contains("consent") || !body["consent"].is_object() || !body["consent"].contains("items")) return;
  json kept = json::array();
  for (const auto& i : body["consent"]["items"]) {
    if (i.is_string() && InScope(record, i.get<std::string>())) {
      kept.push_back(i);
    } else if (i.is_string()) {
      notes.push_back(Note(record, "body.consent.items", WithdrawnAll(record) ? "" : i.get<std::string>()));
    }
  }
  body["consent"]["items"] = kept;
}

bool ReturnType(const std::string& type) { return type == "ReturnPlanned" || type == "ReturnExecuted"; }

}  // namespace

void Purge(json& item, const json& record) {
  if (!record.is_object() || item.value("kind", "") == "alert") return;
  if (item.contains("consent")) item["consent"] = record.value("items", json::array());
  if (item.contains("attachments")) PurgeAttachments(item["attachments"], record);
  PurgeVictim(item, record);
  if (item.contains("return") && !InScope(record, fb::ConsentItem::ReturnLogistics)) item.erase("return");
}

void FilterItem(json& item, const json& record) {
  if (!record.is_object() || item.value("kind", "") == "alert") return;
  Purge(item, record);
  if (!record.value("withdrawn", json::array()).empty()) item["consent_withdrawn"] = record["withdrawn"];
  if (WithdrawnAll(record)) item["consent_withdrawn_all"] = record["withdrawn_all"];
}

void FilterCase(json& view) {
  if (!view.contains("consent") || !view["consent"].is_object()) return;
  const json record = view["consent"];
  if (view.contains("items")) {
    for (auto& item : view["items"]) FilterItem(item, record);
  }
  if (view.contains("events") && !InScope(record, fb::ConsentItem::ReturnLogistics)) {
    for (auto& e : view["events"]) {
      if (!ReturnType(e.value("type", ""))) continue;
      e["detail"] = json::object();
      e["hidden"] = Note(record, "detail", WithdrawnAll(record) ? "" : "ReturnLogistics");
    }
  }
}

json FilterEvent(json& event, const json& record) {
  json notes = json::array();
  if (!record.is_object() || !event.is_object()) return notes;
  if (event.contains("attachments") && event["attachments"].is_array()) {
    json kept = json::array();
    for (size_t i = 0; i < event["attachments"].size(); ++i) {
      json& a = event["attachments"][i];
      std::string mt = a.value("media_type", "");
      if (AttachmentShown(record, mt)) {
        kept.push_back(std::move(a));
      } else {
        notes.push_back(Note(record, "attachments[" + std::to_string(i) + "]",
                             WithdrawnAll(record) ? "" : ItemOfMediaType(mt)));
      }
    }
    event["attachments"] = kept;
  }
  std::string type = event.value("body_type", "");
  if (!event.contains("body") || !event["body"].is_object()) return notes;
  json& body = event["body"];
  if (type == "ReferralCreated") {
    FilterVictim(body, record, notes);
    FilterConsentScope(body, record, notes);
  } else if (ReturnType(type) && !InScope(record, fb::ConsentItem::ReturnLogistics)) {
    body = json::object();
    notes.push_back(Note(record, "body", WithdrawnAll(record) ? "" : "ReturnLogistics"));
  }
  return notes;
}

}  // namespace lintas::node::consent
