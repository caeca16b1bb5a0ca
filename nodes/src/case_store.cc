// The case model: transactions over the cases column family, and the views.
#include "lintas/node/case_store.h"

#include <algorithm>

#include <fmt/format.h>

#include "case_keys.h"
#include "consent_filter.h"
#include "lintas/node/errc.h"

namespace lintas::node {

using nlohmann::json;

int64_t CaseOptions::DefaultDue(fb::Priority p) const {
  switch (p) {
    case fb::Priority::LifeThreatening: return due_life_threatening_us;
    case fb::Priority::Urgent: return due_urgent_us;
    default: return due_routine_us;
  }
}

int64_t CaseOptions::EscalateAfter(fb::Priority p) const {
  switch (p) {
    case fb::Priority::LifeThreatening: return escalate_life_threatening_us;
    case fb::Priority::Urgent: return escalate_urgent_us;
    default: return escalate_routine_us;
  }
}

bool AwaitsAnswer(const std::string& kind, const std::string& state) {
  if (kind == "referral") {
    return state == "sent" || state == "delivered" || state == "received" || state == "acknowledged";
  }
  if (kind == "request") return state == "requested" || state == "delayed";
  return false;
}

CaseTxn::CaseTxn(CaseStore* cases) : cases_(cases), lock_(cases->mu_) {}
CaseTxn::~CaseTxn() = default;

Result<std::optional<std::string>> CaseTxn::ReadRaw(const std::string& key) {
  if (auto it = overlay_.find(key); it != overlay_.end()) return it->second;
  return cases_->store_->Get(Cf::kCases, key);
}

Result<std::optional<json>> CaseTxn::Read(const std::string& key) {
  auto raw = ReadRaw(key);
  if (!raw.ok()) return std::move(raw).error();
  if (!raw->has_value()) return std::optional<json>();
  json j = json::parse(**raw, nullptr, false);
  if (j.is_discarded()) return Error{errc::storage, "case model: unreadable entry " + key};
  return std::optional<json>(std::move(j));
}

void CaseTxn::Remember(const std::string& key) {
  if (undo_.count(key)) return;
  auto it = overlay_.find(key);
  undo_[key] = it == overlay_.end() ? std::nullopt : std::optional<std::optional<std::string>>(it->second);
}

void CaseTxn::Put(const std::string& key, const std::string& value) {
  Remember(key);
  overlay_[key] = value;
}

const WriteSet& CaseTxn::writes() {
  writes_ = WriteSet();
  for (const auto& [key, value] : overlay_) {
    if (value) {
      writes_.Put(Cf::kCases, key, *value);
    } else {
      writes_.Delete(Cf::kCases, key);
    }
  }
  writes_.Append(alongside_);
  return writes_;
}

void CaseTxn::Write(const std::string& key, const json& value) {
  Put(key, value.dump(-1, ' ', false, json::error_handler_t::replace));
}

void CaseTxn::Erase(const std::string& key) {
  Remember(key);
  overlay_[key] = std::nullopt;
}

void CaseTxn::Reindex(const json& before, const json& after, int64_t) {
  auto key = [](const json& item) -> std::string {
    if (item.is_null() || !AwaitsAnswer(item.value("kind", ""), item.value("state", ""))) return {};
    int64_t due = item.value("due_us", int64_t{0});
    if (due <= 0) return {};
    return keys::Due(due, item.value("case_id", ""), item.value("item_id", ""));
  };
  std::string old_key = key(before);
  std::string new_key = key(after);
  if (old_key == new_key) return;
  if (!old_key.empty()) Erase(old_key);
  if (!new_key.empty()) Put(new_key, after.value("local_agency", ""));
}

void CaseTxn::TouchCase(json& kase, int64_t updated_at) {
  int64_t old = kase.value("updated_at_us", int64_t{0});
  std::string id = kase.value("case_id", "");
  if (old != 0 && old != updated_at) Erase(keys::Updated(old, id));
  kase["updated_at_us"] = updated_at;
  Put(keys::Updated(updated_at, id), "");
  Write(keys::Case(id), kase);
}

void CaseTxn::RecordMiss(const json& item, int64_t answered_at_us, int64_t now) {
  int64_t due = item.value("due_us", int64_t{0});
  std::string key = keys::Missed(item.value("case_id", ""), item.value("item_id", ""), due);
  auto existing = Read(key);
  json miss = existing.ok() && existing->has_value() ? **existing : json::object();
  // Recorded already, and nothing new to add: no write (the overdue list
  // sees the same misses on every call).
  if (!miss.empty() && (answered_at_us == 0 || miss.value("answered_at_us", int64_t{0}) == answered_at_us)) return;
  if (miss.empty()) {
    miss = {{"case_id", item.value("case_id", "")}, {"item_id", item.value("item_id", "")},
            {"kind", item.value("kind", "")},       {"direction", item.value("direction", "")},
            {"priority", item.value("priority", "")}, {"due_us", due},
            {"local_agency", item.value("local_agency", "")},
            {"counterpart", item.value("counterpart", json::object())},
            {"recorded_at_us", now},                 {"answered_at_us", 0}};
  }
  if (answered_at_us > 0) miss["answered_at_us"] = answered_at_us;
  Write(key, miss);
}

CaseStore::CaseStore(NodeStore* store, CaseOptions options) : store_(store), options_(std::move(options)) {}

std::unique_ptr<CaseTxn> CaseStore::Begin() { return std::unique_ptr<CaseTxn>(new CaseTxn(this)); }

namespace {

Result<std::optional<json>> ReadJson(NodeStore* store, const std::string& key) {
  auto raw = store->Get(Cf::kCases, key);
  if (!raw.ok()) return std::move(raw).error();
  if (!raw->has_value()) return std::optional<json>();
  json j = json::parse(**raw, nullptr, false);
  if (j.is_discarded()) return std::optional<json>();
  return std::optional<json>(std::move(j));
}

int PriorityRank(const json& item) { return item.value("priority_rank", 0); }

}  // namespace

void CaseStore::Decorate(json& item, int64_t now) const {
  std::string kind = item.value("kind", "");
  if (kind == "alert") {
    std::string state = item.value("state", "active");
    int64_t expires = item.value("expires_at_us", int64_t{0});
    if (state == "active" && expires > 0 && now > expires) item["state"] = "expired";
    return;
  }
  int64_t due = item.value("due_us", int64_t{0});
  bool awaiting = AwaitsAnswer(kind, item.value("state", ""));
  bool overdue = awaiting && due > 0 && now > due;
  item["awaiting_answer"] = awaiting;
  item["overdue"] = overdue;
  fb::Priority p = static_cast<fb::Priority>(item.value("priority_rank", 0));
  item["escalated"] = overdue && now - due > options_.EscalateAfter(p);
  item["due_in_s"] = due > 0 ? (due - now) / 1000000 : 0;
}

Result<std::optional<ItemRef>> CaseStore::FindItem(const std::string& event_id) {
  auto j = ReadJson(store_, keys::EventItem(event_id));
  if (!j.ok()) return std::move(j).error();
  if (!j->has_value()) return std::optional<ItemRef>();
  return std::optional<ItemRef>(ItemRef{(**j).value("case", ""), (**j).value("item", "")});
}

Result<std::optional<json>> CaseStore::Item(const ItemRef& ref, int64_t now) {
  auto j = ReadJson(store_, ref.case_id.empty() ? keys::Alert(ref.item_id) : keys::Item(ref.case_id, ref.item_id));
  if (!j.ok() || !j->has_value()) return j;
  Decorate(**j, now);
  if (!ref.case_id.empty()) {
    auto record = Consent(ref.case_id);
    if (!record.ok()) return std::move(record).error();
    consent::FilterItem(**j, *record);
  }
  return j;
}

Result<json> CaseStore::Consent(const std::string& case_id) {
  if (case_id.empty()) return json();
  auto kase = ReadJson(store_, keys::Case(case_id));
  if (!kase.ok()) return std::move(kase).error();
  if (!kase->has_value() || !(**kase).contains("consent")) return json();
  return (**kase)["consent"];
}

Status CaseStore::MarkRefused(const std::string& event_id, const std::string& code, const std::string& message,
                              const std::function<Status(const WriteSet&)>& commit) {
  auto txn = Begin();
  auto ref = txn->Read(keys::EventItem(event_id));
  if (!ref.ok()) return std::move(ref).error();
  if (!ref->has_value()) return commit(WriteSet());
  std::string case_id = (**ref).value("case", "");
  std::string item_id = (**ref).value("item", "");
  json refusal{{"code", code}, {"message", message}};
  if (case_id.empty()) {  // an alert or its cancellation
    auto alert = txn->Read(keys::Alert(item_id));
    if (!alert.ok()) return std::move(alert).error();
    if (alert->has_value()) {
      json a = **alert;
      if (item_id == event_id) {
        a["state"] = "refused";
      } else {
        a["state"] = "active";  // the cancellation did not go out
        a["cancel_refused"] = refusal;
      }
      a["refusal"] = refusal;
      txn->Write(keys::Alert(item_id), a);
    }
    return commit(txn->writes());
  }
  if (item_id == event_id) {
    auto item = txn->Read(keys::Item(case_id, item_id));
    if (!item.ok()) return std::move(item).error();
    if (item->has_value()) {
      json before = **item;
      json after = before;
      after["state"] = "refused";
      after["refusal"] = refusal;
      txn->Write(keys::Item(case_id, item_id), after);
      txn->Reindex(before, after, 0);
    }
  }
  uint64_t n = (**ref).value("n", uint64_t{0});
  if (n > 0) {
    auto ev = txn->Read(keys::Event(case_id, n));
    if (!ev.ok()) return std::move(ev).error();
    if (ev->has_value()) {
      json e = **ev;
      e["refused"] = refusal;
      // An answer the broker refused is undone in the item, if it was the
      // item's last step (a later step of ours would have been refused too).
      if (item_id != event_id && e.contains("item_before")) {
        auto item = txn->Read(keys::Item(case_id, item_id));
        if (!item.ok()) return std::move(item).error();
        if (item->has_value() && (**item).value("last_event_id", "") == event_id) {
          json restored = e["item_before"];
          restored["refused_step"] = {{"event_id", event_id}, {"type", e.value("type", "")}, {"code", code},
                                      {"message", message}};
          txn->Write(keys::Item(case_id, item_id), restored);
          txn->Reindex(**item, restored, 0);
        }
        e.erase("item_before");
      }
      txn->Write(keys::Event(case_id, n), e);
    }
  }
  return commit(txn->writes());
}

Result<bool> CaseStore::IsParty(const std::string& case_id, const std::string& agency) {
  auto kase = ReadJson(store_, keys::Case(case_id));
  if (!kase.ok()) return std::move(kase).error();
  if (!kase->has_value()) return false;
  for (const auto& p : (**kase)["parties"]) {
    if (p.value("agency", "") == agency) return true;
  }
  return false;
}

Result<std::optional<json>> CaseStore::CaseView(const std::string& case_id, int64_t now, size_t event_limit) {
  auto kase = ReadJson(store_, keys::Case(case_id));
  if (!kase.ok() || !kase->has_value()) return kase;
  json view = **kase;
  auto items = store_->Scan(Cf::kCases, keys::ItemPrefix(case_id), options_.max_items_per_case + 1);
  if (!items.ok()) return std::move(items).error();
  json list = json::array();
  bool all_closed = !items->empty();
  for (auto& [key, value] : *items) {
    json item = json::parse(value, nullptr, false);
    if (item.is_discarded()) continue;
    Decorate(item, now);
    all_closed = all_closed && item.value("state", "") == "closed";
    list.push_back(std::move(item));
  }
  std::sort(list.begin(), list.end(), [](const json& a, const json& b) {
    return a.value("created_at_us", int64_t{0}) < b.value("created_at_us", int64_t{0});
  });
  view["items"] = list;
  view["state"] = view.contains("erased") ? "erased" : all_closed ? "closed" : "open";
  if (event_limit == 0) {  // a list: no thread
    consent::FilterCase(view);
    return std::optional<json>(std::move(view));
  }
  uint64_t total = view.value("events_total", uint64_t{0});
  // The newest `event_limit` events, oldest first.
  uint64_t first = total > event_limit ? total - event_limit + 1 : 1;
  auto events = store_->Scan(Cf::kCases, keys::EventPrefix(case_id), event_limit,
                             first > 1 ? keys::Event(case_id, first - 1) : std::string());
  if (!events.ok()) return std::move(events).error();
  json thread = json::array();
  for (auto& [key, value] : *events) {
    json e = json::parse(value, nullptr, false);
    if (!e.is_discarded()) thread.push_back(std::move(e));
  }
  view["events"] = thread;
  consent::FilterCase(view);
  return std::optional<json>(std::move(view));
}

Result<json> CaseStore::ListCases(const std::string& agency, const std::string& state, size_t limit,
                                  int64_t now) {
  json out = json::array();
  std::string after;
  while (out.size() < limit) {
    auto page = store_->Scan(Cf::kCases, "u/", 256, after, /*reverse=*/true);
    if (!page.ok()) return std::move(page).error();
    if (page->empty()) break;
    for (auto& [key, value] : *page) {
      after = key;
      std::string case_id = key.substr(2 + 8 + 1);
      auto view = CaseView(case_id, now, 0);
      if (!view.ok()) return std::move(view).error();
      if (!view->has_value()) continue;
      json& c = **view;
      bool party = agency.empty();
      for (const auto& p : c["parties"]) party = party || p.value("agency", "") == agency;
      if (!party) continue;
      if (!state.empty() && c.value("state", "") != state) continue;
      json overdue = false;
      for (const auto& item : c["items"]) overdue = overdue.get<bool>() || item.value("overdue", false);
      c["overdue"] = overdue;
      out.push_back(std::move(c));
      if (out.size() >= limit) break;
    }
  }
  return out;
}

Result<json> CaseStore::Overdue(const std::string& agency, bool escalated_only, int64_t now) {
  json out = json::array();
  // Everything due before now, in deadline order: the index holds only
  // items that still await an answer.
  std::vector<json> misses;
  std::string after;
  for (bool past_now = false; !past_now;) {
    auto page = store_->Scan(Cf::kCases, "d/", 256, after);
    if (!page.ok()) return std::move(page).error();
    if (page->empty()) break;
    for (auto& [key, value] : *page) {
      after = key;
      int64_t due = static_cast<int64_t>(keys::FromBe64(std::string_view(key).substr(2, 8)));
      if (due >= now) {
        past_now = true;
        break;
      }
      if (!agency.empty() && value != agency) continue;
      std::string rest = key.substr(2 + 8 + 1);
      auto sep = rest.find(keys::kSep);
      if (sep == std::string::npos) continue;
      auto item = Item(ItemRef{rest.substr(0, sep), rest.substr(sep + 1)}, now);
      if (!item.ok()) return std::move(item).error();
      if (!item->has_value() || !(**item).value("overdue", false)) continue;
      misses.push_back(**item);
      if (escalated_only && !(**item).value("escalated", false)) continue;
      out.push_back(std::move(**item));
    }
  }
  // Record every miss seen (a late answer later keeps it).
  if (!misses.empty()) {
    auto txn = Begin();
    for (const auto& m : misses) txn->RecordMiss(m, 0, now);
    if (auto s = store_->Write(txn->writes(), false); !s.ok()) return std::move(s).error();
  }
  std::stable_sort(out.begin(), out.end(), [](const json& a, const json& b) {
    if (PriorityRank(a) != PriorityRank(b)) return PriorityRank(a) > PriorityRank(b);
    return a.value("due_us", int64_t{0}) < b.value("due_us", int64_t{0});
  });
  return out;
}

Result<json> CaseStore::Missed(const std::string& agency) {
  json out = json::array();
  std::string after;
  for (;;) {
    auto page = store_->Scan(Cf::kCases, "m/", 1024, after);
    if (!page.ok()) return std::move(page).error();
    if (page->empty()) break;
    for (auto& [key, value] : *page) {
      after = key;
      json m = json::parse(value, nullptr, false);
      if (m.is_discarded()) continue;
      if (!agency.empty() && m.value("local_agency", "") != agency) continue;
      out.push_back(std::move(m));
    }
  }
  return out;
}

Result<json> CaseStore::Alerts(const std::string& state, int64_t now) {
  json out = json::array();
  std::string after;
  for (;;) {
    auto page = store_->Scan(Cf::kCases, "ai/", 512, after, /*reverse=*/true);
    if (!page.ok()) return std::move(page).error();
    if (page->empty()) break;
    for (auto& [key, value] : *page) {
      after = key;
      std::string id = key.substr(3 + 8 + 1);
      auto alert = ReadJson(store_, keys::Alert(id));
      if (!alert.ok()) return std::move(alert).error();
      if (!alert->has_value()) continue;
      Decorate(**alert, now);
      if (!state.empty() && (**alert).value("state", "") != state) continue;
      out.push_back(std::move(**alert));
    }
  }
  return out;
}

}  // namespace lintas::node
