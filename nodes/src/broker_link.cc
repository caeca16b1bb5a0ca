// The node's broker link thread.
#include "lintas/node/broker_link.h"
#include "lintas/node/errc.h"

#include "consultation_check.h"

#include <fstream>
#include <stdexcept>

#include "lintas/common/logging.h"
#include "lintas/common/shutdown.h"
#include "lintas/node/node.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/frame.h"

namespace lintas::node {
namespace {

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

}  // namespace lintas::node
