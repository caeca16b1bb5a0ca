// The auditor's client.
#include "lintas/node/audit_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lintas/audit/merkle.h"
#include "lintas/common/clock.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/verify.h"

namespace lintas::node {
namespace {

using namespace std::chrono_literals;
constexpr auto kReplyTimeout = 30s;
// Statistics over many months take the broker a while (it reads each record
// of the window, ~300k/s, between its other work).
constexpr auto kStatsReplyTimeout = 600s;
constexpr uint32_t kReplayCredit = 8192;
constexpr uint64_t kExportRange = 65536;  // offsets replayed before their proofs are fetched

std::vector<audit::Hash> SplitHashes(const flatbuffers::Vector<uint8_t>* bytes) {
  if (bytes == nullptr) return {};
  return audit::SplitHashes({bytes->data(), bytes->size()});
}

// One proof payload: 8-byte big-endian offset, then 32-byte hashes.
bool DecodeProof(std::span<const uint8_t> frame, uint64_t* offset, std::vector<audit::Hash>* path) {
  if (frame.size() < 8 || (frame.size() - 8) % 32 != 0) return false;
  *offset = 0;
  for (size_t i = 0; i < 8; ++i) *offset = (*offset << 8) | frame[i];
  for (size_t i = 8; i < frame.size(); i += 32) {
    audit::Hash h;
    std::copy(frame.begin() + static_cast<ptrdiff_t>(i), frame.begin() + static_cast<ptrdiff_t>(i) + 32, h.begin());
    path->push_back(h);
  }
  return true;
}

void WriteAccessSection(const AccessListing& listing, audit::ExportWriter& writer) {
  // Verified, failed and missing records, in seq order.
  std::vector<const audit::AccessProof*> all;
  for (const auto& r : listing.records) all.push_back(&r);
  for (const auto& r : listing.failed) all.push_back(&r);
  std::sort(all.begin(), all.end(), [](const auto* a, const auto* b) { return a->seq < b->seq; });
  size_t m = 0;
  for (const auto* r : all) {
    for (; m < listing.missing.size() && listing.missing[m] < r->seq; ++m) writer.AccessMissing(listing.missing[m]);
    writer.Access(*r);
  }
  for (; m < listing.missing.size(); ++m) writer.AccessMissing(listing.missing[m]);
}

Error BrokerError(const proto::Error& e) {
  return Error{static_cast<wire::errc>(e.code()), e.message() ? e.message()->str() : "error"};
}

}  // namespace

Result<CheckpointReply> DecodeCheckpointReply(const proto::AuditReply& r) {
  CheckpointReply out;
  if (r.checkpoint() == nullptr || r.signature() == nullptr || r.signature()->size() != 64 ||
      r.public_key() == nullptr || r.public_key()->size() != 32) {
    return Error{wire::errc::malformed_message, "the broker's reply carries no signed checkpoint"};
  }
  out.checkpoint.body = r.checkpoint()->str();
  std::copy(r.signature()->begin(), r.signature()->end(), out.checkpoint.signature.begin());
  std::copy(r.public_key()->begin(), r.public_key()->end(), out.public_key.begin());
  auto parsed = audit::Checkpoint::Parse(out.checkpoint.body);
  if (!parsed.ok()) return Error{wire::errc::malformed_message, parsed.error().message};
  out.parsed = *parsed;
  out.consistency = SplitHashes(r.consistency());
  out.access_consistency = SplitHashes(r.access_consistency());
  out.access_known_size = r.access_known_size();
  return out;
}

std::string ExportFilter::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  if (from_time_us != 0) j["from_time_us"] = from_time_us;
  if (to_time_us != INT64_MAX) j["to_time_us"] = to_time_us;
  if (!country.empty()) j["country"] = country;
  if (!agency.empty()) j["agency"] = agency;
  if (!case_id.empty()) j["case_id"] = case_id;
  return j.dump();
}

Result<Incoming> AuditClient::Ask(const std::string& control, uint64_t query_id,
                                  std::chrono::seconds timeout) {
  if (auto s = client_->SendControl(control); !s.ok()) return s.error();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto in = client_->Receive(1s);
    if (!in.ok()) return in.error();
    if (!in->has_value()) continue;
    Incoming& m = **in;
    if (m.command == proto::Command::Error) return BrokerError(*m.control()->command_as_Error());
    if (m.command == proto::Command::AuditReply &&
        m.control()->command_as_AuditReply()->query_id() == query_id) {
      return std::move(m);
    }
  }
  return Error{wire::errc::overloaded, "no answer from the broker in time"};
}

Result<CheckpointReply> AuditClient::Checkpoint(uint64_t known_size, uint64_t known_access_size) {
  proto::ControlT c;
  proto::AuditQueryT q;
  q.query_id = next_id_++;
  q.kind = proto::AuditQueryKind::Checkpoint;
  q.known_size = known_size;
  q.known_access_size = known_access_size;
  uint64_t id = q.query_id;
  c.command.Set(std::move(q));
  auto reply = Ask(wire::EncodeControl(c), id);
  if (!reply.ok()) return reply.error();
  return DecodeCheckpointReply(*reply->control()->command_as_AuditReply());
}

Result<std::vector<std::vector<audit::Hash>>> AuditClient::Proofs(
    uint64_t tree_size, const std::vector<uint64_t>& offsets, const std::string& justification,
    const std::string& purpose) {
  proto::ControlT c;
  proto::AuditQueryT q;
  q.query_id = next_id_++;
  q.kind = proto::AuditQueryKind::Proofs;
  q.tree_size = tree_size;
  q.offsets = offsets;
  q.justification = justification;
  q.purpose = purpose;
  uint64_t id = q.query_id;
  c.command.Set(std::move(q));
  auto reply = Ask(wire::EncodeControl(c), id);
  if (!reply.ok()) return reply.error();
  std::vector<std::vector<audit::Hash>> out;
  if (reply->payload_count() != offsets.size()) {
    return Error{wire::errc::malformed_message, "the broker sent the wrong number of proofs"};
  }
  for (size_t i = 0; i < offsets.size(); ++i) {
    uint64_t offset = 0;
    std::vector<audit::Hash> path;
    if (!DecodeProof(reply->payload(i), &offset, &path) || offset != offsets[i]) {
      return Error{wire::errc::malformed_message, "a proof from the broker is malformed or out of order"};
    }
    out.push_back(std::move(path));
  }
  return out;
}

Status AuditClient::Replay(const proto::ReplayT& replay,
                           const std::function<void(uint64_t, std::string)>& on_record) {
  proto::ControlT c;
  proto::ReplayT r = replay;
  r.credit = kReplayCredit;
  r.packed = true;  // many records to a frame
  uint64_t id = r.replay_id;
  c.command.Set(std::move(r));
  if (auto s = client_->SendControl(wire::EncodeControl(c)); !s.ok()) return s;
  uint64_t since_credit = 0;
  auto idle_deadline = std::chrono::steady_clock::now() + kReplyTimeout;
  while (std::chrono::steady_clock::now() < idle_deadline) {
    auto in = client_->Receive(1s);
    if (!in.ok()) return in.error();
    if (!in->has_value()) continue;
    Incoming& m = **in;
    if (m.command == proto::Command::Error) return BrokerError(*m.control()->command_as_Error());
    if (m.command == proto::Command::ReplayEnd &&
        m.control()->command_as_ReplayEnd()->replay_id() == id) {
      const auto* missing = m.control()->command_as_ReplayEnd()->missing();
      if (missing != nullptr && missing->size() > 0) {
        return Error{wire::errc::storage_error,
                     fmt::format("the replay is incomplete: the broker's log could not give {} "
                                 "record(s) its index names, first offset {}",
                                 missing->size(), missing->Get(0)),
                     "missing"};
      }
      return OkStatus();
    }
    if (m.command != proto::Command::Deliver) continue;
    const auto* d = m.control()->command_as_Deliver();
    if (d->replay_id() != id) continue;
    for (size_t i = 0; i < m.payload_count(); ++i) {
      auto bytes = m.payload(i);
      on_record(d->offsets()->Get(i), std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
    since_credit += m.payload_count();
    if (since_credit >= kReplayCredit / 2) {
      (void)client_->SendControl(wire::EncodeCredit("", id, static_cast<uint32_t>(since_credit)));
      since_credit = 0;
    }
    idle_deadline = std::chrono::steady_clock::now() + kReplyTimeout;
  }
  return Error{wire::errc::overloaded, "the replay stalled"};
}

Result<uint64_t> AuditClient::Export(const ExportFilter& filter, const std::string& justification,
                                     std::ostream& out, audit::ExportFormat format,
                                     std::vector<std::string>* problems) {
  if (justification.empty()) {
    return Error{wire::errc::justification_required, "an export requires a justification"};
  }
  auto cp = Checkpoint();
  if (!cp.ok()) return cp.error();
  uint64_t size = cp->parsed.size;
  audit::ExportHeader header;
  header.checkpoint = cp->checkpoint;
  header.public_key = cp->public_key;
  header.complete = !filter.any();
  header.filter_json = filter.ToJson();
  header.justification = justification;
  header.exported_at_us = NowMicros();
  // The consultation records of what is exported: every one for a complete
  // export, those that disclosed the case's events for a case.
  header.with_access = !filter.any() || !filter.case_id.empty();
  audit::ExportWriter writer(out, format);
  writer.Header(header);
  if (header.with_access) {
    auto listing = Access(filter.case_id, justification, &*cp);
    if (!listing.ok()) return listing.error();
    WriteAccessSection(*listing, writer);
    if (problems) *problems = listing->problems;
  }
  if (size == 0) {
    writer.End();
    return 0;
  }
  proto::ReplayT replay;
  replay.replay_id = next_id_++;
  replay.from_offset = 1;
  replay.to_offset = size;
  replay.from_time_us = filter.from_time_us;
  replay.to_time_us = filter.to_time_us;
  replay.case_id = filter.case_id;
  // Country and agency are decided at the broker (roles resolved,
  // distributions): only what matches is disclosed, and recorded.
  replay.party_country = filter.country;
  replay.party_agency = filter.agency;
  replay.justification = justification;
  std::vector<uint64_t> offsets;
  std::vector<std::string> records;
  uint64_t written = 0;
  auto flush = [&]() -> Status {
    if (offsets.empty()) return OkStatus();
    auto proofs = Proofs(size, offsets, justification, "export");
    if (!proofs.ok()) return proofs.error();
    for (size_t i = 0; i < offsets.size(); ++i) {
      writer.Record({std::move(records[i]), std::move((*proofs)[i]), offsets[i]});
      ++written;
    }
    offsets.clear();
    records.clear();
    return OkStatus();
  };
  // The replay runs in ranges of offsets; each range's proofs are asked
  // for once its records are in (one conversation at a time on the
  // connection), which bounds the memory to one range.
  std::vector<std::pair<uint64_t, std::string>> matched;
  auto keep = [&](uint64_t offset, std::string bytes) { matched.emplace_back(offset, std::move(bytes)); };
  for (uint64_t from = 1; from <= size; from += kExportRange) {
    replay.replay_id = next_id_++;
    replay.from_offset = from;
    replay.to_offset = std::min(size, from + kExportRange - 1);
    matched.clear();
    if (auto s = Replay(replay, keep); !s.ok()) return s.error();
    for (auto& [offset, bytes] : matched) {
      offsets.push_back(offset);
      records.push_back(std::move(bytes));
      if (offsets.size() == wire::kMaxBatch) {
        if (auto f = flush(); !f.ok()) return f.error();
      }
    }
    if (auto f = flush(); !f.ok()) return f.error();
  }
  writer.End();
  return written;
}

Result<ProvedEvent> AuditClient::Prove(const std::string& event_id,
                                       const std::string& justification) {
  auto cp = Checkpoint();
  if (!cp.ok()) return cp.error();
  proto::ControlT c;
  proto::AuditQueryT q;
  q.query_id = next_id_++;
  q.kind = proto::AuditQueryKind::Proofs;
  q.tree_size = cp->parsed.size;
  q.event_id = event_id;
  q.justification = justification;
  q.purpose = "prove";
  uint64_t id = q.query_id;
  c.command.Set(std::move(q));
  auto reply = Ask(wire::EncodeControl(c), id);
  if (!reply.ok()) return reply.error();
  ProvedEvent out;
  out.checkpoint = *cp;
  if (reply->payload_count() != 1 || !DecodeProof(reply->payload(0), &out.offset, &out.path)) {
    return Error{wire::errc::malformed_message, "the broker sent no proof"};
  }
  proto::ReplayT replay;
  replay.replay_id = next_id_++;
  replay.from_offset = out.offset;
  replay.to_offset = out.offset;
  replay.justification = justification;
  auto s = Replay(replay, [&](uint64_t, std::string bytes) { out.record = std::move(bytes); });
  if (!s.ok()) return s.error();
  // The record must be the event asked for, not whatever sits at the offset.
  auto rec = wire::VerifyRecord(wire::AsBytes(out.record));
  bool same_event =
      rec.ok() && wire::EventId::FromFb(*fb::GetEvent(wire::RecordEventBytes(**rec).data())->id())
                          .ToString() == (wire::EventId::Parse(event_id).ok()
                                              ? wire::EventId::Parse(event_id)->ToString()
                                              : event_id);
  out.verified = same_event && !out.record.empty() &&
                 audit::VerifyInclusion(audit::LeafHash(out.record), out.offset - 1,
                                        cp->parsed.size, out.path, cp->parsed.root);
  return out;
}

Result<AuditClient::OffsetProof> AuditClient::ProveOffset(uint64_t offset, const std::string& justification) {
  auto cp = Checkpoint();
  if (!cp.ok()) return cp.error();
  OffsetProof out;
  out.checkpoint = *cp;
  if (offset == 0 || offset > cp->parsed.size) {
    out.beyond = true;
    return out;
  }
  auto paths = Proofs(cp->parsed.size, {offset}, justification, "prove-receipt");
  if (!paths.ok()) return paths.error();
  out.path = std::move((*paths)[0]);
  return out;
}

Result<nlohmann::json> AuditClient::Stats(const std::string& by, uint32_t from_month, uint32_t to_month,
                                          const std::string& justification) {
  static const std::vector<std::string> kNames = {"origin", "destination", "type", "priority", "month"};
  proto::AuditQueryT q;
  for (size_t start = 0; start < by.size();) {
    size_t comma = by.find(',', start);
    std::string name = by.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? by.size() : comma + 1;
    if (name.empty()) continue;
    auto it = std::find(kNames.begin(), kNames.end(), name);
    if (it == kNames.end()) {
      return Error{wire::errc::malformed_message,
                   fmt::format("by: no dimension '{}'; use origin, destination, type, priority, month",
                               name.substr(0, 32)),
                   "by"};
    }
    q.stats_by.push_back(static_cast<uint8_t>(it - kNames.begin()));
  }
  if (q.stats_by.empty()) return Error{wire::errc::malformed_message, "by: name at least one dimension", "by"};
  if (justification.empty()) {
    return Error{wire::errc::justification_required, "justification: statistics at the broker need one"};
  }
  q.query_id = next_id_++;
  q.kind = proto::AuditQueryKind::Stats;
  q.from_month = from_month;
  q.to_month = to_month;
  q.justification = justification;
  uint64_t id = q.query_id;
  proto::ControlT c;
  c.command.Set(std::move(q));
  auto reply = Ask(wire::EncodeControl(c), id, kStatsReplyTimeout);
  if (!reply.ok()) return reply.error();
  if (reply->payload_count() != 1) {
    return Error{wire::errc::malformed_message, "the broker's statistics reply carries no table"};
  }
  nlohmann::json table = StatsTableJson(reply->payload(0));
  if (table.is_null()) return Error{wire::errc::malformed_message, "the broker's statistics table does not verify"};
  return table;
}

nlohmann::json StatsTableJson(std::span<const uint8_t> bytes) {
  flatbuffers::Verifier v(bytes.data(), bytes.size());
  if (!v.VerifyBuffer<proto::StatsTable>("LNTS")) return nullptr;
  const auto* t = flatbuffers::GetRoot<proto::StatsTable>(bytes.data());
  using nlohmann::json;
  json by = json::array();
  if (t->by()) {
    for (uint8_t d : *t->by()) {
      by.push_back(d <= static_cast<uint8_t>(proto::StatsDimension::MAX)
                       ? fmt::format("{}", proto::EnumNameStatsDimension(static_cast<proto::StatsDimension>(d)))
                       : std::string("unknown"));
    }
    for (auto& b : by) {
      std::string s = b.get<std::string>();
      for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      b = s;
    }
  }
  auto str_or_null = [](const flatbuffers::String* s) {
    return s == nullptr || s->size() == 0 ? json(nullptr) : json(s->str());
  };
  json cells = json::array();
  if (t->cells()) {
    for (const auto* c : *t->cells()) {
      json cell{{"origin", str_or_null(c->origin_country())},
                {"destination", str_or_null(c->destination_country())},
                {"type", nullptr},
                {"priority", nullptr},
                {"month", nullptr},
                {"count", c->suppressed() ? json(nullptr) : json(c->count())},
                {"suppressed", c->suppressed()},
                {"total", c->total()}};
      if (c->body_type() != 0) cell["type"] = fb::EnumNameBody(static_cast<fb::Body>(c->body_type()));
      if (c->priority() >= 0) cell["priority"] = fb::EnumNamePriority(static_cast<fb::Priority>(c->priority()));
      if (c->month() != 0) cell["month"] = fmt::format("{:04}-{:02}", c->month() / 100, c->month() % 100);
      cells.push_back(std::move(cell));
    }
  }
  return json{{"by", by},
              {"from_month", t->from_month()},
              {"to_month", t->to_month()},
              {"threshold", t->threshold()},
              {"cells", cells}};
}

Status CheckExtends(const audit::Checkpoint& older, const CheckpointReply& newer) {
  const audit::Checkpoint& n = newer.parsed;
  if (n.log_id != older.log_id) {
    return Error{wire::errc::policy_denied,
                 fmt::format("the checkpoint is of log '{}', not '{}'", n.log_id, older.log_id)};
  }
  if (n.size < older.size) {
    return Error{wire::errc::policy_denied,
                 fmt::format("ROLLBACK: the broker's log has {} records but it signed {} before",
                             n.size, older.size)};
  }
  if (!audit::VerifyConsistency(older.size, n.size, older.root, n.root, newer.consistency)) {
    return Error{wire::errc::policy_denied,
                 fmt::format("INCONSISTENT: the log of {} records does not extend the one of {} "
                             "records this node saw (the history was rewritten)",
                             n.size, older.size)};
  }
  if (n.access_size < older.access_size) {
    return Error{wire::errc::policy_denied,
                 fmt::format("ROLLBACK: the broker's consultation log has {} records but it signed {} before",
                             n.access_size, older.access_size)};
  }
  if (newer.access_known_size != older.access_size) {
    return Error{wire::errc::policy_denied,
                 fmt::format("the reply proves the consultation log from {} records, not from the {} this "
                             "node saw",
                             newer.access_known_size, older.access_size)};
  }
  if (!audit::VerifyConsistency(older.access_size, n.access_size, older.access_root, n.access_root,
                                newer.access_consistency)) {
    return Error{wire::errc::policy_denied,
                 fmt::format("INCONSISTENT: the consultation log of {} records does not extend the one of {} "
                             "records this node saw (consultation records were altered or removed)",
                             n.access_size, older.access_size)};
  }
  return OkStatus();
}

}  // namespace lintas::node
