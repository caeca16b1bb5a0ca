// The publish path: verify, validate, check origin, dedup, route, append,
// and acknowledge once the group commit holding the event is synced.
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "broker_loop.h"
#include "lintas/broker/logger.h"
#include "lintas/common/clock.h"
#include "lintas/seal/sealer.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/record.h"
#include "lintas/wire/validate.h"
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
  if (message.payloads.size() > config_.max_batch) {
    for (size_t i = 0; i < message.payloads.size(); ++i) {
      Nack(session, first_seq + i,
           Error{wire::errc::batch_too_large,
                 fmt::format("Publish carries {} events; this broker takes {}",
                             message.payloads.size(), config_.max_batch)});
    }
    return;
  }
  for (size_t i = 0; i < message.payloads.size(); ++i) {
    uint64_t seq = first_seq + i;
    std::span<const uint8_t> bytes = message.payloads[i];
    if (!node.can_publish) {
      Nack(session, seq, Error{wire::errc::permission_denied, "this node may not publish"});
      continue;
    }
    if (stop_.load(std::memory_order_relaxed)) {
      Nack(session, seq, Error{wire::errc::shutting_down, "the broker is stopping; resend later"});
      continue;
    }
    if (storage_failed_) {
      Nack(session, seq, Error{wire::errc::storage_error, "the log cannot be written; resend later"});
      continue;
    }
    if (session.inflight >= config_.max_inflight_per_peer) {
      Nack(session, seq,
           Error{wire::errc::overloaded,
                 fmt::format("more than {} events in flight; wait for acks",
                             config_.max_inflight_per_peer)});
      continue;
    }
    auto verified = wire::VerifyEvent(bytes);
    if (!verified.ok()) {
      Nack(session, seq, verified.error());
      continue;
    }
    const fb::Event& event = **verified;
    if (auto s = wire::ValidateEvent(event); !s.ok()) {
      Nack(session, seq, s.error());
      continue;
    }
    std::string_view origin_country = event.origin()->country()->string_view();
    std::string_view origin_agency = event.origin()->agency()->string_view();
    if (origin_country != node.country || !directory_.Serves(node, origin_agency)) {
      SecurityLog()->warn("origin mismatch node={} node_country={} claimed_country={} "
                          "claimed_agency={}",
                          node.id, node.country, origin_country, origin_agency);
      // `field` names the part at fault, as tests/vectors/frames/nack.json shows.
      bool country_wrong = origin_country != node.country;
      Nack(session, seq,
           country_wrong
               ? Error{wire::errc::origin_mismatch,
                       fmt::format("origin.country: {} is not the authenticated node's country",
                                   origin_country),
                       "origin.country"}
               : Error{wire::errc::origin_mismatch,
                       fmt::format("origin.agency: {} is not served by the authenticated node",
                                   origin_agency),
                       "origin.agency"});
      continue;
    }
    wire::EventId id = wire::EventId::FromFb(*event.id());
    // Dedup: first the events not yet committed, then the persistent index.
    std::optional<uint64_t> original;
    if (auto it = inflight_ids_.find(id); it != inflight_ids_.end()) {
      original = it->second.offset;
    } else {
      auto found = store_->FindEvent(id);
      if (!found.ok()) {
        Log()->error("dedup lookup failed: {}", found.error().message);
        Nack(session, seq, Error{wire::errc::storage_error, "dedup lookup failed; resend later"});
        continue;
      }
      original = *found;
    }
    if (original) {
      probe_.Duplicate();
      current_->acks.push_back({session.peer, seq, *original, true, id});
      continue;
    }
    store::AppendEntry entry;
    if (event.destinations() != nullptr && event.destinations()->size() > 0) {
      if (auto s = directory_.ResolveInbox(*event.destinations(), &entry.index.inbox_nodes);
          !s.ok()) {
        Nack(session, seq, s.error());
        continue;
      }
    }
    if (auto s = CheckSealedTo(event, entry.index.inbox_nodes); !s.ok()) {
      Nack(session, seq, s.error());
      continue;
    }
    // The parent may be in this very commit window: its facts come from the
    // in-flight map then, so an answer is never refused for being quick.
    std::optional<ParentFacts> parent;
    if (event.parent_id() != nullptr) {
      auto found = LookupParent(wire::EventId::FromFb(*event.parent_id()));
      if (!found.ok()) {
        Nack(session, seq, found.error());
        continue;
      }
      parent = std::move(*found);
    }
    uint8_t category = 0;
    if (event.body_type() == fb::Body::AlertPublished) {
      category = static_cast<uint8_t>(event.body_as_AlertPublished()->category());
    } else if (event.body_type() == fb::Body::AlertCancelled) {
      category = CancelledAlertCategory(parent);
    }
    if (auto s = CheckPolicy(event, category); !s.ok()) {
      SecurityLog()->warn("policy refused node={} field={} reason={}", node.id, s.error().field,
                          s.error().message);
      Nack(session, seq, s.error());
      continue;
    }
    if (auto s = CheckOnwardTransfer(node, event, parent, entry.index.inbox_nodes); !s.ok()) {
      if (s.error().code == wire::errc::policy_denied) {
        SecurityLog()->warn("answer refused by its thread node={} field={} reason={}", node.id, s.error().field,
                            s.error().message);
      }
      Nack(session, seq, s.error());
      continue;
    }
    if (auto summary = Summarize(event, category)) entry.index.distribution = summary->Encode();

    last_received_us_ = std::max(last_received_us_, NowMicros());
    entry.offset = next_offset_++;
    entry.event_id = id;
    entry.index.received_at_us = last_received_us_;
    entry.index.origin_country = std::string(origin_country);
    if (event.case_id()) entry.index.case_id = event.case_id()->str();
    entry.record = wire::EncodeRecord(entry.offset, last_received_us_,
                                      wire::PublisherInfo{node.id, node.country, node.public_key}, bytes);
    if (log_tree_) {
      current_->leaves.push_back(audit::LeafHash(entry.record));
    }
    current_->bytes += entry.record.size();
    for (const auto& n : entry.index.inbox_nodes) current_->inbox_nodes.insert(n);
    current_->distributed |= entry.index.distribution.has_value();
    InflightEvent& inflight = inflight_ids_[id];
    inflight.offset = entry.offset;
    inflight.facts = FactsAsParent(event, node.id, entry.index.inbox_nodes, parent);
    current_->acks.push_back({session.peer, seq, entry.offset, false, id});
    current_->entries.push_back(std::move(entry));
    ++session.inflight;
  }
}

Status BrokerLoop::CheckPolicy(const fb::Event& event, uint8_t category) {
  const fb::Distribution* distribution = event.distribution();
  fb::DistributionKind kind =
      distribution != nullptr ? distribution->kind() : fb::DistributionKind::Addressed;
  if (event.handling() == fb::HandlingCode::H2 && kind != fb::DistributionKind::Addressed) {
    return Error{wire::errc::policy_denied,
                 "handling code H2 (no onward transfer) allows only addressed distribution",
                 "distribution"};
  }
  if (!policy_.enforced()) return OkStatus();
  Exchange x;
  x.from_country = event.origin()->country()->string_view();
  x.body = event.body_type();
  x.category = category;
  if (event.destinations() != nullptr) {
    for (size_t i = 0; i < event.destinations()->size(); ++i) {
      const fb::Destination& d = *event.destinations()->Get(i);
      x.to_country = d.country()->string_view();
      x.roles = directory_.DestinationRoles(d);
      x.any_role = false;
      if (policy_.Allows(x).empty()) {
        return Error{wire::errc::policy_denied,
                     fmt::format("destinations[{}]: the routing policy does not allow {} from {} "
                                 "to {} ({})",
                                 i, wire::BodyName(x.body), x.from_country, x.to_country,
                                 x.roles.empty() ? "no role" : fmt::format("{}", fmt::join(x.roles, ", "))),
                     fmt::format("destinations[{}]", i)};
      }
    }
  }
  // A distribution to selected countries needs a rule for each country;
  // which subscribers there receive it (by role) is decided at delivery.
  if (kind == fb::DistributionKind::SelectedCountries && distribution->countries() != nullptr) {
    for (size_t i = 0; i < distribution->countries()->size(); ++i) {
      x.to_country = distribution->countries()->Get(i)->string_view();
      x.roles.clear();
      x.any_role = true;
      if (policy_.Allows(x).empty()) {
        return Error{wire::errc::policy_denied,
                     fmt::format("distribution.countries[{}]: the routing policy does not allow {} "
                                 "from {} to {}",
                                 i, wire::BodyName(x.body), x.from_country, x.to_country),
                     fmt::format("distribution.countries[{}]", i)};
      }
    }
  }
  return OkStatus();
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

Status BrokerLoop::CheckOnwardTransfer(const NodeConfig& node, const fb::Event& event,
                                       const std::optional<ParentFacts>& parent,
                                       const std::vector<std::string>& inbox_nodes) {
  if (!parent) return OkStatus();  // no parent in the log: nothing to protect
  return CheckAnswer(node.id, event, *parent, inbox_nodes);
}

Status BrokerLoop::CheckSealedTo(const fb::Event& event, const std::vector<std::string>& inbox_nodes) {
  if (event.sealed() == nullptr) {
    if (config_.require_sealed && seal::ShouldSeal(event)) {
      return Error{wire::errc::event_invalid,
                   fmt::format("sealed: this broker accepts {} only sealed to its addressees (docs/SECURITY.md)",
                               wire::BodyName(event.body_type())),
                   "sealed"};
    }
    return OkStatus();
  }
  if (event.distribution() != nullptr && event.distribution()->kind() != fb::DistributionKind::Addressed) {
    return Error{wire::errc::event_invalid, "sealed: a sealed event must be addressed, not distributed",
                 "distribution"};
  }
  // Every node the event is routed to must be able to open it: a sender
  // whose directory is out of date is told so now, not the addressee later.
  for (const auto& n : inbox_nodes) {
    const fb::SealedKey* copy = nullptr;
    for (const auto* k : *event.sealed()->keys()) {
      if (k->node()->string_view() == n) copy = k;
    }
    if (copy == nullptr) {
      return Error{wire::errc::event_invalid,
                   fmt::format("sealed.keys: node {} receives this event but holds no copy of its key; "
                               "refresh the directory and seal again",
                               n),
                   "sealed.keys"};
    }
    // Sealed to a key the node no longer announces (the sender's directory
    // predates a rotation or a first announcement): it could not open it.
    std::optional<seal::PublicKey> current = CurrentSealKey(n);
    seal::KeyId id{};
    if (current && copy->key_id()->size() == id.size()) {
      std::copy(copy->key_id()->begin(), copy->key_id()->end(), id.begin());
      if (id != seal::KeyIdOf(*current)) {
        return Error{wire::errc::event_invalid,
                     fmt::format("sealed.keys: sealed to a key of node {} that is not its current one; "
                                 "refresh the directory and seal again",
                                 n),
                     "sealed.keys"};
      }
    }
  }
  return OkStatus();
}

uint8_t BrokerLoop::CancelledAlertCategory(const std::optional<ParentFacts>& parent) {
  // The cancellation carries no category: use the cancelled alert's, so that
  // a category filter lets both through.
  return parent && parent->alert_category ? *parent->alert_category : 0;
}

void BrokerLoop::SubmitCurrent() {
  if (current_->entries.empty() && current_->acks.empty()) return;
  committer_->Submit(std::move(current_));
  current_ = std::make_unique<CommitBatch>();
  ++inflight_batches_;
}

void BrokerLoop::CompleteCommits() {
  // Drain the wake-up bytes; the batches themselves come from TakeDone.
  zmq::message_t byte;
  while (notify_.recv(byte, zmq::recv_flags::dontwait)) {
  }
  std::map<std::string, std::vector<proto::AckEntry>> acks;
  for (auto& batch : committer_->TakeDone()) {
    --inflight_batches_;
    bool ok = batch->status.ok();
    for (const PendingAck& a : batch->acks) {
      if (!a.duplicate) inflight_ids_.erase(a.event_id);
      auto s = sessions_.find(a.peer);
      if (s == sessions_.end()) continue;  // gone: it will resend and get a duplicate ack
      if (!a.duplicate && s->second.inflight > 0) --s->second.inflight;
      if (ok) {
        acks[a.peer].emplace_back(a.seq, a.offset, a.duplicate);
      } else {
        Nack(s->second, a.seq,
             Error{wire::errc::storage_error, "the log could not be synced; resend later"});
      }
    }
    if (ok) {
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
  probe_.LogSize(store_->size());
  if (storage_failed_ && inflight_batches_ == 0) RecoverFromFailedWrite();
}

}  // namespace lintas::broker
