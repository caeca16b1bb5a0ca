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

// How far up a thread the publish path looks for H2 events. Answers are
// addressed to an item's first event, so real threads are a few events
// deep; past this an answer is refused rather than judged on part of its
// thread.
constexpr size_t kMaxThreadDepth = 128;

}  // namespace

void BrokerLoop::Nack(Session& session, uint64_t seq, const Error& error) {
  auto code = error.code.category() == wire::WireCategory()
                  ? static_cast<wire::errc>(error.code.value())
                  : wire::errc::internal;
  probe_.Refused(code);
  LogRefusal(session.peer, error);
  (void)Send(session.peer, wire::EncodeNack(seq, error));
}

void BrokerLoop::HandlePublish(Session& session, const wire::MessageView& message) {
  const NodeConfig& node = *session.node;
  uint64_t first_seq = message.control->command_as_Publish()->first_seq();
  size_t n = message.payloads.size();
  std::optional<Error> refusal;  // one for the whole Publish
  if (n > config_.max_batch) {
    refusal = Error{wire::errc::batch_too_large,
                    fmt::format("Publish carries {} events; this broker takes {}", n, config_.max_batch)};
  } else if (!node.can_publish) {
    refusal = Error{wire::errc::permission_denied, "this node may not publish"};
  } else if (stop_.load(std::memory_order_relaxed)) {
    refusal = Error{wire::errc::shutting_down, "the broker is stopping; resend later"};
  } else if (storage_failed_) {
    refusal = Error{wire::errc::storage_error, "the log cannot be written; resend later"};
  } else if (!audit_blocked_.empty()) {
    refusal = Error{wire::errc::log_damaged,
                    "the broker's log no longer matches its last signed checkpoint; publishes are refused until "
                    "an operator acts: resend later"};
  }
  if (refusal) {
    for (size_t i = 0; i < n; ++i) Nack(session, first_seq + i, *refusal);
    return;
  }
  // Admission of each event first (verify, validate, origin), then the
  // persistent dedup index for all the admitted ones in one lookup.
  std::vector<Result<const fb::Event*>> admitted;
  admitted.reserve(n);
  std::vector<wire::EventId> lookup_ids;
  std::vector<size_t> lookup_of(n, SIZE_MAX);
  for (size_t i = 0; i < n; ++i) {
    admitted.push_back(AdmitEvent(node, directory_, message.payloads[i]));
    if (!admitted.back().ok()) continue;
    wire::EventId id = wire::EventId::FromFb(*(*admitted.back())->id());
    if (inflight_ids_.count(id)) continue;
    lookup_of[i] = lookup_ids.size();
    lookup_ids.push_back(id);
  }
  std::vector<std::optional<uint64_t>> stored;
  Status lookup = store_->FindEvents(lookup_ids, &stored);
  if (!lookup.ok()) Log()->error("dedup lookup failed: {}", lookup.error().message);
  for (size_t i = 0; i < n; ++i) {
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
    // Dedup: first the events not yet committed (this Publish's earlier
    // ones too), then the persistent index.
    IngestLookups lookups;
    if (auto it = inflight_ids_.find(id); it != inflight_ids_.end()) {
      lookups.stored_at = it->second.offset;
    } else if (!lookup.ok() || lookup_of[i] == SIZE_MAX) {
      Nack(session, seq, Error{wire::errc::storage_error, "dedup lookup failed; resend later"});
      continue;
    } else {
      lookups.stored_at = stored[lookup_of[i]];
    }
    // The parent may be in this very commit window: its facts come from the
    // in-flight map then, so an answer is never refused for being quick.
    if (!lookups.stored_at && event.parent_id() != nullptr) {
      auto found = LookupParent(wire::EventId::FromFb(*event.parent_id()));
      if (!found.ok()) {
        Nack(session, seq, found.error());
        continue;
      }
      lookups.parent = std::move(*found);
    }
    IngestDecision decision = Ingest(ingest_state_, node, event, lookups);
    if (const auto* dup = std::get_if<Duplicate>(&decision)) {
      probe_.Duplicate();
      current_->acks.push_back({session.peer, seq, dup->offset, true, id});
    } else if (auto* accepted = std::get_if<Accepted>(&decision)) {
      Append(session, seq, id, message.payloads[i], std::move(*accepted));
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
  auto offset = store_->FindEvent(parent_id);
  if (!offset.ok()) {
    return Error{wire::errc::storage_error, "parent lookup failed; resend later", "parent_id"};
  }
  if (!offset->has_value()) return std::optional<ParentFacts>();  // nothing stored to protect
  auto stored = ReadStoredFacts(**offset);
  if (!stored.ok()) return std::move(stored).error();
  ParentFacts facts = std::move(stored->facts);
  // Up the thread for the H2 events above the parent. Only ancestors stored
  // before their child count: offsets fall at every step, so a cycle of
  // parent ids (each naming a later event) cannot loop.
  uint64_t below = **offset;
  std::optional<wire::EventId> next = stored->parent;
  for (size_t depth = 0; next; ++depth) {
    if (depth == kMaxThreadDepth) {
      return Error{wire::errc::policy_denied,
                   fmt::format("parent_id: the thread above this answer is deeper than {} events; its "
                               "handling codes cannot be judged",
                               kMaxThreadDepth),
                   "parent_id"};
    }
    auto up = store_->FindEvent(*next);
    if (!up.ok()) return Error{wire::errc::storage_error, "parent lookup failed; resend later", "parent_id"};
    if (!up->has_value() || **up >= below) break;
    auto ancestor = ReadStoredFacts(**up);
    if (!ancestor.ok()) return std::move(ancestor).error();
    if (ancestor->facts.handling == fb::HandlingCode::H2) {
      facts.h2_threads.push_back({ancestor->facts.originator, ancestor->facts.parties});
    }
    below = **up;
    next = ancestor->parent;
  }
  return std::optional<ParentFacts>(std::move(facts));
}

Result<BrokerLoop::StoredFacts> BrokerLoop::ReadStoredFacts(uint64_t offset) {
  auto record = store_->ReadRecord(offset);
  if (!record.ok() || !record->has_value()) {
    return Error{wire::errc::storage_error, "parent read failed; resend later", "parent_id"};
  }
  auto verified = wire::VerifyRecord(wire::AsBytes(**record));
  if (!verified.ok()) {
    Log()->error("stored record unverifiable offset={}: {}", offset, verified.error().message);
    return Error{wire::errc::internal, "the parent's stored record is unverifiable", "parent_id"};
  }
  const fb::Event* event = fb::GetEvent(wire::RecordEventBytes(**verified).data());
  std::vector<std::string> parties;
  if (event->destinations() != nullptr) (void)directory_.ResolveInbox(*event->destinations(), &parties);
  StoredFacts out;
  out.facts = FactsAsParent(*event, (*verified)->publisher()->node_id()->str(), std::move(parties), std::nullopt);
  if (event->parent_id() != nullptr) out.parent = wire::EventId::FromFb(*event->parent_id());
  return out;
}

bool BrokerLoop::StoredReceipt(uint64_t offset, audit::ReceiptEntry* receipt) {
  auto record = ReadCommitted(offset);
  if (!record.ok() || !record->has_value()) return false;
  auto verified = wire::VerifyRecord(wire::AsBytes(**record));
  if (!verified.ok()) return false;
  receipt->leaf = audit::LeafHash(**record);
  receipt->event_hash = audit::Sha256(wire::RecordEventBytes(**verified));
  return true;
}

void BrokerLoop::SubmitCurrent() {
  uint64_t access = AccessWritten();
  if (current_->entries.empty() && current_->acks.empty() && access <= access_submitted_) return;
  current_->access_covered = access;
  access_submitted_ = access;
  committer_->Submit(std::move(current_));
  current_ = std::make_unique<CommitBatch>();
  ++inflight_batches_;
}

void BrokerLoop::CompleteCommits() {
  // Drain the wake-up bytes; the batches themselves come from TakeDone.
  zmq::message_t byte;
  while (notify_.recv(byte, zmq::recv_flags::dontwait)) {
  }
  std::map<std::string, std::vector<proto::AckEntry>> acks;  // unsigned (no audit trail)
  std::map<std::string, SignedAcks> signed_acks;
  for (auto& batch : committer_->TakeDone()) {
    --inflight_batches_;
    bool ok = batch->status.ok();
    size_t entry = 0;  // the batch's entry of the next new (not duplicate) ack
    for (const PendingAck& a : batch->acks) {
      size_t at = a.duplicate ? SIZE_MAX : entry++;
      if (!a.duplicate) inflight_ids_.erase(a.event_id);
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
      bool receipted = false;
      if (signer_ && at < batch->leaves.size() && at < batch->event_hashes.size()) {
        receipt.leaf = batch->leaves[at];
        receipt.event_hash = batch->event_hashes[at];
        receipted = true;
      } else if (signer_ && a.duplicate) {
        receipted = StoredReceipt(a.offset, &receipt);
      }
      if (receipted) {
        signed_acks[a.peer].Add(ack, receipt);
      } else {
        acks[a.peer].push_back(ack);
      }
    }
    if (ok) {
      access_durable_ = std::max(access_durable_, batch->access_covered);
      AppendCommitted(*batch);
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
  if (storage_failed_ && inflight_batches_ == 0) RecoverFromFailedWrite();
}

}  // namespace lintas::broker
