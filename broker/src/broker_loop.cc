// The broker loop: sockets, sessions, dispatch, heartbeats, shutdown.
#include "broker_loop.h"

#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "lintas/broker/logger.h"
#include "lintas/common/clock.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/limits.h"

namespace lintas::broker {
namespace {

constexpr int kPollMs = 20;                  // how soon Stop() is noticed
constexpr int kIndexWaitMs = 1;              // how soon a wait for the index thread ends
constexpr size_t kMaxMessagesPerRead = 4096;  // fairness between reading and answering
// Uncommitted batches: the committer writes all that are queued at once, so a
// count of 4 stopped the loop reading while one write was syncing; bytes
// bound the memory (+1 to +6% events/s with 16 than with 4, A/B).
constexpr size_t kMaxInflightBatches = 16;
constexpr uint64_t kMaxInflightBytes = 32u << 20;
constexpr int kHwm = 100000;
constexpr int kShutdownLingerMs = 2000;
constexpr int64_t kRevocationCheckMs = 200;  // how soon a changed revocation file is read

}  // namespace

std::string ReadSecretKey(const std::string& path) {
  std::ifstream in(path);
  std::string key;
  if (!(in >> key) || key.size() != 40) {
    throw std::runtime_error("security.secret_key_file: no Z85 secret key (40 characters) in " + path);
  }
  return key;
}

int64_t SteadyMillis() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  return duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

BrokerLoop::BrokerLoop(BrokerConfig config, std::unique_ptr<store::Store> store)
    : config_(std::move(config)),
      directory_(config_),
      policy_(config_.policy),
      revocations_(config_.security == SecurityMode::kCurve ? config_.revoked_keys_file : ""),
      store_(std::move(store)),
      ctx_(1),
      zap_(config_.security == SecurityMode::kCurve
               ? std::make_unique<ZapHandler>(ctx_, config_, &probe_, &revocations_)
               : nullptr),
      router_(ctx_, zmq::socket_type::router),
      notify_(ctx_, zmq::socket_type::pair),
      reader_notify_(ctx_, zmq::socket_type::pair) {
  ingest_state_.config = &config_;
  ingest_state_.directory = &directory_;
  ingest_state_.policy = &policy_;
  ingest_state_.seal_key = [this](const std::string& node_id) { return CurrentSealKey(node_id); };
  RefreshRevocations();
  if (auto s = RebuildIndexes(); !s.ok()) {
    throw std::runtime_error("cannot rebuild the indexes from the log: " + s.error().message);
  }
  InitAudit();
  if (auto s = seal_keys_.Load(store_.get()); !s.ok()) {
    throw std::runtime_error("cannot read the nodes' seal keys: " + s.error().message);
  }
  if (auto s = witnesses_.Load(store_.get()); !s.ok()) {
    throw std::runtime_error("cannot read the nodes' witnessed checkpoints: " + s.error().message);
  }
  next_offset_ = store_->next_offset();
  committed_end_ = next_offset_;
  last_received_us_ = store_->last_received_at_us();
  probe_.LogSize(store_->size());
  router_.set(zmq::sockopt::router_mandatory, 1);
  router_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(wire::kMaxFrameBytes));
  router_.set(zmq::sockopt::sndhwm, kHwm);
  router_.set(zmq::sockopt::rcvhwm, kHwm);
  router_.set(zmq::sockopt::linger, kShutdownLingerMs);
  if (config_.security == SecurityMode::kCurve) {
    std::string secret = ReadSecretKey(config_.secret_key_file);
    router_.set(zmq::sockopt::curve_server, true);
    router_.set(zmq::sockopt::curve_secretkey, secret);
    router_.set(zmq::sockopt::zap_domain, "lintas");
    router_.set(zmq::sockopt::handshake_ivl, static_cast<int>(config_.handshake_timeout_ms));
  }
  std::string notify_endpoint = fmt::format("inproc://lintas-committer-{}",
                                            static_cast<const void*>(this));
  notify_.bind(notify_endpoint);
  indexer_ = std::make_unique<Indexer>(store_.get());
  committer_ = std::make_unique<Committer>(store_.get(), indexer_.get(), &probe_, ctx_,
                                           notify_endpoint);
  if (log_tree_) committer_->SetLeafTail(log_tree_->size(), pending_leaves_);
  std::string reader_endpoint = fmt::format("inproc://lintas-reader-{}", static_cast<const void*>(this));
  reader_notify_.bind(reader_endpoint);
  reader_ = std::make_unique<LogReader>(ctx_, reader_endpoint);
  current_ = std::make_unique<CommitBatch>();
}

BrokerLoop::~BrokerLoop() {
  reader_.reset();
  committer_.reset();
  indexer_.reset();
  router_.close();
  notify_.close();
  reader_notify_.close();
}

std::string BrokerLoop::Bind() {
  router_.bind(config_.endpoint);
  std::string endpoint = router_.get(zmq::sockopt::last_endpoint);
  if (!config_.metrics_endpoint.empty()) probe_.Expose(config_.metrics_endpoint);
  if (config_.security == SecurityMode::kPlaintext) {
    SecurityLog()->warn(
        "PLAINTEXT MODE: no encryption, no authentication; node identities are taken from "
        "Hello on trust. For tests and demos on loopback only. endpoint={}",
        endpoint);
  }
  if (!policy_.enforced()) {
    SecurityLog()->warn(
        "NO ROUTING POLICY: every exchange the directory resolves is allowed; configure [policy] "
        "rules for production");
  }
  Log()->info("listening endpoint={} broker_id={} log_size={} next_offset={}", endpoint,
              config_.id, store_->size(), next_offset_);
  return endpoint;
}

void BrokerLoop::Run() {
  while (!stop_.load(std::memory_order_acquire)) {
    bool can_read = inflight_batches_ < kMaxInflightBatches && inflight_bytes_ < kMaxInflightBytes &&
                    !storage_failed_;
    zmq::pollitem_t items[] = {
        {notify_.handle(), 0, ZMQ_POLLIN, 0},
        {reader_notify_.handle(), 0, ZMQ_POLLIN, 0},
        {router_.handle(), 0, static_cast<short>(can_read ? ZMQ_POLLIN : 0), 0},
    };
    bool busy = deliveries_pending_ || !stats_scans_.empty();
    zmq::poll(items, 3, std::chrono::milliseconds(busy ? 0 : index_wait_ ? kIndexWaitMs : kPollMs));
    if (items[0].revents & ZMQ_POLLIN) CompleteCommits();
    if (items[1].revents & ZMQ_POLLIN) CompleteReads();
    if (items[2].revents & ZMQ_POLLIN) ReadMessages();
    PumpDeliveries();
    PumpStats();
    Tick();
    // Consultation records made this turn: into a group commit now (alone,
    // if no event is waiting), so that what they record can go. Cursor
    // writes ride with the next one, or go alone when none is in flight.
    if (!storage_failed_ && (!current_->writes.access.empty() ||
                             (!current_->writes.cursors.empty() && inflight_batches_ == 0))) {
      SubmitCurrent();
    }
    if (!storage_failed_ && indexer_->failed()) storage_failed_ = true;  // no read until recovered
    if (storage_failed_ && inflight_batches_ == 0 && reader_->outstanding() == 0) {
      RecoverFromFailedWrite();
    }
    committer_->TurnEnded();
  }
  // Drain: deferred publishes are refused (shutting_down: resend later),
  // what is in flight is finished and acknowledged, then goodbye.
  reader_->Stop();
  CompleteReads();
  Log()->info("stopping: draining {} batches in flight", inflight_batches_ + (current_->acks.empty() ? 0 : 1));
  WaitForCommits();
  MaybeCheckpoint(true);
  // The indexes of the last commits, durable with the final sync.
  if (auto s = indexer_->Drain(); !s.ok()) {
    Log()->error("index write failed; the next start rebuilds them: {}", s.error().message);
  } else if (auto synced = store_->Sync(); !synced.ok()) {
    Log()->error("final sync failed: {}", synced.error().message);
  }
  std::vector<std::string> peers;
  for (const auto& [peer, session] : sessions_) peers.push_back(peer);
  for (const auto& peer : peers) SendGoodbye(peer, proto::GoodbyeCode::Shutdown, "broker shutting down");
  committer_->Stop();
  Log()->info("stopped: log_size={}", store_->size());
}

void BrokerLoop::ReadMessages() {
  std::vector<zmq::message_t> frames;
  for (size_t n = 0; n < kMaxMessagesPerRead; ++n) {
    zmq::message_t id;
    if (!router_.recv(id, zmq::recv_flags::dontwait)) break;  // would block: nothing left
    frames.clear();
    size_t total_frames = 0;
    for (bool more = id.more(); more;) {
      zmq::message_t part;
      (void)router_.recv(part, zmq::recv_flags::none);  // the rest of a message is already here
      ++total_frames;
      more = part.more();
      // Keep at most what a valid message can hold; count, and drop, the rest.
      if (frames.size() < wire::kMaxBatch + 2) frames.push_back(std::move(part));
    }
    std::string peer = id.to_string();
    // The identity ZAP authenticated; empty in plaintext mode.
    // (zmq_msg_gets, not cppzmq's gets: a missing property is not an error.)
    const char* user = frames.empty() ? nullptr : zmq_msg_gets(frames[0].handle(), "User-Id");
    std::string user_id = user ? user : "";
    const char* address = frames.empty() ? nullptr : zmq_msg_gets(frames[0].handle(), "Peer-Address");
    if (total_frames > frames.size()) {
      probe_.MalformedFrame();
      probe_.Refused(wire::errc::batch_too_large);
      SendError(peer, wire::errc::batch_too_large,
                fmt::format("message of {} frames exceeds the limit of {}", total_frames,
                            wire::kMaxBatch + 1));
      continue;
    }
    Dispatch(peer, {user_id, address ? address : ""}, frames);
    if (current_->entries.size() >= config_.commit_max_events ||
        current_->bytes >= config_.commit_max_bytes) {
      break;
    }
  }
  SubmitCurrent();
}

void BrokerLoop::Dispatch(const std::string& peer, const PeerInfo& from,
                          const std::vector<zmq::message_t>& frames) {
  const std::string& user_id = from.user_id;
  // FlatBuffers reads 4- and 8-byte fields in place; ZeroMQ does not align
  // frame data (small frames live inside the message, batched ones at any
  // offset of a receive buffer). Frames that are not 8-aligned are copied.
  std::vector<std::span<const uint8_t>> views;
  std::vector<std::vector<uint64_t>> aligned;
  views.reserve(frames.size());
  aligned.reserve(frames.size());
  for (const auto& f : frames) {
    const auto* data = f.data<uint8_t>();
    if (reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) == 0) {
      views.emplace_back(data, f.size());
      continue;
    }
    aligned.emplace_back((f.size() + 7) / 8);
    std::memcpy(aligned.back().data(), data, f.size());
    views.emplace_back(reinterpret_cast<const uint8_t*>(aligned.back().data()), f.size());
  }
  auto decoded = wire::DecodeMessage(views);
  if (!decoded.ok()) {
    probe_.MalformedFrame();
    probe_.Refused(static_cast<wire::errc>(decoded.error().code.value()));
    LogRefusal(peer, decoded.error());
    SendError(peer, static_cast<wire::errc>(decoded.error().code.value()),
              decoded.error().message);
    return;
  }
  const wire::MessageView& m = *decoded;
  if (m.command == proto::Command::Hello) {
    HandleHello(peer, from, *m.control->command_as_Hello());
    return;
  }
  auto it = sessions_.find(peer);
  if (it == sessions_.end()) {
    probe_.Refused(wire::errc::not_ready);
    SendError(peer, wire::errc::not_ready,
              fmt::format("{} before Hello: say Hello first", wire::CommandName(m.command)));
    return;
  }
  Session& session = it->second;
  if (config_.security == SecurityMode::kCurve && user_id != session.node->id) {
    // Cannot happen with one key per connection, but the rule is: trust only ZAP.
    probe_.Refused(wire::errc::permission_denied);
    SecurityLog()->warn("message whose authenticated identity {} is not the session's node {}",
                        user_id, session.node->id);
    SendError(peer, wire::errc::permission_denied, "authenticated identity changed");
    EndSession(peer, "identity mismatch");
    return;
  }
  if (revoked_nodes_.count(session.node->id)) {
    probe_.Refused(wire::errc::permission_denied);
    SecurityLog()->warn("message refused: the key of node {} is revoked", session.node->id);
    SendError(peer, wire::errc::permission_denied, "your key has been revoked");
    EndSession(peer, "key revoked");
    return;
  }
  session.last_recv_ms = SteadyMillis();
  switch (m.command) {
    case proto::Command::Publish: HandlePublish(session, m); break;
    case proto::Command::Subscribe: HandleSubscribe(session, *m.control->command_as_Subscribe()); break;
    case proto::Command::Unsubscribe:
      HandleUnsubscribe(session, *m.control->command_as_Unsubscribe());
      break;
    case proto::Command::DeliveryAck:
      HandleDeliveryAck(session, *m.control->command_as_DeliveryAck());
      break;
    case proto::Command::Credit: HandleCredit(session, *m.control->command_as_Credit()); break;
    case proto::Command::Replay: HandleReplay(session, *m.control->command_as_Replay()); break;
    case proto::Command::AuditQuery:
      HandleAuditQuery(session, *m.control->command_as_AuditQuery());
      break;
    case proto::Command::Heartbeat: break;  // last_recv_ms is all it is for
    case proto::Command::Goodbye: EndSession(peer, "goodbye"); break;
    case proto::Command::Error:
      Log()->warn("peer reported an error node={} code={} message={}", session.node->id,
                  m.control->command_as_Error()->code(),
                  m.control->command_as_Error()->message() ? m.control->command_as_Error()->message()->str() : "");
      break;
    default:
      probe_.Refused(wire::errc::malformed_message);
      SendError(peer, wire::errc::malformed_message,
                fmt::format("{} is not a command a node sends", wire::CommandName(m.command)));
      break;
  }
}

void BrokerLoop::HandleHello(const std::string& peer, const PeerInfo& from,
                             const proto::Hello& hello) {
  const std::string& user_id = from.user_id;
  const std::string& address = from.address;
  auto version = wire::NegotiateVersion(*hello.versions());
  if (!version.ok()) {
    probe_.Refused(wire::errc::unsupported_version);
    SendError(peer, wire::errc::unsupported_version, version.error().message);
    return;
  }
  const NodeConfig* node = directory_.FindNode(hello.node_id()->string_view());
  if (config_.security == SecurityMode::kCurve && (node == nullptr || node->id != user_id)) {
    probe_.Refused(wire::errc::permission_denied);
    SecurityLog()->warn("hello refused: key of node {} says it is {}", user_id,
                        hello.node_id()->size() <= 64 ? hello.node_id()->str() : "(long)");
    SendError(peer, wire::errc::permission_denied,
              "the node id in Hello is not the one your key belongs to");
    return;
  }
  if (node != nullptr && revoked_nodes_.count(node->id)) {
    probe_.Refused(wire::errc::permission_denied);
    SecurityLog()->warn("hello refused: the key of node {} is revoked", node->id);
    SendError(peer, wire::errc::permission_denied, "your key has been revoked");
    return;
  }
  if (node == nullptr || node->country != hello.country()->string_view()) {
    probe_.Refused(wire::errc::permission_denied);
    SecurityLog()->warn("hello refused: unknown node or wrong country node={} country={}",
                        hello.node_id()->size() <= 64 ? hello.node_id()->str() : "(long)",
                        hello.country()->size() <= 8 ? hello.country()->str() : "(long)");
    SendError(peer, wire::errc::permission_denied,
              "this node id and country are not in the broker's configuration");
    return;
  }
  if (sessions_.count(peer)) EndSession(peer, "hello again");
  if (auto old = node_sessions_.find(node->id); old != node_sessions_.end()) {
    // The newer connection wins (a node restarted after a crash must not wait
    // for its old session to time out); the old one is told why it ends. Two
    // live processes with one key replace each other: the warning says so.
    std::string old_peer = old->second;
    auto old_session = sessions_.find(old_peer);
    Log()->warn("session replaced node={} old_peer={} old_address={} new_peer={} new_address={}",
                node->id, PeerName(old_peer),
                old_session != sessions_.end() ? old_session->second.address : "", PeerName(peer),
                address);
    SendGoodbye(old_peer, proto::GoodbyeCode::Replaced,
                "another connection said Hello as this node and replaced this one");
    EndSession(old_peer, "replaced by a new connection");
  }
  if (auto s = AnnounceSealKey(*node, hello); !s.ok()) {
    probe_.Refused(static_cast<wire::errc>(s.error().code.value()));
    SendError(peer, static_cast<wire::errc>(s.error().code.value()), s.error().message);
    return;
  }
  Session& session = sessions_[peer];
  session.peer = peer;
  session.node = node;
  session.address = address;
  session.last_recv_ms = SteadyMillis();
  node_sessions_[node->id] = peer;
  probe_.ConnectedNodes(sessions_.size());
  probe_.SessionStarted();

  proto::ControlT control;
  proto::ReadyT ready;
  ready.version = *version;
  ready.broker_id = config_.id;
  ready.heartbeat_ms = config_.heartbeat_ms;
  ready.max_message_bytes = static_cast<uint32_t>(wire::kMaxMessageBytes);
  ready.max_batch = config_.max_batch;
  ready.credit_window = config_.credit_window;
  ready.packed_publish = true;
  control.command.Set(std::move(ready));
  (void)Send(peer, wire::EncodeControl(control));
  Log()->info("node connected node={} country={} software={}", node->id, node->country,
              hello.software() && hello.software()->size() <= 64 ? hello.software()->str() : "");
}

void BrokerLoop::RefreshRevocations() {
  if (!revocations_.Refresh() && next_revocation_check_ms_ != 0) return;
  revoked_nodes_.clear();
  for (const auto& node : config_.nodes) {
    if (!node.public_key.empty() && revocations_.IsRevoked(node.public_key)) {
      revoked_nodes_.insert(node.id);
    }
  }
  // Sessions of revoked nodes end now, not at their next heartbeat.
  for (const auto& node_id : revoked_nodes_) {
    auto it = node_sessions_.find(node_id);
    if (it == node_sessions_.end()) continue;
    std::string peer = it->second;
    probe_.Refused(wire::errc::permission_denied);
    SecurityLog()->warn("session ended: the key of node {} is revoked", node_id);
    SendError(peer, wire::errc::permission_denied, "your key has been revoked");
    EndSession(peer, "key revoked");
  }
}

void BrokerLoop::Tick() {
  int64_t now = SteadyMillis();
  AuditTick(now);
  if (now >= next_revocation_check_ms_) {
    RefreshRevocations();
    next_revocation_check_ms_ = now + kRevocationCheckMs;
  }
  int64_t hb = config_.heartbeat_ms;
  std::vector<std::string> dead;
  for (auto& [peer, session] : sessions_) {
    if (now - session.last_recv_ms > hb * wire::kHeartbeatLiveness) {
      dead.push_back(peer);
    } else if (now - session.last_send_ms >= hb) {
      (void)Send(peer, wire::EncodeHeartbeat(NowMicros()));
    }
  }
  for (const auto& peer : dead) {
    // A peer that is only stuck (not gone) learns why it must say Hello again.
    SendGoodbye(peer, proto::GoodbyeCode::Timeout,
                fmt::format("nothing received for {} ms", hb * wire::kHeartbeatLiveness));
    EndSession(peer, "heartbeat timeout");
  }
  for (const auto& peer : std::exchange(gone_peers_, {})) EndSession(peer, "peer gone");
}

void BrokerLoop::EndSession(const std::string& peer, const char* reason) {
  auto it = sessions_.find(peer);
  if (it == sessions_.end()) return;
  Session& session = it->second;
  Log()->info("node disconnected node={} reason={}", session.node->id, reason);
  std::set<std::string> keys = session.subscriptions;
  for (const auto& key : keys) Detach(key);
  if (auto ns = node_sessions_.find(session.node->id);
      ns != node_sessions_.end() && ns->second == peer) {
    node_sessions_.erase(ns);
  }
  sessions_.erase(it);
  probe_.ConnectedNodes(sessions_.size());
}

std::string PeerName(std::string_view routing_id) { return wire::ToHex(routing_id); }

void BrokerLoop::LogRefusal(const std::string& peer, const Error& error) {
  int64_t now_s = SteadyMillis() / 1000;
  if (now_s != log_window_s_) {
    if (log_count_ > 20) Log()->warn("{} more refusals in the last second", log_count_ - 20);
    log_window_s_ = now_s;
    log_count_ = 0;
  }
  if (log_count_++ >= 20) return;
  auto it = sessions_.find(peer);
  Log()->warn("refused node={} code={} reason={}",
              it != sessions_.end() ? it->second.node->id : std::string("(no session)"),
              error.code.message(), error.message);
}

}  // namespace lintas::broker
