// The publish path: admission and the decision (ingest.h), offsets and
// records, and the acknowledgements once the group commit holding the events
// is synced.
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "broker_loop.h"
#include "signed_acks.h"
#include "lintas/broker/logger.h"
#include "lintas/common/clock.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/record.h"
#include "lintas/wire/verify.h"

namespace lintas::broker {
namespace {

// Parents among the recent records are read from memory: a reply to a
// recent event needs neither the page cache nor the log reader.
RecentSource FromRecent(const RecentRecords& recent) {
  return [&recent](uint64_t offset) -> const std::string* {
    const RecentRecords::Entry* e = recent.Find(offset);
    return e != nullptr ? e->record.get() : nullptr;
  };
}

}  // namespace

void BrokerLoop::Nack(Session& session, uint64_t seq, const Error& error) {
  auto code = error.code.category() == wire::WireCategory()
                  ? static_cast<wire::errc>(error.code.value())
                  : wire::errc::internal;
  probe_.Refused(code);
  LogRefusal(session.peer, error);
  (void)Send(session.peer, wire::EncodeNack(seq, error));
}

std::optional<Error> BrokerLoop::PublishRefusal(const Session& session, size_t n) const {
  if (n > config_.max_batch) {
    return Error{wire::errc::batch_too_large,
                 fmt::format("Publish carries {} events; this broker takes {}", n, config_.max_batch)};
  }
  if (!session.node->can_publish) return Error{wire::errc::permission_denied, "this node may not publish"};
  if (stop_.load(std::memory_order_relaxed)) {
    return Error{wire::errc::shutting_down, "the broker is stopping; resend later"};
  }
  if (storage_failed_) return Error{wire::errc::storage_error, "the log cannot be written; resend later"};
  if (!audit_blocked_.empty()) {
    return Error{wire::errc::log_damaged,
                 "the broker's log no longer matches its last signed checkpoint; publishes are refused until "
                 "an operator acts: resend later"};
  }
  return std::nullopt;
}

void BrokerLoop::HandlePublish(Session& session, const wire::MessageView& message) {
  uint64_t first_seq = message.control->command_as_Publish()->first_seq();
  std::span<const std::span<const uint8_t>> payloads(message.payloads);
  if (auto refusal = PublishRefusal(session, payloads.size())) {
    for (size_t i = 0; i < payloads.size(); ++i) Nack(session, first_seq + i, *refusal);
    return;
  }
  // Behind a deferred Publish of the same node: wait with it, in order.
  if (!session.deferred.empty()) {
    Defer(session, first_seq, payloads);
    return;
  }
  // Admission of each event first (verify, validate, origin), then the
  // lookups (dedup, parents) of those not in flight, from memory only.
  std::vector<Result<const fb::Event*>> admitted;
  std::vector<wire::EventId> ids;
  std::vector<wire::EventId> parents;
  AdmitAll(*session.node, payloads, &admitted, &ids, &parents, nullptr);
  LogAnswers answers;
  if (!LookUp(*store_, directory_, ids, parents, ReadMode::kMemoryOnly, &answers, FromRecent(recent_))) {
    // An answer needs the disk: the LogReader asks, the loop goes on.
    Defer(session, first_seq, payloads);
    return;
  }
  Decide(session, first_seq, payloads, admitted, answers, nullptr);
}

void BrokerLoop::AdmitAll(const NodeConfig& node, std::span<const std::span<const uint8_t>> payloads,
                          std::vector<Result<const fb::Event*>>* admitted, std::vector<wire::EventId>* ids,
                          std::vector<wire::EventId>* parents,
                          std::unordered_map<wire::EventId, ParentFacts, EventIdHash>* known_parents) {
  admitted->reserve(payloads.size());
  for (const auto& bytes : payloads) {
    admitted->push_back(AdmitEvent(node, directory_, bytes));
    if (!admitted->back().ok()) continue;
    const fb::Event& event = **admitted->back();
    wire::EventId id = wire::EventId::FromFb(*event.id());
    if (!inflight_ids_.count(id)) ids->push_back(id);
    if (event.parent_id() == nullptr) continue;
    wire::EventId parent = wire::EventId::FromFb(*event.parent_id());
    auto in_flight = inflight_ids_.find(parent);
    if (in_flight == inflight_ids_.end()) {
      parents->push_back(parent);
    } else if (known_parents != nullptr) {
      known_parents->insert_or_assign(parent, in_flight->second.facts);
    }
  }
}

Result<std::optional<uint64_t>> BrokerLoop::StoredAt(const wire::EventId& id,
                                                     const LogAnswers& answers) const {
  // Events not yet committed first (this Publish's earlier ones too), so
  // that a resend in the same window is a duplicate; then the log.
  if (auto it = inflight_ids_.find(id); it != inflight_ids_.end()) return std::optional(it->second.offset);
  if (auto it = recently_committed_.find(id); it != recently_committed_.end()) {
    return std::optional(it->second.offset);
  }
  if (auto it = answers.stored.find(id); it != answers.stored.end() && answers.dedup.ok()) {
    return it->second;
  }
  return Error{wire::errc::storage_error, "dedup lookup failed; resend later"};
}

Result<std::optional<ParentFacts>> BrokerLoop::ParentOf(
    const wire::EventId& parent_id, const LogAnswers& answers,
    const std::unordered_map<wire::EventId, ParentFacts, EventIdHash>* known_parents) const {
  // The parent may be in this very commit window: its facts come from the
  // in-flight map then, so an answer is never refused for being quick.
  if (auto it = inflight_ids_.find(parent_id); it != inflight_ids_.end()) {
    return std::optional(it->second.facts);
  }
  if (auto it = recently_committed_.find(parent_id); it != recently_committed_.end()) {
    return std::optional(it->second.facts);
  }
  if (known_parents != nullptr) {
    if (auto it = known_parents->find(parent_id); it != known_parents->end()) return std::optional(it->second);
  }
  if (auto it = answers.parents.find(parent_id); it != answers.parents.end()) return it->second;
  return Error{wire::errc::storage_error, "parent lookup failed; resend later", "parent_id"};
}

void BrokerLoop::Decide(Session& session, uint64_t first_seq,
                        std::span<const std::span<const uint8_t>> payloads,
                        const std::vector<Result<const fb::Event*>>& admitted, const LogAnswers& answers,
                        const std::unordered_map<wire::EventId, ParentFacts, EventIdHash>* known_parents) {
  const NodeConfig& node = *session.node;
  for (size_t i = 0; i < payloads.size(); ++i) {
    uint64_t seq = first_seq + i;
    if (session.inflight >= config_.max_inflight_per_peer) {
      Nack(session, seq,
           Error{wire::errc::overloaded,
                 fmt::format("more than {} events in flight; wait for acks",
                             config_.max_inflight_per_peer)});
      continue;
    }
    if (!admitted[i].ok()) {
      const Error& e = admitted[i].error();
      if (e.code == wire::errc::origin_mismatch) {
        SecurityLog()->warn("origin mismatch node={} node_country={} field={} reason={}", node.id,
                            node.country, e.field, e.message);
      }
      Nack(session, seq, e);
      continue;
    }
    const fb::Event& event = **admitted[i];
    wire::EventId id = wire::EventId::FromFb(*event.id());
    IngestLookups lookups;
    auto stored = StoredAt(id, answers);
    if (!stored.ok()) {
      Nack(session, seq, stored.error());
      continue;
    }
    lookups.stored_at = *stored;
    if (!lookups.stored_at && event.parent_id() != nullptr) {
      auto found = ParentOf(wire::EventId::FromFb(*event.parent_id()), answers, known_parents);
      if (!found.ok()) {
        Nack(session, seq, found.error());
        continue;
      }
      lookups.parent = std::move(*found);
    }
    IngestDecision decision = Ingest(ingest_state_, node, event, lookups);
    if (const auto* dup = std::get_if<Duplicate>(&decision)) {
      probe_.Duplicate();
      current_->want_leaves = log_tree_ != nullptr;  // the receipt's hashes, read by the commit thread
      current_->acks.push_back({session.peer, seq, dup->offset, true, id});
    } else if (auto* accepted = std::get_if<Accepted>(&decision)) {
      Append(session, seq, id, payloads[i], std::move(*accepted));
    } else {
      const Error& e = std::get<Error>(decision);
      if (e.code == wire::errc::policy_denied) {
        SecurityLog()->warn("policy refused node={} field={} reason={}", node.id, e.field, e.message);
      }
      Nack(session, seq, e);
    }
  }
}

void BrokerLoop::Append(Session& session, uint64_t seq, const wire::EventId& id,
                        std::span<const uint8_t> bytes, Accepted&& accepted) {
  const NodeConfig& node = *session.node;
  store::AppendEntry entry;
  entry.index = std::move(accepted.index);
  last_received_us_ = std::max(last_received_us_, NowMicros());
  entry.offset = next_offset_++;
  entry.event_id = id;
  entry.index.received_at_us = last_received_us_;
  entry.record = wire::EncodeRecord(entry.offset, last_received_us_,
                                    wire::PublisherInfo{node.id, node.country, node.public_key}, bytes);
  current_->want_leaves = log_tree_ != nullptr;  // hashed by the commit thread
  current_->bytes += entry.record.size();
  for (const auto& n : entry.index.inbox_nodes) current_->inbox_nodes.insert(n);
  current_->distributed |= entry.index.distribution.has_value();
  InflightEvent& inflight = inflight_ids_[id];
  inflight.offset = entry.offset;
  inflight.facts = std::move(accepted.facts);
  current_->acks.push_back({session.peer, seq, entry.offset, false, id});
  current_->entries.push_back(std::move(entry));
  ++session.inflight;
}

Result<std::optional<ParentFacts>> BrokerLoop::LookupParent(const wire::EventId& parent_id) {
  if (auto it = inflight_ids_.find(parent_id); it != inflight_ids_.end()) {
    return std::optional<ParentFacts>(it->second.facts);
  }
  return ParentFromLog(*store_, directory_, parent_id, ReadMode::kBlocking, FromRecent(recent_));
}

bool BrokerLoop::StoredReceipt(const CommitBatch& batch, uint64_t offset, audit::ReceiptEntry* receipt) {
  auto it = batch.stored_hashes.find(offset);
  if (it == batch.stored_hashes.end()) return false;
  receipt->leaf = it->second.leaf;
  receipt->event_hash = it->second.event_hash;
  return true;
}

void BrokerLoop::SubmitCurrent() {
  if (current_->entries.empty() && current_->acks.empty() && current_->writes.empty() && !current_->checkpoint) {
    return;
  }
  current_->access_covered = AccessWritten();
  inflight_bytes_ += current_->bytes;
  committer_->Submit(std::move(current_));
  current_ = std::make_unique<CommitBatch>();
  current_->serial = ++batch_serial_;
  ++inflight_batches_;
}

void BrokerLoop::CompleteCommits() {
  // Drain the wake-up bytes; the batches themselves come from TakeDone.
  zmq::message_t byte;
  while (notify_.recv(byte, zmq::recv_flags::dontwait)) {
  }
  std::map<std::string, std::vector<proto::AckEntry>> acks;  // unsigned (no audit trail)
  std::map<std::string, SignedAcks> signed_acks;
  ++commit_gen_;
  for (auto& batch : committer_->TakeDone()) {
    --inflight_batches_;
    inflight_bytes_ -= batch->bytes;
    bool ok = batch->status.ok();
    size_t entry = 0;  // the batch's entry of the next new (not duplicate) ack
    for (const PendingAck& a : batch->acks) {
      size_t at = a.duplicate ? SIZE_MAX : entry++;
      if (!a.duplicate) ForgetInflight(a.event_id, ok);
      auto s = sessions_.find(a.peer);
      if (s == sessions_.end()) continue;  // gone: it will resend and get a duplicate ack
      if (!a.duplicate && s->second.inflight > 0) --s->second.inflight;
      if (!ok) {
        Nack(s->second, a.seq,
             Error{wire::errc::storage_error, "the log could not be synced; resend later"});
        continue;
      }
      proto::AckEntry ack(a.seq, a.offset, a.duplicate);
      audit::ReceiptEntry receipt;
      receipt.event_id = a.event_id.bytes();
      receipt.offset = a.offset;
      if (signer_ && at < batch->receipt_leaves.size()) {
        receipt.leaf = batch->leaves[at];
        receipt.event_hash = batch->event_hashes[at];
        signed_acks[a.peer].Add(ack, receipt, batch->receipt_leaves[at]);
      } else if (signer_ && a.duplicate && StoredReceipt(*batch, a.offset, &receipt)) {
        signed_acks[a.peer].Add(ack, receipt, receipt.LeafHash());
      } else {
        acks[a.peer].push_back(ack);
      }
    }
    if (ok) {
      access_durable_ = std::max(access_durable_, batch->access_covered);
      ForgetWritten(*batch);
      if (batch->checkpoint && pending_checkpoint_) {
        ServeCheckpoint(std::move(*pending_checkpoint_));
        pending_checkpoint_.reset();
      }
      AppendCommitted(*batch);
      if (!batch->entries.empty()) committed_end_ = batch->entries.back().offset + 1;
      for (auto& e : batch->entries) recent_.Add(std::move(e));
      if (!batch->entries.empty()) probe_.Published(batch->entries.size());
      for (auto& [key, sub] : subscriptions_) {
        if (sub.inbox ? batch->inbox_nodes.count(sub.node_id) > 0 : batch->distributed) {
          sub.idle = false;
        }
      }
    } else {
      storage_failed_ = true;
      recent_.Clear();
      if (batch->checkpoint) pending_checkpoint_.reset();  // signed again once the log is writable
    }
  }
  // One Ack per max_batch entries keeps each control frame far under its cap.
  for (auto& [peer, entries] : acks) {
    for (size_t i = 0; i < entries.size(); i += wire::kMaxBatch) {
      size_t n = std::min(wire::kMaxBatch, entries.size() - i);
      (void)Send(peer, wire::EncodeAck(std::span(entries).subspan(i, n)));
    }
  }
  // Signed after the sync, one signature per Ack message (signed_acks.h).
  int64_t now_us = NowMicros();
  for (auto& [peer, signed_entries] : signed_acks) {
    auto s = sessions_.find(peer);
    if (s == sessions_.end()) continue;
    for (const auto& control : signed_entries.Encode(*signer_, config_.id, s->second.node->id, now_us)) {
      (void)Send(peer, control);
    }
  }
  ReleaseHeldReplies();
  probe_.LogSize(store_->size());
  if (storage_failed_ && inflight_batches_ == 0 && reader_->outstanding() == 0) RecoverFromFailedWrite();
}

}  // namespace lintas::broker
