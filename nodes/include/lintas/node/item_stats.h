// ACTIP monitoring statistics of a node's items (referrals and information
// requests): counts, deadlines met and missed, and response times, over a
// period and grouped by the dimensions asked for (docs/STATISTICS.md).
// Counts only: nothing of a victim or of any free text reaches the result.
// Thread-safe (pure functions and a value type).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"

namespace lintas::node {

// What GET /v1/stats asks for.
struct StatsQuery {
  // Items created in [from_us, to_us).
  int64_t from_us = 0;
  int64_t to_us = INT64_MAX;
  // Dimensions to group by, in the order asked (kStatsDimensions).
  std::vector<std::string> by;
  // Only this local agency's items (every agency's when empty).
  std::string agency;
};

// Every dimension `by` accepts.
inline const std::vector<std::string> kStatsDimensions = {
    "partner", "direction", "type",   "exploitation", "priority", "state",
    "outcome", "reason",    "deadline", "agency",     "month"};

// The query from the route's parameters (each may be empty): from/to as
// human dates (ParseWhen, plus "YYYY-MM" for a whole month and a duration
// meaning "that long ago"); a date-only or month `to` includes that day or
// month. `by` is comma-separated. The error names the field.
[[nodiscard]] Result<StatsQuery> ParseStatsQuery(const std::string& from, const std::string& to,
                                                 const std::string& by, int64_t now_us);

// One item's facts for the statistics, from its stored JSON.
struct ItemFacts {
  std::string partner, direction, type, exploitation, priority, state, outcome, reason, agency, month;
  std::string deadline;  // met | missed | open | not_applicable
  bool overdue_now = false;
  bool answered_late = false;
  int64_t created_at_us = 0;
  int64_t response_us = -1;  // first answer that ended the wait; -1: none
  const std::string& Get(const std::string& dimension) const;
};

// `item` as stored (undecorated); `missed` and `answered_late` from the
// missed-deadline records of this item.
ItemFacts FactsOf(const nlohmann::json& item, bool missed, bool answered_late, int64_t now_us);

// The report (docs/API.md, GET /v1/stats) over `items` already filtered by
// agency; those outside the period are skipped here.
nlohmann::json StatsReport(const std::vector<ItemFacts>& items, const StatsQuery& query, int64_t now_us);

// Nearest-rank percentile (p in 1..100) of sorted, non-empty `values`.
int64_t NearestRank(const std::vector<int64_t>& sorted, int p);

}  // namespace lintas::node
