// ACTIP monitoring statistics: the query, each item's facts, the report.
#include "lintas/node/item_stats.h"

#include <algorithm>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "lintas/node/case_store.h"
#include "lintas/node/errc.h"
#include "lintas/node/human_time.h"

namespace lintas::node {

using nlohmann::json;

namespace {

constexpr int64_t kDayUs = 86400LL * 1000000;

Error Bad(const std::string& field, const std::string& message) {
  return Error{errc::bad_input, field + ": " + message, field};
}

std::string MonthOf(int64_t us) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1);
}

// "YYYY-MM" -> the first instant of that month (and of the next one).
std::optional<std::pair<int64_t, int64_t>> ParseMonth(const std::string& text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  auto first = ParseWhen(text + "-01", 0);
  if (!first) return std::nullopt;
  int year = std::stoi(text.substr(0, 4));
  int month = std::stoi(text.substr(5, 2));
  if (month == 12) {
    ++year;
    month = 1;
  } else {
    ++month;
  }
  auto next = ParseWhen(fmt::format("{:04}-{:02}-01", year, month), 0);
  if (!next) return std::nullopt;
  return std::make_pair(*first, *next);
}

// One end of the period. `end`: a date or month includes that whole day or
// month (the next one's first instant is returned).
Result<int64_t> ParseBound(const std::string& field, const std::string& text, bool end, int64_t now) {
  if (auto d = ParseDuration(text)) return now - *d;  // "30d": thirty days ago
  if (auto m = ParseMonth(text)) return end ? m->second : m->first;
  auto when = ParseWhen(text, now);
  if (!when) {
    return Bad(field, fmt::format("use a month (2026-11), {}; a duration means that long ago", kWhenHelp));
  }
  if (end && text.size() == 10) return *when + kDayUs;  // the whole day
  return *when;
}

json Percentiles(std::vector<int64_t>& values) {
  std::sort(values.begin(), values.end());
  json r{{"answered", values.size()}, {"p50_s", nullptr}, {"p90_s", nullptr}};
  if (!values.empty()) {
    r["p50_s"] = static_cast<double>(NearestRank(values, 50)) / 1e6;
    r["p90_s"] = static_cast<double>(NearestRank(values, 90)) / 1e6;
  }
  return r;
}

// Counts of one group (or of everything).
struct Tally {
  uint64_t items = 0;
  std::map<std::string, uint64_t> deadlines{{"met", 0}, {"missed", 0}, {"open", 0}, {"not_applicable", 0}};
  uint64_t overdue_now = 0;
  uint64_t answered_late = 0;
  std::vector<int64_t> responses;

  void Add(const ItemFacts& f) {
    ++items;
    ++deadlines[f.deadline];
    if (f.overdue_now) ++overdue_now;
    if (f.answered_late) ++answered_late;
    if (f.response_us >= 0) responses.push_back(f.response_us);
  }
  json ToJson() {
    json d(deadlines);
    d["overdue_now"] = overdue_now;
    d["answered_late"] = answered_late;
    return json{{"items", items}, {"deadlines", d}, {"response_time", Percentiles(responses)}};
  }
};

}  // namespace

Result<StatsQuery> ParseStatsQuery(const std::string& from, const std::string& to, const std::string& by,
                                   int64_t now) {
  StatsQuery q;
  if (!from.empty()) {
    auto f = ParseBound("from", from, false, now);
    if (!f.ok()) return std::move(f).error();
    q.from_us = *f;
  }
  if (!to.empty()) {
    auto t = ParseBound("to", to, true, now);
    if (!t.ok()) return std::move(t).error();
    q.to_us = *t;
  }
  if (q.to_us <= q.from_us) return Bad("to", "must be later than from");
  size_t start = 0;
  while (start < by.size()) {
    size_t comma = by.find(',', start);
    std::string dim = by.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? by.size() : comma + 1;
    if (dim.empty()) continue;
    if (std::find(kStatsDimensions.begin(), kStatsDimensions.end(), dim) == kStatsDimensions.end()) {
      std::string list;
      for (const auto& d : kStatsDimensions) list += (list.empty() ? "" : ", ") + d;
      return Bad("by", fmt::format("no dimension '{}'; use one or more of {}", dim.substr(0, 32), list));
    }
    if (std::find(q.by.begin(), q.by.end(), dim) != q.by.end()) return Bad("by", dim + " is named twice");
    q.by.push_back(dim);
  }
  return q;
}

const std::string& ItemFacts::Get(const std::string& d) const {
  if (d == "partner") return partner;
  if (d == "direction") return direction;
  if (d == "type") return type;
  if (d == "exploitation") return exploitation;
  if (d == "priority") return priority;
  if (d == "state") return state;
  if (d == "outcome") return outcome;
  if (d == "reason") return reason;
  if (d == "deadline") return deadline;
  if (d == "agency") return agency;
  return month;
}

ItemFacts FactsOf(const json& item, bool missed, bool answered_late, int64_t now) {
  ItemFacts f;
  const json& counterpart = item.contains("counterpart") ? item["counterpart"] : json::object();
  f.partner = counterpart.value("country", "");
  if (f.partner.empty()) f.partner = "unknown";
  f.direction = item.value("direction", "");
  f.type = item.value("kind", "");
  f.exploitation = item.value("exploitation", "none");
  f.priority = item.value("priority", "");
  f.state = item.value("state", "");
  f.outcome = "none";
  if (item.contains("closed_by") && !item["closed_by"].empty()) {
    f.outcome = item["closed_by"][0].value("outcome", "Unspecified");
  }
  f.reason = "none";
  if (item.contains("decline")) f.reason = item["decline"].value("reason", "Unspecified");
  // "refusal" is the partner's InformationRefused (a coded reason), or the
  // broker's refusal of the item itself (a wire error code).
  bool broker_refused = f.state == "refused" && item.contains("refusal") && item["refusal"].contains("code");
  if (item.contains("refusal") && !broker_refused) f.reason = item["refusal"].value("reason", "Unspecified");
  f.agency = item.value("local_agency", "");
  f.created_at_us = item.value("created_at_us", int64_t{0});
  f.month = MonthOf(f.created_at_us);
  int64_t due = item.value("due_us", int64_t{0});
  bool awaiting = AwaitsAnswer(f.type, f.state);
  f.overdue_now = awaiting && due > 0 && now > due;
  f.answered_late = answered_late;
  if (missed || f.overdue_now) {
    f.deadline = "missed";
  } else if (awaiting) {
    f.deadline = "open";
  } else if (broker_refused || due <= 0) {
    f.deadline = "not_applicable";  // the broker refused it: it never went out
  } else {
    f.deadline = "met";
  }
  int64_t answered = item.value("answered_at_us", int64_t{0});
  if (answered > 0) f.response_us = std::max<int64_t>(0, answered - f.created_at_us);
  return f;
}

int64_t NearestRank(const std::vector<int64_t>& sorted, int p) {
  size_t n = sorted.size();
  size_t rank = (static_cast<size_t>(p) * n + 99) / 100;  // ceil(p/100 * n)
  return sorted[std::clamp<size_t>(rank, 1, n) - 1];
}

json StatsReport(const std::vector<ItemFacts>& items, const StatsQuery& q, int64_t now) {
  Tally total;
  std::map<std::vector<std::string>, Tally> groups;
  for (const auto& f : items) {
    if (f.created_at_us < q.from_us || f.created_at_us >= q.to_us) continue;
    total.Add(f);
    if (q.by.empty()) continue;
    std::vector<std::string> key;
    for (const auto& d : q.by) key.push_back(f.Get(d));
    groups[key].Add(f);
  }
  json list = json::array();
  for (auto& [key, tally] : groups) {
    json k = json::object();
    for (size_t i = 0; i < q.by.size(); ++i) k[q.by[i]] = key[i];
    json g = tally.ToJson();
    g["key"] = k;
    list.push_back(std::move(g));
  }
  json out = total.ToJson();
  out["agency"] = q.agency;
  out["from_us"] = q.from_us;
  out["to_us"] = q.to_us == INT64_MAX ? json(nullptr) : json(q.to_us);
  out["by"] = q.by;
  out["generated_at_us"] = now;
  out["groups"] = std::move(list);
  return out;
}

}  // namespace lintas::node
