// Regional statistics: the request, the scan, suppression.
#include "regional_stats.h"

#include <algorithm>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "lintas/wire/bytes.h"
#include "lintas/wire/country.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/verify.h"

namespace lintas::broker {
namespace {

Error Bad(const std::string& field, const std::string& message) {
  return Error{wire::errc::malformed_message, field + ": " + message, field};
}

bool ValidMonth(uint32_t m) { return m / 100 >= 1970 && m / 100 <= 9999 && m % 100 >= 1 && m % 100 <= 12; }

uint32_t MonthIndex(uint32_t m) { return (m / 100) * 12 + (m % 100 - 1); }

uint32_t NextMonth(uint32_t m) { return m % 100 == 12 ? (m / 100 + 1) * 100 + 1 : m + 1; }

uint32_t MonthOf(int64_t us) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return static_cast<uint32_t>((tm.tm_year + 1900) * 100 + tm.tm_mon + 1);
}

bool Has(const std::vector<proto::StatsDimension>& by, proto::StatsDimension d) {
  return std::find(by.begin(), by.end(), d) != by.end();
}

// The key with dimension `d` kept from `k` and every other at "all".
StatsKey Only(const StatsKey& k, proto::StatsDimension d) {
  StatsKey out{"", "", 0, -1, 0};
  switch (d) {
    case proto::StatsDimension::Origin: std::get<0>(out) = std::get<0>(k); break;
    case proto::StatsDimension::Destination: std::get<1>(out) = std::get<1>(k); break;
    case proto::StatsDimension::Type: std::get<2>(out) = std::get<2>(k); break;
    case proto::StatsDimension::Priority: std::get<3>(out) = std::get<3>(k); break;
    case proto::StatsDimension::Month: std::get<4>(out) = std::get<4>(k); break;
  }
  return out;
}

proto::StatsCellT Cell(const StatsKey& k, uint64_t count, bool suppressed, bool total) {
  proto::StatsCellT c;
  c.origin_country = std::get<0>(k);
  c.destination_country = std::get<1>(k);
  c.body_type = std::get<2>(k);
  c.priority = std::get<3>(k);
  c.month = std::get<4>(k);
  c.suppressed = suppressed;
  c.count = suppressed ? 0 : count;
  c.total = total;
  return c;
}

}  // namespace

Result<StatsRequest> ParseStatsRequest(const proto::AuditQuery& q) {
  StatsRequest r;
  if (q.stats_by() == nullptr || q.stats_by()->size() == 0 || q.stats_by()->size() > 5) {
    return Bad("stats_by", "name 1 to 5 dimensions");
  }
  for (uint8_t v : *q.stats_by()) {
    if (v > static_cast<uint8_t>(proto::StatsDimension::MAX)) {
      return Bad("stats_by", fmt::format("no dimension {}", v));
    }
    auto d = static_cast<proto::StatsDimension>(v);
    if (Has(r.by, d)) return Bad("stats_by", fmt::format("{} is named twice", proto::EnumNameStatsDimension(d)));
    r.by.push_back(d);
  }
  r.from_month = q.from_month();
  r.to_month = q.to_month();
  if (!ValidMonth(r.from_month)) return Bad("from_month", "must be a month YYYYMM");
  if (!ValidMonth(r.to_month)) return Bad("to_month", "must be a month YYYYMM");
  if (r.to_month < r.from_month) return Bad("to_month", "must not be before from_month");
  if (MonthIndex(r.to_month) - MonthIndex(r.from_month) + 1 > kStatsMaxMonths) {
    return Bad("to_month", fmt::format("one query covers at most {} months", kStatsMaxMonths));
  }
  return r;
}

int64_t MonthStartUs(uint32_t m) {
  std::tm tm{};
  tm.tm_year = static_cast<int>(m / 100) - 1900;
  tm.tm_mon = static_cast<int>(m % 100) - 1;
  tm.tm_mday = 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000000;
}

std::vector<proto::StatsCellT> PublishCells(const std::map<StatsKey, uint64_t>& counts,
                                            const std::vector<proto::StatsDimension>& by, uint32_t threshold) {
  std::vector<proto::StatsCellT> out;
  // A total: its sum and whether any cell in it is suppressed.
  struct Total {
    uint64_t sum = 0;
    bool suppressed = false;
  };
  std::map<StatsKey, Total> totals;
  Total grand;
  for (const auto& [key, n] : counts) {
    if (n == 0) continue;
    bool small = n < threshold;
    out.push_back(Cell(key, n, small, false));
    auto add = [&](Total& t) {
      t.sum += n;
      t.suppressed = t.suppressed || small;
    };
    add(grand);
    if (by.size() >= 2) {
      for (auto d : by) add(totals[Only(key, d)]);
    }
  }
  for (const auto& [key, t] : totals) out.push_back(Cell(key, t.sum, t.suppressed, true));
  out.push_back(Cell(StatsKey{"", "", 0, -1, 0}, grand.sum, grand.suppressed, true));
  return out;
}

StatsScan::StatsScan(StatsRequest request, uint64_t log_end)
    : request_(std::move(request)),
      from_us_(MonthStartUs(request_.from_month)),
      to_us_(MonthStartUs(NextMonth(request_.to_month)) - 1),
      end_(log_end) {}

// The window is one run of offsets (received_at never decreases along the
// log): its first offset by binary search over the records, about 30 reads.
// Not through the time index: an iterator over it sorts that column
// family's memtable (a vector memtable) first, tens of milliseconds when it
// is full.
Result<uint64_t> StatsScan::FirstInWindow(store::Store& store) const {
  uint64_t lo = 1, hi = end_ + 1;  // the answer is in [lo, hi]; hi: none
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    // The first readable record at or after mid (a damaged one is skipped).
    std::optional<int64_t> at;
    uint64_t probe = mid;
    for (; probe < hi && !at; ++probe) {
      auto record = store.ReadRecord(probe);
      if (!record.ok()) return record.error();
      if (!record->has_value()) continue;
      auto rec = wire::VerifyRecord(wire::AsBytes(**record));
      if (rec.ok()) at = (*rec)->received_at_us();
    }
    if (!at || *at >= from_us_) {
      hi = mid;
    } else {
      lo = probe;  // probe - 1 is before the window
    }
  }
  return lo;
}

Result<bool> StatsScan::Step(store::Store& store, size_t budget) {
  if (position_ >= end_) return true;
  if (position_ == 0) {
    auto first = FirstInWindow(store);
    if (!first.ok()) return first.error();
    position_ = *first - 1;
  }
  for (size_t i = 0; i < budget && position_ < end_; ++i) {
    uint64_t offset = position_ + 1;
    auto record = store.ReadRecord(offset);
    if (!record.ok()) return record.error();
    position_ = offset;
    if (!record->has_value()) continue;
    auto received_at = Count(wire::AsBytes(**record));
    if (received_at && *received_at > to_us_) {
      position_ = end_;  // past the window
      break;
    }
  }
  return position_ >= end_;
}

std::optional<int64_t> StatsScan::Count(std::span<const uint8_t> bytes) {
  auto rec = wire::VerifyRecord(bytes);
  if (!rec.ok()) return std::nullopt;  // unreadable: not counted (the audit trail reports damage)
  int64_t received_at = (*rec)->received_at_us();
  if (received_at < from_us_ || received_at > to_us_) return received_at;
  // VerifyRecord verified the event inside it too.
  const fb::Event& e = *fb::GetEvent(wire::RecordEventBytes(**rec).data());
  const auto& by = request_.by;
  StatsKey base{"", "", 0, -1, 0};
  if (Has(by, proto::StatsDimension::Origin) && e.origin() && e.origin()->country()) {
    std::get<0>(base) = e.origin()->country()->str();
  }
  if (Has(by, proto::StatsDimension::Type)) std::get<2>(base) = static_cast<uint8_t>(e.body_type());
  if (Has(by, proto::StatsDimension::Priority)) std::get<3>(base) = static_cast<int8_t>(e.priority());
  if (Has(by, proto::StatsDimension::Month)) std::get<4>(base) = MonthOf((*rec)->received_at_us());
  // Once per destination country (an event to two countries counts in
  // both), once in all when destinations are not asked for.
  std::set<std::string> destinations;
  if (Has(by, proto::StatsDimension::Destination)) {
    if (e.destinations()) {
      for (const auto* d : *e.destinations()) {
        if (d->country()) destinations.insert(d->country()->str());
      }
    }
    if (destinations.empty() && e.distribution()) {
      if (e.distribution()->kind() == fb::DistributionKind::Regional) {
        destinations.insert(std::string(wire::kRegionalCode));
      } else if (e.distribution()->countries()) {
        for (const auto* c : *e.distribution()->countries()) destinations.insert(c->str());
      }
    }
    if (destinations.empty()) destinations.insert("none");  // "" would read as "all"
  } else {
    destinations.insert("");
  }
  for (const auto& d : destinations) {
    StatsKey k = base;
    std::get<1>(k) = d;
    ++counts_[k];
  }
  return received_at;
}

std::string StatsScan::Table() const {
  proto::StatsTableT t;
  for (auto d : request_.by) t.by.push_back(static_cast<uint8_t>(d));
  t.from_month = request_.from_month;
  t.to_month = request_.to_month;
  t.threshold = kStatsThreshold;
  for (auto& c : PublishCells(counts_, request_.by, kStatsThreshold)) {
    t.cells.push_back(std::make_unique<proto::StatsCellT>(std::move(c)));
  }
  flatbuffers::FlatBufferBuilder fbb(1024);
  fbb.Finish(proto::StatsTable::Pack(fbb, &t), "LNTS");
  return {reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()};
}

}  // namespace lintas::broker
