// Regional statistics queries (AuditQuery kind Stats): checked and recorded
// in the consultation log on arrival, computed by a scan the loop advances a
// bounded step at a time, answered with one StatsTable payload.
#include <fmt/format.h>

#include "broker_loop.h"
#include "lintas/broker/logger.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/limits.h"

namespace lintas::broker {
namespace {

constexpr size_t kMaxStatsScans = 2;       // at once, over every session
// Records one scan reads per loop turn: about 2 ms (bench/stats_scan_bench.cc).
constexpr size_t kStatsStepRecords = 512;

}  // namespace

void BrokerLoop::HandleStatsQuery(Session& session, const proto::AuditQuery& query) {
  auto refuse = [&](wire::errc code, const std::string& message) {
    probe_.Refused(code);
    SendError(session.peer, code, message);
  };
  auto request = ParseStatsRequest(query);
  if (!request.ok()) return refuse(wire::errc::malformed_message, "Stats: " + request.error().message);
  if (stats_scans_.size() >= kMaxStatsScans) {
    return refuse(wire::errc::overloaded, "statistics are being computed for others; retry in a moment");
  }
  // Counts only: nothing is disclosed, but who asked, when and why is kept.
  RecordAccess(session, fb::AccessAction::StatsRead, {}, {}, 0, query.justification()->string_view(),
               fmt::format("stats {}-{}", request->from_month, request->to_month));
  Log()->info("regional statistics asked node={} from_month={} to_month={}", session.node->id,
              request->from_month, request->to_month);
  stats_scans_.push_back(
      PendingStats{session.peer, query.query_id(), std::make_unique<StatsScan>(std::move(*request), store_->size()),
                   AccessWritten()});
}

void BrokerLoop::PumpStats() {
  for (size_t i = 0; i < stats_scans_.size();) {
    PendingStats& p = stats_scans_[i];
    if (sessions_.count(p.peer) == 0) {  // the asker is gone: stop counting
      stats_scans_.erase(stats_scans_.begin() + static_cast<ptrdiff_t>(i));
      continue;
    }
    auto done = p.scan->Step(*store_, kStatsStepRecords);
    if (done.ok() && !*done) {
      ++i;
      continue;
    }
    if (!done.ok()) {
      Log()->error("regional statistics: log scan failed: {}", done.error().message);
      probe_.Refused(wire::errc::storage_error);
      SendError(p.peer, wire::errc::storage_error, "the log could not be read for statistics; retry");
    } else if (std::string table = p.scan->Table(); table.size() > wire::kMaxFrameBytes) {
      probe_.Refused(wire::errc::message_too_large);
      SendError(p.peer, wire::errc::message_too_large,
                fmt::format("the table has more cells than one reply carries ({} bytes); ask for fewer "
                            "dimensions or months", table.size()));
    } else {
      proto::ControlT control;
      proto::AuditReplyT reply;
      reply.query_id = p.query_id;
      control.command.Set(std::move(reply));
      std::vector<std::string> payloads{std::move(table)};
      SendWhenRecorded(p.peer, wire::EncodeControl(control), std::move(payloads), p.access_seq);
    }
    stats_scans_.erase(stats_scans_.begin() + static_cast<ptrdiff_t>(i));
  }
}

}  // namespace lintas::broker
