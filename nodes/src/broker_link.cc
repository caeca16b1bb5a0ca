// The node's broker link thread.
#include "lintas/node/broker_link.h"
#include "lintas/node/errc.h"

#include "lintas/audit/checkpoint.h"
#include "lintas/node/audit_client.h"
#include "consultation_check.h"

#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/common/shutdown.h"
#include "lintas/node/node.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/pack.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

namespace lintas::node {
namespace {

// The query id of directory requests: checkpoint requests use the size they
// start from, plus one, which never reaches it.
constexpr uint64_t kDirectoryQuery = uint64_t{1} << 63;

using namespace std::chrono_literals;

std::shared_ptr<spdlog::logger> Log() { return GetLogger("node"); }
std::shared_ptr<spdlog::logger> SecurityLog() { return GetLogger("security"); }

uint8_t CategoryNumber(const std::string& name) {
  for (auto c : fb::EnumValuesAlertCategory()) {
    if (name == fb::EnumNameAlertCategory(c)) return static_cast<uint8_t>(c);
  }
  return 0;
}

uint8_t BodyNumber(const std::string& name) {
  for (auto b : fb::EnumValuesBody()) {
    if (name == fb::EnumNameBody(b)) return static_cast<uint8_t>(b);
  }
  return 0;
}

int8_t PriorityNumber(const std::string& name) {
  for (auto p : fb::EnumValuesPriority()) {
    if (name == fb::EnumNamePriority(p)) return static_cast<int8_t>(p);
  }
  return 0;
}

std::string SubscribeFrame(const std::string& name, const SubscriptionConfig* sub, uint32_t credit) {
  proto::ControlT control;
  proto::SubscribeT s;
  s.subscription = name;
  s.credit = credit;
  s.packed = true;  // many records to a frame: cheaper for both ends
  if (sub != nullptr) {
    s.filter = std::make_unique<proto::FilterT>();
    s.filter->origin_countries = sub->origin_countries;
    for (const auto& c : sub->alert_categories) s.filter->alert_categories.push_back(CategoryNumber(c));
    for (const auto& b : sub->body_types) s.filter->body_types.push_back(BodyNumber(b));
    s.filter->min_priority = PriorityNumber(sub->min_priority);
  }
  control.command.Set(std::move(s));
  return wire::EncodeControl(control);
}

}  // namespace

BrokerLink::BrokerLink(Node* node)
    : node_(node), config_(node->config()), ctx_(1), own_(&node->store(), node->config()),
      witness_(&node->store(), node->config()) {
  if (config_.security == "curve") {
    std::ifstream in(config_.secret_key_file);
    if (!(in >> secret_key_) || secret_key_.size() != 40) {
      throw std::runtime_error("security.secret_key_file: no Z85 secret key in " + config_.secret_key_file);
    }
    char pub[41] = {};
    if (zmq_curve_public(pub, secret_key_.c_str()) != 0) {
      throw std::runtime_error("security.secret_key_file: not a CURVE secret key");
    }
    public_key_ = pub;
  }
  consultation_check_ = std::make_unique<ConsultationCheck>(&node->store(), config_.id);
}

BrokerLink::~BrokerLink() { Stop(); }

void BrokerLink::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "lintas-link");
    try {
      Run();
    } catch (const std::exception& e) {
      // Never std::terminate: say why, and let the node stop cleanly.
      Log()->critical("broker link stopped by an unexpected error: {}; the node stops", e.what());
      connected_ = false;
      RequestShutdown(1);
    }
  });
}

void BrokerLink::Stop() {
  stop_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BrokerLink::UnsubscribeSoon(const std::string& name) {
  std::lock_guard lock(mu_);
  unsubscribes_.push_back(name);
}

void BrokerLink::WaitBackoff() {
  backoff_ms_ = backoff_ms_ == 0 ? config_.retry_initial_ms
                                 : std::min(backoff_ms_ * 2, config_.retry_max_ms);
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms_), [&] { return stop_.load(); });
}

void BrokerLink::Disconnect(const char* reason) {
  if (connected_.load()) Log()->warn("broker link down: {}", reason);
  connected_ = false;
  if (client_) client_->Close();
  in_flight_.clear();
  sent_hashes_.clear();
  retries_.clear();
  last_loaded_seq_ = 0;  // everything not settled is sent again
}

bool BrokerLink::ConnectAndAttach() {
  ClientOptions options;
  // Try the endpoint, then each fallback, one per attempt.
  size_t n = 1 + config_.broker_fallbacks.size();
  size_t i = endpoint_index_++ % n;
  options.endpoint = i == 0 ? config_.broker_endpoint : config_.broker_fallbacks[i - 1];
  options.node_id = config_.id;
  options.country = config_.country;
  options.seal_public_key = node_->seal().announced_key();
  options.connect_timeout = std::chrono::milliseconds(std::max<uint32_t>(config_.retry_max_ms, 1000));
  if (config_.security == "curve") {
    options.broker_public_key = config_.broker_public_key;
    options.public_key = public_key_;
    options.secret_key = secret_key_;
  }
  client_ = std::make_unique<BrokerClient>(ctx_, options);
  if (auto s = client_->Connect(); !s.ok()) {
    Log()->debug("broker connect failed: {}", s.error().message);
    return false;
  }
  // The inbox, then every named subscription; each resumes from its cursor.
  if (!client_->SendControl(SubscribeFrame("inbox", nullptr, config_.credit)).ok()) return false;
  if (!Resubscribe()) resubscribe_ = true;  // the named ones again on the next turn
  connected_ = true;
  backoff_ms_ = 0;
  AskCheckpoint();
  AskDirectory();
  endpoint_index_ = i;  // stay with the one that answered
  last_heard_ = std::chrono::steady_clock::now();
  Log()->info("broker link up endpoint={} broker_id={}", options.endpoint,
              client_->ready().broker_id);
  return true;
}

void BrokerLink::Run() {
  while (!stop_.load()) {
    if (!connected_.load()) {
      if (!ConnectAndAttach()) {
        WaitBackoff();
        continue;
      }
      outbox_dirty_ = true;
    }
    if (resubscribe_.exchange(false) && !Resubscribe()) resubscribe_ = true;  // again next turn
    std::vector<std::string> unsubscribes;
    {
      std::lock_guard lock(mu_);
      unsubscribes.swap(unsubscribes_);
    }
    for (size_t k = 0; k < unsubscribes.size(); ++k) {
      proto::ControlT control;
      proto::UnsubscribeT u;
      u.subscription = unsubscribes[k];
      control.command.Set(std::move(u));
      if (!client_->SendControl(wire::EncodeControl(control)).ok()) {
        // The pipe is full: keep this one and the rest for the next turn.
        std::lock_guard lock(mu_);
        unsubscribes_.insert(unsubscribes_.begin(), unsubscribes.begin() + k, unsubscribes.end());
        break;
      }
    }
    SendOutbox();
    if (std::chrono::steady_clock::now() >= next_checkpoint_) AskCheckpoint();
    if (std::chrono::steady_clock::now() >= next_directory_ ||
        directory_wanted_.exchange(false, std::memory_order_acq_rel)) {
      AskDirectory();
    }
    auto in = client_->Receive(10ms);
    if (!in.ok()) {
      Log()->warn("bad message from broker: {}", in.error().message);
      continue;
    }
    if (in->has_value()) {
      last_heard_ = std::chrono::steady_clock::now();
      Handle(**in);
    } else if (std::chrono::steady_clock::now() - last_heard_ >
               std::chrono::milliseconds(3 * std::max<uint32_t>(client_->ready().heartbeat_ms, 100))) {
      Disconnect("broker silent for 3 heartbeat intervals");
      WaitBackoff();
    }
  }
  if (client_) client_->Close();
}

bool BrokerLink::Resubscribe() {
  auto subs = node_->Subscriptions();
  if (!subs.ok()) {
    Log()->error("subscriptions unreadable: {}", subs.error().message);
    return false;
  }
  for (const auto& sub : *subs) {
    if (!client_->SendControl(SubscribeFrame(sub.name, &sub, config_.credit)).ok()) return false;
  }
  return true;
}

void BrokerLink::RaiseAlarm(const std::string& what) {
  // The newest first, earlier ones kept after it (bounded): an alarm naming
  // a lost event is not hidden by the next checkpoint's.
  constexpr size_t kMaxAlarmText = 4000;
  std::string text = what;
  if (auto before = node_->store().Get("audit/alarm"); before.ok() && before->has_value()) {
    if ((*before)->find(what) != std::string::npos) return;  // said already
    text += " | " + **before;
    if (text.size() > kMaxAlarmText) text.resize(kMaxAlarmText);
  }
  if (auto s = node_->store().Put("audit/alarm", text, true); !s.ok()) {
    // The alarm is in the security log already; health cannot show it.
    SecurityLog()->critical("alarm not recorded for /v1/health: {}", s.error().message);
  }
}

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

void BrokerLink::Handle(const Incoming& m) {
  switch (m.command) {
    case proto::Command::Ack:
      HandleAck(m);
      break;
    case proto::Command::Nack: {
      const auto* n = m.control()->command_as_Nack();
      auto it = in_flight_.find(n->seq());
      if (it == in_flight_.end()) break;
      auto code = static_cast<wire::errc>(n->code());
      bool stale_seal = code == wire::errc::event_invalid && n->field() != nullptr &&
                        n->field()->string_view() == "sealed.keys";
      if (stale_seal) {
        // Sealed with an outdated directory: seal again with a fresh one
        // (the outbox holds the event unsealed; it is sealed at each send).
        Log()->info("event {} sealed with an outdated directory; sealing again", it->second.first.ToString());
        directory_wanted_.store(true, std::memory_order_release);
      }
      if (code == wire::errc::log_damaged) {
        // The broker's log no longer matches what it signed: it refuses until
        // its operator acts. The event stays queued and is resent later.
        SecurityLog()->critical("the broker refuses publishes: its log no longer matches its last signed "
                                "checkpoint (log_damaged)");
        RaiseAlarm("the broker refuses publishes (log_damaged): its log no longer matches its last signed "
                   "checkpoint; events stay queued until its operator acts");
      }
      if (code == wire::errc::overloaded || code == wire::errc::storage_error || stale_seal ||
          code == wire::errc::log_damaged) {
        // This event only: the connection and everything else in flight stay.
        auto [id, local_seq] = it->second;
        in_flight_.erase(it);
        ScheduleRetry(id, local_seq, code);
        break;
      }
      if (wire::IsRetryable(code)) {  // shutting_down, not_ready: the session is going
        Log()->warn("broker asks to retry later code={}", wire::ErrcName(code));
        Disconnect("retryable refusal: resend after backoff");
        WaitBackoff();
        return;
      }
      RecordRefusal(it->second.first, code, n->message() ? n->message()->str() : "",
                    n->field() ? n->field()->str() : "");
      in_flight_.erase(it);
      break;
    }
    case proto::Command::Deliver:
      HandleDeliver(m);
      break;
    case proto::Command::Error: {
      const auto* e = m.control()->command_as_Error();
      Log()->warn("broker error code={} message={}", wire::ErrcName(static_cast<wire::errc>(e->code())),
                  e->message() ? e->message()->str() : "");
      if (e->code() == static_cast<uint16_t>(wire::errc::not_ready)) {
        Disconnect("broker forgot the session");
      }
      break;
    }
    case proto::Command::AuditReply:
      HandleAuditReply(m);
      break;
    case proto::Command::Goodbye:
      if (m.control()->command_as_Goodbye()->code() == proto::GoodbyeCode::Replaced) {
        // An operator must act: another process holds this node's key.
        Log()->error("broker ended this session: another connection said Hello as node {} "
                     "(is a second process using this node's key?)",
                     config_.id);
      }
      Disconnect("broker said goodbye");
      WaitBackoff();
      break;
    default:
      break;  // Ready, Subscribed, Heartbeat: nothing to do
  }
}

void BrokerLink::AskCheckpoint() {
  // Often enough that an acknowledged event is checked within verify_within.
  auto every = std::chrono::microseconds(
      std::max<int64_t>(100000, std::min(config_.checkpoint_every_us, config_.verify_within_us / 3)));
  next_checkpoint_ = std::chrono::steady_clock::now() + every;
  std::vector<std::string> overdue;
  own_.CheckDeadlines(NowMicros(), &overdue);
  RaiseAlarms(overdue);
  uint64_t known = 0;
  uint64_t known_access = 0;
  auto kept = node_->store().Get("audit/checkpoint");
  if (kept.ok() && kept->has_value()) {
    auto cp = audit::Checkpoint::Parse(**kept);
    if (cp.ok()) known = cp->size;
    if (cp.ok()) known_access = cp->access_size;
  }
  // A broker that stops answering while this node holds a checkpoint may be
  // hiding a rollback.
  if (++unanswered_checkpoints_ >= 3 && known > 0) {
    SecurityLog()->critical("broker checkpoint check FAILED: no valid checkpoint for {} requests",
                            unanswered_checkpoints_);
    RaiseAlarm("the broker stopped answering checkpoint requests");
  }
  proto::ControlT control;
  proto::AuditQueryT q;
  // The id carries the size asked from, so that a late reply is checked
  // against the size its proof starts at.
  q.query_id = known + 1;
  q.kind = proto::AuditQueryKind::Checkpoint;
  q.known_size = known;
  q.known_access_size = known_access;
  control.command.Set(std::move(q));
  // Unsent (the pipe is full) counts as unanswered; the next timer asks again.
  if (!client_->SendControl(wire::EncodeControl(control)).ok()) {
    Log()->debug("checkpoint request not sent: the pipe is full");
  }
  SendWitness();
}

void BrokerLink::SendWitness() {
  auto query = witness_.Query(NowMicros());
  if (query && !client_->SendControl(*query).ok()) Log()->debug("witness not sent: the pipe is full");
}

void BrokerLink::AskDirectory() {
  next_directory_ = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  proto::ControlT control;
  proto::AuditQueryT q;
  q.query_id = kDirectoryQuery;
  q.kind = proto::AuditQueryKind::Directory;
  control.command.Set(std::move(q));
  if (!client_->SendControl(wire::EncodeControl(control)).ok()) {
    Log()->debug("directory request not sent: the pipe is full");
    directory_wanted_.store(true, std::memory_order_release);
  }
}

void BrokerLink::HandleDirectoryReply(const Incoming& m) {
  const proto::AuditReply& reply = *m.control()->command_as_AuditReply();
  if (m.payload_count() != 1 || reply.signature() == nullptr || reply.signature()->size() != 64 ||
      reply.public_key() == nullptr || reply.public_key()->size() != 32) {
    SecurityLog()->error("directory reply refused: no document, signature or key");
    return;
  }
  audit::Signature signature{};
  std::copy(reply.signature()->begin(), reply.signature()->end(), signature.begin());
  audit::PublicKey key{};
  std::copy(reply.public_key()->begin(), reply.public_key()->end(), key.begin());
  auto doc = m.payload(0);
  std::string_view text(reinterpret_cast<const char*>(doc.data()), doc.size());
  if (auto s = node_->seal().AcceptDirectory(text, signature, key); !s.ok()) {
    SecurityLog()->critical("directory from the broker refused: {}", s.error().message);
    RaiseAlarm("the broker's directory was refused: " + s.error().message);
    return;
  }
  outbox_dirty_ = true;  // events waiting for it go now
}

void BrokerLink::HandleAuditReply(const Incoming& m) {
  const proto::AuditReply& reply = *m.control()->command_as_AuditReply();
  if (reply.query_id() == kDirectoryQuery) return HandleDirectoryReply(m);
  if (Witnessing::Owns(reply.query_id())) {
    std::vector<std::string> forks;
    witness_.OnReply(m, &forks);
    return RaiseAlarms(forks);
  }
  if (OwnEvents::IsProofsReply(reply.query_id())) {
    std::vector<std::string> lost;
    own_.OnProofs(m, &lost);
    return RaiseAlarms(lost);
  }
  if (ConsultationCheck::Owns(reply.query_id())) {
    auto next = consultation_check_->HandleReply(m, [this](const std::string& what) {
      SecurityLog()->critical("broker consultation log check FAILED: {}", what);
      RaiseAlarm(what);
    });
    if (next) (void)client_->SendControl(*next);  // unsent: asked again after the next checkpoint
    return;
  }
  uint64_t asked_from = reply.query_id() - 1;
  uint64_t kept_size = 0;
  uint64_t kept_access_size = 0;
  if (auto k = node_->store().Get("audit/checkpoint"); k.ok() && k->has_value()) {
    if (auto cp = audit::Checkpoint::Parse(**k); cp.ok()) kept_size = cp->size;
    if (auto cp = audit::Checkpoint::Parse(**k); cp.ok()) kept_access_size = cp->access_size;
  }
  if (reply.query_id() == 0 || asked_from != kept_size) return;  // stale: a newer one is kept
  if (!reply.rollback() && reply.access_known_size() != kept_access_size) return;  // stale likewise
  auto alarm = [this](const std::string& what) {
    SecurityLog()->critical("broker checkpoint check FAILED: {}", what);
    RaiseAlarm(what);
  };
  // The node's acknowledged events, against this checkpoint once its
  // signature verified with the pinned key (own_events.h).
  auto check_own = [&](bool consistent) {
    auto fresh = DecodeCheckpointReply(reply);
    auto pinned = node_->store().Get(kBrokerKeyMeta);
    if (!fresh.ok() || !pinned.ok() || !pinned->has_value() ||
        **pinned != audit::KeyToBase64(fresh->public_key) ||
        !audit::VerifySignature(fresh->checkpoint.body, fresh->checkpoint.signature, fresh->public_key)) {
      return;
    }
    std::vector<std::string> lost;
    auto query = own_.CheckAgainst(fresh->parsed, consistent, &lost);
    RaiseAlarms(lost);
    if (query && !client_->SendControl(*query).ok()) Log()->debug("own events' proofs not asked: the pipe is full");
  };
  if (reply.rollback()) {
    check_own(false);
    return alarm(fmt::format("the broker's log is shorter than the checkpoint this node holds (size {}): "
                             "rolled back or truncated",
                             kept_size));
  }
  auto newer = DecodeCheckpointReply(reply);
  if (!newer.ok()) return alarm(newer.error().message);
  // The broker's signing key: audit.broker_signing_key (pinned at start by
  // OwnEvents), else pinned on first use, loudly.
  std::string key_b64 = audit::KeyToBase64(newer->public_key);
  auto pinned = node_->store().Get(kBrokerKeyMeta);
  if (pinned.ok() && pinned->has_value() && **pinned != key_b64) {
    return alarm("the broker signs with another key than the one pinned (" + **pinned + ")");
  }
  if (!audit::VerifySignature(newer->checkpoint.body, newer->checkpoint.signature, newer->public_key)) {
    return alarm("a checkpoint's signature does not verify");
  }
  auto kept = node_->store().Get("audit/checkpoint");
  if (kept.ok() && kept->has_value()) {
    auto older = audit::Checkpoint::Parse(**kept);
    if (older.ok()) {
      if (auto s = CheckExtends(*older, *newer); !s.ok()) {
        check_own(false);
        return alarm(s.error().message);
      }
    }
  }
  if (!pinned.ok() || !pinned->has_value()) {
    SecurityLog()->warn("TRUST ON FIRST USE: audit.broker_signing_key is not configured; the broker's checkpoint "
                        "signing key {} is pinned as first seen. Check it with the broker's operator out of band "
                        "and set it in [audit] broker_signing_key",
                        key_b64);
    (void)node_->store().Put(kBrokerKeySourceMeta, "first use", true);
    if (auto s = node_->store().Put(kBrokerKeyMeta, key_b64, true); !s.ok()) {
      Log()->error("broker signing key not pinned (asked again next time): {}", s.error().message);
      return;
    }
  }
  const auto& sig = newer->checkpoint.signature;
  std::string sig_b64 = audit::Base64Encode({reinterpret_cast<const char*>(sig.data()), sig.size()});
  if (auto s = node_->store().Put(kCheckpointSignatureMeta, sig_b64, false); !s.ok()) {
    Log()->error("checkpoint signature not kept (asked again next time): {}", s.error().message);
    return;
  }
  if (auto s = node_->store().Put("audit/checkpoint", newer->checkpoint.body, true); !s.ok()) {
    Log()->error("checkpoint not kept (asked again next time): {}", s.error().message);
    return;
  }
  unanswered_checkpoints_ = 0;
  check_own(true);
  SendWitness();
  if (auto ask = consultation_check_->Next(newer->parsed)) (void)client_->SendControl(*ask);
}

void BrokerLink::HandleDeliver(const Incoming& m) {
  const auto* d = m.control()->command_as_Deliver();
  std::string subscription = d->subscription() ? d->subscription()->str() : "";
  std::vector<InboxEntry> entries;
  std::vector<wire::EventId> ids;
  std::vector<const fb::Event*> events;  // of `entries`, views into `m`
  // The case model's updates and the automatic delivery receipts go into the
  // same synced write as the records they answer.
  NodeStore::Answers receipts;
  std::vector<nlohmann::json> erased;  // tombstones of the cases erased
  auto txn = node_->cases().Begin();
  VaultSettle settle(node_->seal().vault());  // before the case lock is released
  int64_t now = NowMicros();
  // Acknowledged are only the records up to the first one refused here:
  // the broker redelivers from there (and the refusal raises an alarm).
  uint64_t last = 0;
  bool refused = false;
  for (size_t i = 0; i < m.payload_count(); ++i) {
    uint64_t offset = d->offsets()->Get(i);
    auto record = wire::VerifyRecord(m.payload(i));
    if (!record.ok() || (*record)->offset() != offset) {
      SecurityLog()->error("delivered record refused offset={}: {}", offset,
                           record.ok() ? "offset mismatch" : record.error().message);
      refused = true;
      break;
    }
    last = offset;
    auto have = node_->store().HasInbox(offset);
    if (!have.ok()) {
      Disconnect("inbox read failed");
      return;
    }
    if (*have) continue;  // redelivered: stored before
    auto p = m.payload(i);
    std::string stored(p.begin(), p.end());
    // The inbox keeps the record as received (sealed), but for this node's
    // copies of its content key: that key is kept under the case's key
    // (docs/ERASURE.md). The case model is built from the opened event.
    auto readable = node_->seal().Receive(stored, &txn->alongside());
    const fb::Event* envelope = fb::GetEvent(wire::RecordEventBytes(**record).data());
    ids.push_back(wire::EventId::FromFb(*envelope->id()));
    events.push_back(envelope);
    entries.push_back({offset, std::move(stored)});
    if (!readable.ok()) {
      SecurityLog()->error("received offset={} kept in the inbox, not added to a case: {}", offset,
                           readable.error().message);
      continue;
    }
    const fb::Event* event = fb::GetEvent(readable->data());
    if (auto s = txn->Apply(*event, Direction::kIncoming, offset, nullptr, now); !s.ok()) {
      Log()->warn("received offset={} kept in the inbox, not added to a case: {}", offset, s.error().message);
    } else if (event->body_type() == fb::Body::CaseErased) {
      erased.push_back(ErasureTombstone(*event, "request"));
    }
    if (config_.auto_delivery_receipt && event->body_type() == fb::Body::ReferralCreated) {
      auto receipt = BuildReceipt(*event, now);
      auto verified = wire::VerifyEvent(wire::AsBytes(receipt));
      if (!verified.ok()) continue;  // cannot happen: built here
      // The receipt says the record is here, whether or not the case model
      // took the referral in (it may be past a bound).
      (void)txn->Apply(**verified, Direction::kOutgoing, 0, nullptr, now);
      receipts.emplace_back(wire::EventId::FromFb(*(*verified)->id()), std::move(receipt));
    }
  }
  // Erasures received: the case keys go in the same write as the case
  // model's scrub.
  for (const auto& tombstone : erased) {
    std::string case_id = tombstone["case_id"].get<std::string>();
    if (auto s = node_->seal().vault().Erase(case_id, tombstone, &txn->alongside()); !s.ok()) {
      Log()->error("case keys of {} not destroyed: {}", case_id, s.error().message);
    }
  }
  auto fresh = node_->store().PutInbox(std::move(entries), ids, &txn->writes(), &receipts);
  node_->seal().vault().Settled();
  txn.reset();
  if (!fresh.ok()) {
    // Not acknowledged: the broker delivers it again after the reconnect.
    Log()->error("inbox write failed: {}", fresh.error().message);
    Disconnect("inbox write failed");
    return;
  }
  node_->changes().Bump();
  if (!erased.empty()) node_->ShredSoon();
  if (!receipts.empty()) node_->Wake();
  if (last > 0 && !client_->SendControl(wire::EncodeDeliveryAck(subscription, last)).ok()) {
    Disconnect("delivery ack not sent");
    return;
  }
  if (refused) {
    RaiseAlarm("the broker delivered a record that fails verification");
    Disconnect("a delivered record failed verification");
    WaitBackoff();  // the broker will deliver it again: not in a tight loop
    return;
  }
  if (!client_->SendControl(wire::EncodeCredit(subscription, 0, static_cast<uint32_t>(m.payload_count())))
           .ok()) {
    // Without it the broker stops delivering once the window is used up; a
    // new session starts with a full window.
    Disconnect("credit not sent");
    return;
  }
  for (size_t i = 0; i < std::min(events.size(), fresh->size()); ++i) {
    Log()->debug("received offset={} type={} from={}/{} subscription={}", (*fresh)[i].offset,
                 wire::BodyName(events[i]->body_type()), events[i]->origin()->country()->string_view(),
                 events[i]->origin()->agency()->string_view(), subscription);
  }
}

std::string BrokerLink::BuildReceipt(const fb::Event& o, int64_t now) {
  std::string agency = LocalAgencyFor(node_->cases().options(), o);
  fb::EventT e;
  e.id = std::make_unique<fb::Uuid>(node_->ids().Next().ToFb());
  e.created_at_us = now;
  e.origin = std::make_unique<fb::PartyT>();
  e.origin->country = config_.country;
  e.origin->agency = agency;
  auto dest = std::make_unique<fb::DestinationT>();
  dest->country = o.origin()->country()->str();
  dest->agency = o.origin()->agency()->str();
  e.destinations.push_back(std::move(dest));
  e.priority = o.priority();
  e.handling = o.handling();
  if (o.handling_text()) e.handling_text = o.handling_text()->str();
  if (o.case_id()) e.case_id = o.case_id()->str();
  e.parent_id = std::make_unique<fb::Uuid>(*o.id());
  fb::DeliveryReceiptT b;
  b.delivered_at_us = now;
  b.agency = agency;
  e.body.Set(std::move(b));
  return wire::PackEvent(e);
}

}  // namespace lintas::node
