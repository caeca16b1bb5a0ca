// The broker link's outbox: Publishes from the outbox, resends of refused
// events, refusals recorded (docs/PROTOCOL.md section 6).
#include "lintas/node/broker_link.h"

#include "lintas/node/errc.h"
#include "lintas/common/logging.h"
#include "lintas/node/node.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/pack.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/verify.h"

namespace lintas::node {
namespace {

std::shared_ptr<spdlog::logger> Log() { return GetLogger("node"); }

}  // namespace

void BrokerLink::ScheduleRetry(const wire::EventId& id, uint64_t local_seq, wire::errc code) {
  Retry& r = retries_[local_seq];
  r.id = id;
  ++r.attempts;
  // Exponential per event, from retry_initial_ms to retry_max_ms.
  uint64_t ms = config_.retry_initial_ms;
  for (int i = 1; i < r.attempts && ms < config_.retry_max_ms; ++i) ms *= 2;
  ms = std::min<uint64_t>(ms, config_.retry_max_ms);
  r.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  auto log_level = r.attempts % 10 == 0 ? spdlog::level::warn : spdlog::level::debug;
  Log()->log(log_level, "broker asks to resend later code={} local_seq={} attempts={} in_ms={}",
             wire::ErrcName(code), local_seq, r.attempts, ms);
}

bool BrokerLink::SendRetries() {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::string> events;
  std::vector<std::pair<wire::EventId, uint64_t>> which;
  size_t max_batch = client_->ready().max_batch ? client_->ready().max_batch : 256;
  size_t publish_bytes = 0;  // of `events`, within PublishBudget
  for (auto it = retries_.begin(); it != retries_.end() && events.size() < max_batch;) {
    if (it->second.due > now || in_flight_.size() + events.size() >= config_.max_in_flight) {
      ++it;
      continue;
    }
    auto bytes = node_->store().OutboxEvent(it->first);
    if (!bytes.ok()) {
      Log()->error("outbox read failed local_seq={}: {}", it->first, bytes.error().message);
      return true;  // retried on the next turn
    }
    if (!bytes->has_value()) {  // settled meanwhile: nothing to resend
      it = retries_.erase(it);
      continue;
    }
    auto plain = OpenOutboxCopy(it->second.id, std::move(**bytes));
    auto verified = plain ? wire::VerifyEvent(wire::AsBytes(*plain)) : Result<const fb::Event*>(Error{});
    Sending sending = verified.ok() ? ForSending(it->second.id, **verified, *plain) : Sending::kRefused;
    if (sending == Sending::kHold) {
      ++it;
      continue;
    }
    if (sending == Sending::kRefused) {
      it = retries_.erase(it);
      continue;
    }
    size_t b = wire::PackedRecordStart(plain->size());
    if (!events.empty() && publish_bytes + b > PublishBudget()) break;  // the next Publish's
    publish_bytes += b;
    which.emplace_back(it->second.id, it->first);
    events.push_back(std::move(*plain));
    ++it;
  }
  if (events.empty()) return true;
  auto first = client_->Publish(events);
  if (!first.ok()) return false;  // would block: try again on the next turn
  for (size_t i = 0; i < which.size(); ++i) {
    in_flight_[*first + i] = which[i];
    retries_.erase(which[i].second);
  }
  Sent(*first, events);
  return true;
}

void BrokerLink::SendOutbox() {
  if (!retries_.empty() && !SendRetries()) return;
  // Set by Wake, reconnects and a directory, and consumed before the outbox
  // is read: an event queued after that read wakes the next turn. (Cleared
  // after the read instead, an API thread's Wake could fall between the two
  // and its event wait for the next directory, 30 s later.)
  if (!outbox_dirty_.exchange(false, std::memory_order_acq_rel)) return;
  while (true) {
    if (in_flight_.size() >= config_.max_in_flight) {
      outbox_dirty_ = true;  // read on as acks free the window
      return;
    }
    size_t room = std::min<size_t>(config_.max_in_flight - in_flight_.size(),
                                   client_->ready().max_batch ? client_->ready().max_batch : 256);
    auto pending = node_->store().Pending(last_loaded_seq_, room);
    if (!pending.ok()) {
      Log()->error("outbox read failed: {}", pending.error().message);
      outbox_dirty_ = true;  // tried again on the next turn
      return;
    }
    if (pending->empty()) return;
    std::vector<std::string> events;
    std::vector<std::pair<wire::EventId, uint64_t>> which;
    uint64_t loaded = last_loaded_seq_;
    bool held = false;
    size_t publish_bytes = 0;  // of `events`, within PublishBudget
    for (auto& [seq, copy] : *pending) {
      auto plain = OpenOutboxCopy(std::nullopt, std::move(copy));
      auto verified = plain ? wire::VerifyEvent(wire::AsBytes(*plain)) : Result<const fb::Event*>(Error{});
      if (!verified.ok()) {  // erased before it was sent (refused), or cannot happen: verified when queued
        loaded = seq;
        continue;
      }
      std::string& bytes = *plain;
      wire::EventId id = wire::EventId::FromFb(*(*verified)->id());
      auto wire_bytes = ForSending(id, **verified, bytes);
      if (wire_bytes == Sending::kHold) {
        held = true;  // this one and every later one wait: order is kept
        break;
      }
      if (wire_bytes == Sending::kSend) {
        size_t b = wire::PackedRecordStart(bytes.size());
        if (!events.empty() && publish_bytes + b > PublishBudget()) break;  // the next Publish's
        publish_bytes += b;
      }
      loaded = seq;
      if (wire_bytes == Sending::kRefused) continue;
      which.emplace_back(id, seq);
      events.push_back(std::move(bytes));
    }
    if (!events.empty()) {
      auto first = client_->Publish(events);
      if (!first.ok()) {  // would block: try again on the next turn
        outbox_dirty_ = true;
        return;
      }
      for (size_t i = 0; i < which.size(); ++i) in_flight_[*first + i] = which[i];
      Sent(*first, events);
    }
    last_loaded_seq_ = loaded;
    if (held) return;  // read again when a directory arrives
  }
}

std::optional<std::string> BrokerLink::OpenOutboxCopy(std::optional<wire::EventId> id, std::string copy) {
  auto plain = node_->seal().vault().OpenCopy(copy);
  if (plain.ok()) return std::move(*plain);
  // Its case was erased before it left: it never will (the broker would
  // get content nobody can read back here).
  if (!id) id = CaseVault::CopyId(copy);
  if (id) RecordRefusal(*id, wire::errc::event_invalid, plain.error().message, "case_id");
  return std::nullopt;
}

std::string BrokerLink::WaitingReason(const wire::EventId& id) const {
  std::lock_guard lock(held_mu_);
  return held_id_ == id ? held_reason_ : std::string();
}

size_t BrokerLink::PublishBudget() const {
  // A Publish over the broker's message cap is refused whole, and would be
  // resent for ever: events go in Publishes of at most this many bytes.
  size_t cap = client_->ready().max_message_bytes > 0 ? client_->ready().max_message_bytes
                                                       : wire::kMaxMessageBytes;
  return cap - std::min(cap, wire::kMaxControlBytes);
}

BrokerLink::Sending BrokerLink::ForSending(const wire::EventId& id, const fb::Event& event, std::string& bytes) {
  if (event.sealed() != nullptr) return Sending::kSend;
  auto sealed = node_->seal().SealIfNeeded(event, wire::AsBytes(bytes));
  if (sealed.ok()) {
    std::lock_guard lock(held_mu_);
    if (held_id_ == id) held_reason_.clear();
    if (sealed->has_value()) bytes = std::move(**sealed);
    return Sending::kSend;
  }
  if (sealed.error().code == make_error_code(errc::unavailable)) {
    // No directory yet, or an addressee's node has announced no key: ask
    // for a fresh directory; the event waits in the outbox.
    {
      std::lock_guard lock(held_mu_);
      if (held_id_ != id) Log()->info("event {} waits for the directory: {}", id.ToString(), sealed.error().message);
      held_id_ = id;
      held_reason_ = sealed.error().message;
    }
    // Asked again within a second (not at once: the directory that just
    // came may be the one without the key).
    next_directory_ = std::min(next_directory_, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    return Sending::kHold;
  }
  // Never sendable as it is (an addressee the directory does not know):
  // refused here as the broker would have.
  auto code = sealed.error().code.category() == wire::WireCategory()
                  ? static_cast<wire::errc>(sealed.error().code.value())
                  : wire::errc::event_invalid;
  RecordRefusal(id, code, sealed.error().message, sealed.error().field);
  return Sending::kRefused;
}

void BrokerLink::RecordRefusal(const wire::EventId& id, wire::errc code, const std::string& message,
                               const std::string& field) {
  OutboxStatus status;
  auto current = node_->store().GetStatus(id);
  if (current.ok() && current->has_value()) status = **current;
  status.state = OutboxState::kRefused;
  status.code = static_cast<uint16_t>(code);
  status.message = message;
  status.field = field;
  Log()->warn("event refused id={} code={}", id.ToString(), wire::ErrcName(code));
  // The status and the case model's refusal in one synced write.
  auto commit = [&](const WriteSet& case_writes) { return node_->store().Settle(id, status, &case_writes); };
  if (auto s = node_->cases().MarkRefused(id.ToString(), std::string(wire::ErrcName(code)), message, commit);
      !s.ok()) {
    Log()->error("refusal not recorded: {}", s.error().message);
  }
  node_->changes().Bump();
}

}  // namespace lintas::node
