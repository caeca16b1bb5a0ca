// Regional statistics at the broker: events counted from routing metadata
// (the envelope: origin, destinations, body type, priority, and the month
// the broker received them), with small counts suppressed
// (docs/STATISTICS.md). Internal to lintas::broker.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/fb/protocol_generated.h"
#include "lintas/store/store.h"

namespace lintas::broker {

// Cells with 1..kStatsThreshold-1 events are shown as "<5", never as a number.
inline constexpr uint32_t kStatsThreshold = 5;
// The widest window one query may cover.
inline constexpr uint32_t kStatsMaxMonths = 120;

struct StatsRequest {
  std::vector<proto::StatsDimension> by;
  uint32_t from_month = 0;  // YYYYMM
  uint32_t to_month = 0;    // YYYYMM, inclusive
};

// The request of an AuditQuery of kind Stats; the error (malformed_message)
// names the field.
[[nodiscard]] Result<StatsRequest> ParseStatsRequest(const proto::AuditQuery& query);

// The first instant (Unix µs, UTC) of month YYYYMM.
int64_t MonthStartUs(uint32_t yyyymm);

// A cell's coordinates; a dimension not grouped by holds its "all" value
// ("", "", 0, -1, 0).
using StatsKey = std::tuple<std::string, std::string, uint8_t, int8_t, uint32_t>;

// The published table from the raw counts: every non-empty cell, suppressed
// when below `threshold`; with two or more dimensions, the total of each
// value of each dimension; and the grand total. A total that includes a
// suppressed cell is itself suppressed, so every number published is a sum
// of published cells only and no suppressed cell can be recovered from the
// table (secondary suppression of totals).
std::vector<proto::StatsCellT> PublishCells(const std::map<StatsKey, uint64_t>& counts,
                                            const std::vector<proto::StatsDimension>& by,
                                            uint32_t threshold);

// One query in progress: reads the log's records received in the request's
// months (one run of offsets, found once in the time index), a bounded
// number per step, so that the loop keeps serving (the commit path does not
// see it). Ownership: owns its counts. Thread safety:
// none; the loop thread only.
class StatsScan {
 public:
  // `log_end`: the log's last offset when the query arrived; the scan stops
  // there.
  StatsScan(StatsRequest request, uint64_t log_end);

  // Examines up to `budget` records. True when the scan is complete.
  [[nodiscard]] Result<bool> Step(store::Store& store, size_t budget);

  // The StatsTable payload ("LNTS"), suppressed.
  std::string Table() const;

  const std::map<StatsKey, uint64_t>& counts() const { return counts_; }

 private:
  Result<uint64_t> FirstInWindow(store::Store& store) const;
  // Counts the record if it was received in the window; its received_at
  // (nullopt if it does not verify).
  std::optional<int64_t> Count(std::span<const uint8_t> record);

  StatsRequest request_;
  int64_t from_us_ = 0;
  int64_t to_us_ = 0;  // inclusive
  uint64_t position_ = 0;  // the last offset examined
  uint64_t end_ = 0;
  std::map<StatsKey, uint64_t> counts_;
};

}  // namespace lintas::broker
