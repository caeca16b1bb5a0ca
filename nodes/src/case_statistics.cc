// CaseStore::Statistics: the figures a node shows its supervisors and
// data-protection officers (items by partner country, type and state;
// deadlines met and missed), counted from the items and the missed-deadline
// records.
#include <map>
#include <set>

#include "case_keys.h"
#include "lintas/node/case_store.h"
#include "lintas/node/item_stats.h"

namespace lintas::node {

using json = nlohmann::json;

Result<json> CaseStore::Statistics(const std::string& agency, int64_t now) {
  json by_partner = json::object();
  json by_type = json::object();
  json by_state = json::object();
  int64_t met = 0, open_on_time = 0, overdue = 0, items = 0;
  // Items whose deadline was missed (answered late or not yet).
  std::set<std::string> missed;
  for (std::string after;;) {
    auto page = store_->Scan(Cf::kCases, "m/", 512, after);
    if (!page.ok()) return std::move(page).error();
    if (page->empty()) break;
    for (const auto& [key, value] : *page) {
      after = key;
      json m = json::parse(value, nullptr, false);
      if (m.is_discarded() || (!agency.empty() && m.value("local_agency", "") != agency)) continue;
      missed.insert(m.value("item_id", ""));
    }
  }
  for (std::string after;;) {
    auto page = store_->Scan(Cf::kCases, "i/", 512, after);
    if (!page.ok()) return std::move(page).error();
    if (page->empty()) break;
    for (const auto& [key, value] : *page) {
      after = key;
      json item = json::parse(value, nullptr, false);
      if (item.is_discarded() || (!agency.empty() && item.value("local_agency", "") != agency)) continue;
      Decorate(item, now);
      ++items;
      std::string partner = item.contains("counterpart") ? item["counterpart"].value("country", "") : "";
      std::string direction = item.value("direction", "");
      // value() throws on null: the partner's object first.
      json& per_partner = by_partner[partner];
      if (!per_partner.is_object()) per_partner = json::object();
      per_partner[direction] = per_partner.value(direction, 0) + 1;
      std::string type = item.value("type", "");
      by_type[type] = by_type.value(type, 0) + 1;
      std::string state = item.value("state", "");
      by_state[state] = by_state.value(state, 0) + 1;
      bool was_missed = missed.count(item.value("item_id", "")) > 0;
      if (item.value("overdue", false)) {
        ++overdue;
      } else if (item.value("awaiting_answer", false)) {
        ++open_on_time;
      } else if (!was_missed && item.value("due_us", int64_t{0}) > 0) {
        ++met;
      }
    }
  }
  return json{{"agency", agency},
              {"items", items},
              {"by_partner", by_partner},
              {"by_type", by_type},
              {"by_state", by_state},
              {"deadlines", {{"met", met}, {"missed", missed.size()}, {"open_on_time", open_on_time},
                             {"overdue_now", overdue}}}};
}

Result<json> CaseStore::Stats(const StatsQuery& query, int64_t now) {
  // Items whose deadline was missed, and whether one was answered late.
  std::map<std::string, bool> missed;
  for (std::string after;;) {
    auto page = store_->Scan(Cf::kCases, "m/", 512, after);
    if (!page.ok()) return std::move(page).error();
    if (page->empty()) break;
    for (const auto& [key, value] : *page) {
      after = key;
      json m = json::parse(value, nullptr, false);
      if (m.is_discarded()) continue;
      bool& late = missed[m.value("item_id", "")];
      late = late || m.value("answered_at_us", int64_t{0}) > 0;
    }
  }
  std::vector<ItemFacts> facts;
  for (std::string after;;) {
    auto page = store_->Scan(Cf::kCases, "i/", 512, after);
    if (!page.ok()) return std::move(page).error();
    if (page->empty()) break;
    for (const auto& [key, value] : *page) {
      after = key;
      json item = json::parse(value, nullptr, false);
      if (item.is_discarded() || (!query.agency.empty() && item.value("local_agency", "") != query.agency)) continue;
      auto it = missed.find(item.value("item_id", ""));
      facts.push_back(FactsOf(item, it != missed.end(), it != missed.end() && it->second, now));
    }
  }
  return StatsReport(facts, query, now);
}

}  // namespace lintas::node
