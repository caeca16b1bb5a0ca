// Durable subscriptions (node inboxes and named subscriptions) and replay:
// credit-based delivery from the log, cumulative acknowledgements, cursors.
#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "broker_loop.h"
#include "lintas/broker/logger.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/verify.h"

namespace lintas::broker {
namespace {

// The most credit a subscription or replay can hold; grants beyond it are
// clamped, not refused (docs/PROTOCOL.md section 4.3).
constexpr uint64_t kMaxCredit = 1u << 20;
// Index entries one pump may look at per subscription, so that a filtered
// subscription scanning a long backlog does not starve the others.
constexpr size_t kScanBudget = 4096;
// Records one catch-up read may bring (within the subscription's credit and
// kCatchUpBytes): several Delivers' worth per round trip to the LogReader.
constexpr size_t kCatchUpRecords = 4096;
constexpr size_t kMaxNameBytes = 64;
constexpr std::string_view kInbox = "inbox";  // the reserved name of a node's inbox
// The most record bytes (with a packed frame's padding) one Deliver carries:
// a receiver refuses a message over kMaxMessageBytes whole, and a Deliver
// it refuses would be sent again for ever. One record always fits.
constexpr size_t kMaxDeliverBytes = wire::kMaxMessageBytes - wire::kMaxControlBytes;

// How many of `records` from `from` go in one Deliver: at most `count`,
// within kMaxDeliverBytes, at least one.
size_t DeliverChunk(const std::vector<SharedRecord>& records, size_t from, size_t count) {
  size_t n = 0;
  size_t bytes = 0;
  while (from + n < records.size() && n < count) {
    size_t b = wire::PackedRecordStart(records[from + n]->size());
    if (n > 0 && bytes + b > kMaxDeliverBytes) break;
    bytes += b;
    ++n;
  }
  assert(n > 0 || from >= records.size());  // records and offsets go together
  return n;
}

bool IsSubscriptionName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

// The named subscriptions attached to `session`: those the cap counts.
size_t NamedSubscriptions(const Session& session) {
  std::string inbox = session.node->id + "/" + std::string(kInbox);
  return session.subscriptions.size() - session.subscriptions.count(inbox);
}

// Whether a stored record is one replay `r` asked for (docs/PROTOCOL.md 4.4).
bool ReplayMatches(const ReplayState& r, const fb::StoredRecord& rec, const Directory& directory) {
  const fb::Event* event = fb::GetEvent(wire::RecordEventBytes(rec).data());
  if (rec.received_at_us() < r.from_time_us || rec.received_at_us() > r.to_time_us) return false;
  if (!r.origin_country.empty() && event->origin()->country()->string_view() != r.origin_country) {
    return false;
  }
  if (!r.case_id.empty() && (!event->case_id() || event->case_id()->string_view() != r.case_id)) {
    return false;
  }
  return !r.party.any() || r.party.Matches(*event, directory);
}

}  // namespace

void BrokerLoop::HandleSubscribe(Session& session, const proto::Subscribe& subscribe) {
  const NodeConfig& node = *session.node;
  std::string_view name = subscribe.subscription()->string_view();
  if (!node.can_subscribe) {
    probe_.Refused(wire::errc::permission_denied);
    SendError(session.peer, wire::errc::permission_denied, "this node may not subscribe");
    return;
  }
  if (!IsSubscriptionName(name)) {
    probe_.Refused(wire::errc::malformed_message);
    SendError(session.peer, wire::errc::malformed_message,
              "subscription: 1-64 of a-z, 0-9, '-', '_', '.'");
    return;
  }
  std::string key = node.id + "/" + std::string(name);
  bool inbox = name == kInbox;
  if (subscriptions_.count(key)) {
    Detach(key);  // a reconnect takes the subscription over
  } else if (!inbox && NamedSubscriptions(session) >= config_.max_subscriptions_per_node) {
    // The inbox is never capped: without it a node's referrals are never
    // delivered. Not retryable: only an Unsubscribe makes room.
    probe_.Refused(wire::errc::too_many_subscriptions);
    SendError(session.peer, wire::errc::too_many_subscriptions,
              fmt::format("at most {} named subscriptions per node (the inbox not counted); "
                          "unsubscribe one first",
                          config_.max_subscriptions_per_node));
    return;
  }

  SubscriptionFilter filter = SubscriptionFilter::FromProto(subscribe.filter());
  auto cursor = GetCursor(key);
  if (!cursor.ok()) {
    Log()->error("cursor read failed key={} error={}", key, cursor.error().message);
    SendError(session.peer, wire::errc::storage_error, "cursor could not be read; retry");
    return;
  }
  uint64_t acked = 0;
  uint64_t end = store_->next_offset() - 1;
  if (cursor->has_value()) {
    acked = (*cursor)->acked_offset;
  } else {
    switch (subscribe.start()) {
      case proto::StartPosition::Latest: acked = end; break;
      case proto::StartPosition::AtOffset:
        acked = std::min(subscribe.start_offset() > 0 ? subscribe.start_offset() - 1 : 0, end);
        break;
      default: acked = 0; break;
    }
  }
  PutCursor(key, store::CursorState{acked, filter.Encode()});
  Subscription& sub = subscriptions_[key];
  sub.key = key;
  sub.name = std::string(name);
  sub.inbox = inbox;
  sub.filter = std::move(filter);
  sub.peer = session.peer;
  sub.node_id = node.id;
  sub.node_country = node.country;
  sub.node_roles = directory_.NodeRoles(node);
  sub.acked = acked;
  sub.position = acked;  // everything after the cursor is (re)delivered
  // The same cap as Credit: a larger grant is not refused, it is clamped.
  sub.credit = std::min<uint64_t>(subscribe.credit() > 0 ? subscribe.credit() : config_.credit_window,
                                  kMaxCredit);
  sub.window = sub.credit;
  sub.packed = subscribe.packed();
  sub.idle = false;
  session.subscriptions.insert(key);

  flatbuffers::FlatBufferBuilder fbb;
  auto sub_name = fbb.CreateString(name);
  auto reply = proto::CreateSubscribed(fbb, sub_name, acked, acked > 0);
  fbb.Finish(proto::CreateControl(fbb, proto::Command::Subscribed, reply.Union()),
             proto::ControlIdentifier());
  (void)Send(session.peer, std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()),
                                       fbb.GetSize()));
  Log()->info("subscribed node={} subscription={} acked={}", node.id, name, acked);
  ReportBacklog(sub);
}

void BrokerLoop::Detach(const std::string& key) {
  auto it = subscriptions_.find(key);
  if (it == subscriptions_.end()) return;
  if (auto s = sessions_.find(it->second.peer); s != sessions_.end()) {
    s->second.subscriptions.erase(key);
  }
  subscriptions_.erase(it);
}

void BrokerLoop::HandleUnsubscribe(Session& session, const proto::Unsubscribe& unsubscribe) {
  std::string key = session.node->id + "/" + unsubscribe.subscription()->str();
  Detach(key);
  if (unsubscribe.remove()) PutCursor(key, std::nullopt);
}

void BrokerLoop::HandleDeliveryAck(Session& session, const proto::DeliveryAck& ack) {
  std::string key = session.node->id + "/" + ack.subscription()->str();
  auto it = subscriptions_.find(key);
  if (it == subscriptions_.end() || it->second.peer != session.peer) {
    probe_.Refused(wire::errc::unknown_subscription);
    SendError(session.peer, wire::errc::unknown_subscription,
              fmt::format("DeliveryAck for a subscription this connection has not attached"));
    return;
  }
  Subscription& sub = it->second;
  // Nothing beyond what was delivered can be acknowledged.
  uint64_t delivered = sub.held.empty() ? sub.position : sub.held.front().offsets.front() - 1;
  uint64_t offset = std::min(ack.offset(), delivered);
  if (offset <= sub.acked) return;
  sub.acked = offset;
  PutCursor(key, store::CursorState{offset, sub.filter.Encode()});
  ReportBacklog(sub);
}

void BrokerLoop::HandleCredit(Session& session, const proto::Credit& credit) {
  if (credit.replay_id() != 0) {
    auto r = session.replays.find(credit.replay_id());
    if (r != session.replays.end()) r->second.credit = std::min(r->second.credit + credit.credit(), kMaxCredit);
    return;
  }
  std::string key = session.node->id + "/" + (credit.subscription() ? credit.subscription()->str() : "");
  auto it = subscriptions_.find(key);
  if (it == subscriptions_.end() || it->second.peer != session.peer) {
    probe_.Refused(wire::errc::unknown_subscription);
    SendError(session.peer, wire::errc::unknown_subscription,
              "Credit for a subscription this connection has not attached");
    return;
  }
  it->second.credit = std::min(it->second.credit + credit.credit(), kMaxCredit);
  it->second.idle = false;
}

void BrokerLoop::HandleReplay(Session& session, const proto::Replay& replay) {
  if (!session.node->can_audit) {
    probe_.Refused(wire::errc::permission_denied);
    SecurityLog()->warn("replay refused: no audit permission node={}", session.node->id);
    SendError(session.peer, wire::errc::permission_denied, "replay requires the audit permission");
    return;
  }
  if (replay.justification() == nullptr || replay.justification()->size() == 0) {
    probe_.Refused(wire::errc::justification_required);
    SendError(session.peer, wire::errc::justification_required,
              "replay requires a justification");
    return;
  }
  if (session.replays.size() >= config_.max_replays_per_peer) {
    probe_.Refused(wire::errc::overloaded);
    SendError(session.peer, wire::errc::overloaded,
              fmt::format("at most {} replays at once per connection", config_.max_replays_per_peer));
    return;
  }
  if (replay.replay_id() == 0 || session.replays.count(replay.replay_id())) {
    SendError(session.peer, wire::errc::malformed_message,
              "replay_id must be non-zero and not in use on this connection");
    return;
  }
  ReplayState r;
  r.id = replay.replay_id();
  r.from_offset = replay.from_offset();
  r.to_offset = replay.to_offset();
  r.from_time_us = replay.from_time_us();
  r.to_time_us = replay.to_time_us();
  if (replay.origin_country()) r.origin_country = replay.origin_country()->str();
  if (replay.case_id()) r.case_id = replay.case_id()->str();
  if (replay.party_country()) r.party.country = replay.party_country()->str();
  if (replay.party_agency()) r.party.agency = replay.party_agency()->str();
  r.justification = replay.justification()->str();
  r.packed = replay.packed();
  r.position = r.from_offset > 0 ? r.from_offset - 1 : 0;
  r.credit = std::min<uint64_t>(replay.credit() > 0 ? replay.credit() : config_.credit_window,
                                kMaxCredit);
  r.end = store_->next_offset() - 1;
  Log()->info("replay started node={} replay_id={} justification_bytes={}", session.node->id,
              r.id, replay.justification()->size());
  session.replays.emplace(r.id, std::move(r));
  deliveries_pending_ = true;
}

void BrokerLoop::PumpDeliveries() {
  deliveries_pending_ = false;
  index_wait_ = false;
  // Offsets below are durable, and held by recent_ if it reaches them.
  uint64_t watermark = committed_end_;
  // A batch recorded but not yet durable waits for the commit that syncs
  // its record (which wakes the loop), not re-read on every turn.
  auto waiting = [&](uint64_t recorded_to, uint64_t recorded_seq, uint64_t position) {
    return recorded_to > position && recorded_seq > access_durable_;
  };
  for (auto& [key, sub] : subscriptions_) {
    if (!sub.held.empty() && FlushHeld(sub) != Disclosed::kSent) continue;
    if (!sub.idle && sub.HoldRoom() > 0) PumpSubscription(sub, watermark);
  }
  for (auto& [peer, session] : sessions_) {
    std::vector<uint64_t> ids;
    for (const auto& [id, replay] : session.replays) ids.push_back(id);
    for (uint64_t id : ids) {
      auto it = session.replays.find(id);
      if (it != session.replays.end() && it->second.credit > 0 &&
          !waiting(it->second.recorded_to, it->second.recorded_seq, it->second.position)) {
        PumpReplay(session, it->second, watermark);
      }
    }
  }
}

void BrokerLoop::PumpSubscription(Subscription& sub, uint64_t watermark) {
  size_t budget = kScanBudget;
  PumpBatch batch;
  while (sub.HoldRoom() > 0 && budget > 0) {
    if (sub.position + 1 >= watermark) {
      sub.idle = true;
      break;
    }
    batch.Clear(sub.position);
    // A subscriber following the log reads the recent records: no store
    // read. The cache must reach the watermark, or a record committed but
    // not yet added to it would be taken for absent.
    bool recent = recent_.first() != 0 && recent_.first() <= sub.position + 1 &&
                  recent_.last() + 1 >= watermark;
    PumpStep step = recent ? TakeRecent(sub, watermark, &budget, &batch)
                           : TakeCatchUp(sub, watermark, &budget, &batch);
    if (step == PumpStep::kScanned) continue;
    if (step == PumpStep::kStop) return;
    if (step == PumpStep::kIdle || batch.position == sub.position) {  // the next hit is not durable yet
      sub.idle = true;
      break;
    }
    if (!Hold(sub, &batch)) return;
    sub.position = batch.position;
  }
  if (FlushHeld(sub) == Disclosed::kGone) return;  // without a consultation log: at once
  if (!sub.idle) deliveries_pending_ = true;  // budget or batch cut it short: continue soon
}

BrokerLoop::PumpStep BrokerLoop::TakeRecent(Subscription& sub, uint64_t watermark, size_t* budget,
                                            PumpBatch* batch) {
  size_t deliver = std::min<uint64_t>(sub.HoldRoom(), config_.max_batch);
  size_t limit = sub.inbox ? deliver : std::min<size_t>(*budget, 1024);
  uint64_t examined =
      recent_.Scan(sub.inbox ? sub.node_id : std::string(), sub.position, limit, *budget, &batch->hits);
  if (batch->hits.empty()) {
    *budget -= std::min<size_t>(*budget, examined - sub.position);
    sub.position = examined;
    return examined + 1 >= watermark ? PumpStep::kIdle : PumpStep::kScanned;
  }
  for (const auto& hit : batch->hits) {
    if (hit.offset >= watermark || batch->offsets.size() >= deliver) break;
    batch->position = hit.offset;
    --*budget;
    if (!sub.inbox && !DistributedTo(sub.filter, sub.node_country, sub.node_roles, policy_, hit.value)) {
      continue;
    }
    const RecentRecords::Entry* e = recent_.Find(hit.offset);
    if (e == nullptr) {
      Log()->error("record missing offset={} subscription={}", hit.offset, sub.key);
      return PumpStep::kStop;
    }
    batch->offsets.push_back(hit.offset);
    batch->records.push_back(e->record);
  }
  return PumpStep::kFound;
}

BrokerLoop::PumpStep BrokerLoop::TakeCatchUp(Subscription& sub, uint64_t watermark, size_t* budget,
                                             PumpBatch* batch) {
  // Behind the recent records: the LogReader reads the log through the
  // index, which is certain only up to its watermark (read now): hits past
  // it are left for a later pump, never skipped.
  uint64_t indexed = std::min(IndexedEnd(), watermark - 1);
  if (sub.position >= indexed) {
    index_wait_ = true;  // the index thread is behind: poll again soon
    return PumpStep::kStop;
  }
  // Up to kCatchUpRecords in one read: one round trip to the reader per
  // max_batch records cannot keep up with the publishers.
  size_t catch_up = std::min<uint64_t>(sub.HoldRoom(), kCatchUpRecords);
  size_t limit = sub.inbox ? catch_up : std::min<size_t>(*budget, 1024);
  if (!CatchUpReady(sub, indexed, limit, catch_up)) return PumpStep::kStop;  // its answer wakes the loop
  std::shared_ptr<CatchUp> read = std::move(sub.catch_up);
  if (!read->status.ok()) {
    Log()->error("delivery read failed subscription={} error={}", sub.key, read->status.error().message);
    return PumpStep::kStop;
  }
  *budget -= std::min<size_t>(*budget, std::max<size_t>(1, read->offsets.size()));
  batch->position = read->examined;
  batch->offsets = std::move(read->offsets);
  batch->records = std::move(read->records);
  return PumpStep::kFound;
}

bool BrokerLoop::Hold(Subscription& sub, PumpBatch* batch) {
  // One Deliver (and one consultation record) per max_batch records, and
  // never more than the subscriber's window, so that each can be sent: a
  // catch-up read brings up to kCatchUpRecords at once.
  size_t per_deliver = std::max<uint64_t>(1, std::min<uint64_t>(config_.max_batch, sub.window));
  auto& offsets = batch->offsets;
  auto& records = batch->records;
  for (size_t from = 0, n = 0; from < offsets.size(); from += n) {
    n = DeliverChunk(records, from, per_deliver);
    auto session = sessions_.find(sub.peer);
    if (session == sessions_.end()) return false;
    std::vector<uint64_t> chunk(offsets.begin() + from, offsets.begin() + from + n);
    // Nothing is disclosed unless it is recorded: the record goes into
    // the next group commit, the batch once that commit has synced it.
    RecordAccess(session->second, fb::AccessAction::Delivered, chunk, sub.name);
    std::vector<SharedRecord> chunk_records(std::make_move_iterator(records.begin() + from),
                                            std::make_move_iterator(records.begin() + from + n));
    sub.held_records += n;
    sub.held.push_back({std::move(chunk), std::move(chunk_records), AccessWritten()});
  }
  return true;
}

Result<std::optional<std::string>> BrokerLoop::ReadCommitted(uint64_t offset) {
  if (const RecentRecords::Entry* e = recent_.Find(offset)) {
    return std::optional<std::string>(*e->record);
  }
  return store_->ReadRecord(offset);
}

Status BrokerLoop::ScanReplay(const ReplayState& r, size_t limit,
                              std::vector<uint64_t>* candidates) {
  candidates->clear();
  bool by_time = r.from_time_us > 0 || r.to_time_us < INT64_MAX;
  if (r.case_id.empty() && r.origin_country.empty() && by_time) {
    return store_->ScanTime(r.from_time_us, r.to_time_us, r.position, limit, candidates);
  }
  std::vector<store::ScanHit> hits;
  Status s;
  if (!r.case_id.empty()) {
    s = store_->Scan(store::Index::kCase, r.case_id, r.position, limit, &hits);
  } else if (!r.origin_country.empty()) {
    s = store_->Scan(store::Index::kOrigin, r.origin_country, r.position, limit, &hits);
  } else {
    s = store_->Scan(store::Index::kLog, "", r.position, limit, &hits);
  }
  for (const auto& h : hits) candidates->push_back(h.offset);
  return s;
}

void BrokerLoop::PumpReplay(Session& session, ReplayState& r, uint64_t watermark) {
  uint64_t end = std::min(r.end, watermark - 1);
  end = std::min(end, r.to_offset);
  // A replay by case, origin or time reads an index: not past its watermark
  // (read before the scan), so that no record is skipped. It waits for the
  // index thread there, which is one or two commits behind at most.
  bool by_index = !r.case_id.empty() || !r.origin_country.empty() || r.from_time_us > 0 ||
                  r.to_time_us < INT64_MAX;
  uint64_t scan_end = by_index ? std::min(end, IndexedEnd()) : end;
  size_t budget = kScanBudget;
  std::vector<uint64_t> candidates;
  std::vector<uint64_t> offsets;
  std::vector<std::string> records;
  bool done = false;
  while (r.credit > 0 && budget > 0 && !done) {
    if (Status s = ScanReplay(r, std::min<size_t>(budget, 1024), &candidates); !s.ok()) {
      Log()->error("replay scan failed replay_id={} error={}", r.id, s.error().message);
      return;
    }
    while (!candidates.empty() && candidates.back() > scan_end && scan_end < end) candidates.pop_back();
    if (candidates.empty()) {
      if (scan_end < end) {  // nothing more up to the index watermark: wait for it
        r.position = std::max(r.position, scan_end);
        index_wait_ = true;
        return;
      }
      done = true;
    }
    offsets.clear();
    records.clear();
    // The replay's position moves past this batch only once it is sent.
    uint64_t position = r.position;
    size_t bytes = 0;  // of the records in `records`, as kMaxDeliverBytes counts them
    for (uint64_t offset : candidates) {
      if (offset > end) {
        done = true;
        break;
      }
      if (offsets.size() >= r.credit || offsets.size() >= config_.max_batch) break;
      auto record = store_->ReadRecord(offset);
      if (!record.ok() || !record->has_value()) {
        // An index names a record the log cannot give: the auditor is told
        // (ReplayEnd.missing), never left with a silent gap.
        Log()->error("replay_id={} record missing or unreadable offset={}", r.id, offset);
        r.missing.insert(offset);
        position = offset;
        --budget;
        continue;
      }
      auto verified = wire::VerifyRecord(wire::AsBytes(**record));
      if (!verified.ok()) {
        // An auditor must see a damaged record, not a silent gap.
        Log()->error("stored record fails verification offset={}: {}", offset,
                     verified.error().message);
      } else if (!ReplayMatches(r, **verified, directory_)) {
        position = offset;  // filtered here: only what matches is disclosed (and recorded)
        --budget;
        continue;
      }
      size_t b = wire::PackedRecordStart((*record)->size());
      if (!offsets.empty() && bytes + b > kMaxDeliverBytes) break;  // the next Deliver's first
      bytes += b;
      position = offset;
      --budget;
      offsets.push_back(offset);
      records.push_back(std::move(**record));
    }
    if (!offsets.empty()) {
      Disclosed sent = Disclose(session, r, offsets, records);
      if (sent == Disclosed::kGone) return;    // the session (and r) may be gone
      if (sent == Disclosed::kNotNow) return;  // position unchanged: retried on the next pump
      r.credit -= offsets.size();
      r.count += offsets.size();
    }
    r.position = position;
    if (r.position >= end) done = true;
  }
  if (done) {
    EndReplay(session, r);
    return;
  }
  deliveries_pending_ = true;
}

void BrokerLoop::EndReplay(Session& session, ReplayState& r) {
  proto::ControlT control;
  proto::ReplayEndT end_msg;
  end_msg.replay_id = r.id;
  end_msg.count = r.count;
  end_msg.last_offset = r.position;
  end_msg.missing.assign(r.missing.begin(), r.missing.end());
  control.command.Set(std::move(end_msg));
  uint64_t id = r.id;
  (void)Send(session.peer, wire::EncodeControl(control));
  if (r.missing.empty()) {
    Log()->info("replay finished node={} replay_id={} count={}", session.node->id, id, r.count);
  } else {
    Log()->error("replay finished incomplete node={} replay_id={} count={} missing={}",
                 session.node->id, id, r.count, r.missing.size());
  }
  session.replays.erase(id);  // invalidates r
}

void BrokerLoop::ReportBacklog(const Subscription& sub) {
  uint64_t end = store_->next_offset() - 1;
  probe_.Backlog(sub.key, end > sub.acked ? end - sub.acked : 0);
}

}  // namespace lintas::broker
