// Broker test harness.
#include "testutil/broker_harness.h"
#include "testutil/test_seal_keys.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lintas/wire/frame.h"
#include "lintas/wire/verify.h"

namespace lintas::testutil {
namespace {

struct TestNode {
  const char* id;
  const char* country;
  const char* permissions;
};

constexpr TestNode kNodes[] = {
    {"th-node", "THA", R"(["publish", "subscribe"])"},
    {"kh-node", "KHM", R"(["publish", "subscribe"])"},
    {"vn-node", "VNM", R"(["publish", "subscribe"])"},
    {"la-node", "LAO", R"(["publish", "subscribe"])"},
    {"id-node", "IDN", R"(["publish", "subscribe"])"},
    {"ph-node", "PHL", R"(["publish", "subscribe"])"},
    {"my-node", "MYS", R"(["publish", "subscribe"])"},
    {"audit-node", "ASE", R"(["subscribe", "audit"])"},
};

}  // namespace

std::string TestConfigToml(const std::string& data_dir, const std::string& endpoint,
                           uint32_t heartbeat_ms) {
  std::string out = fmt::format(R"([broker]
id = "test-broker"
endpoint = "{}"
data_dir = "{}"
heartbeat_ms = {}
log_level = "warn"

[security]
mode = "plaintext"
require_sealed = false  # tests publish hand-built events

[directory]
agencies_csv = "{}/ops/directory/agencies.csv"
)",
                                endpoint, data_dir, heartbeat_ms, LINTAS_SOURCE_DIR);
  for (const auto& n : kNodes) {
    out += fmt::format("\n[[nodes]]\nid = \"{}\"\ncountry = \"{}\"\npermissions = {}\nseal_public_key = \"{}\"\n",
                       n.id, n.country, n.permissions, TestSealPublicKey(n.id));
  }
  return out;
}

broker::BrokerConfig TestConfig(const std::string& data_dir, const std::string& endpoint,
                                uint32_t heartbeat_ms) {
  return broker::ParseConfig(TestConfigToml(data_dir, endpoint, heartbeat_ms), "/");
}

std::string JetStreamToml(const std::vector<std::string>& servers, const std::string& prefix,
                          uint32_t lease_ttl_ms, uint32_t request_timeout_ms) {
  std::string urls;
  for (const auto& u : servers) urls += fmt::format("{}\"{}\"", urls.empty() ? "" : ", ", u);
  return fmt::format(R"(
[store]
backend = "jetstream"

[store.jetstream]
servers = [{}]
stream = "{}_LOG"
access_stream = "{}_ACCESS"
bucket = "{}_STATE"
lease_bucket = "{}_LEASE"
replicas = 3
lease_ttl_ms = {}
request_timeout_ms = {}
)",
                     urls, prefix, prefix, prefix, prefix, lease_ttl_ms, request_timeout_ms);
}

broker::BrokerConfig JetStreamTestConfig(const std::string& data_dir,
                                         const std::vector<std::string>& servers,
                                         const std::string& prefix, const std::string& endpoint) {
  return broker::ParseConfig(TestConfigToml(data_dir, endpoint) + JetStreamToml(servers, prefix), "/");
}

node::ClientOptions NodeOptions(const std::string& endpoint, const std::string& node_id) {
  for (const auto& n : kNodes) {
    if (node_id == n.id) {
      node::ClientOptions o;
      o.endpoint = endpoint;
      o.node_id = n.id;
      o.country = n.country;
      return o;
    }
  }
  throw std::invalid_argument("no test node " + node_id);
}

InProcessBroker::InProcessBroker(broker::BrokerConfig config)
    : InProcessBroker(std::make_unique<broker::Broker>(std::move(config))) {}

InProcessBroker::InProcessBroker(broker::BrokerConfig config, std::unique_ptr<store::Store> store)
    : InProcessBroker(std::make_unique<broker::Broker>(std::move(config), std::move(store))) {}

InProcessBroker::InProcessBroker(std::unique_ptr<broker::Broker> broker)
    : broker_(std::move(broker)) {
  endpoint_ = broker_->Bind();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "lintas-loop");
    broker_->Run();
  });
}

InProcessBroker::~InProcessBroker() {
  broker_->Stop();
  thread_.join();
}

BrokerProcess::BrokerProcess(const std::string& dir, const std::string& endpoint,
                             const std::string& extra_toml, bool wait) {
  std::string config = dir + "/broker.toml";
  endpoint_file_ = dir + "/broker.endpoint";
  std::filesystem::remove(endpoint_file_);
  std::ofstream(config) << TestConfigToml(dir + "/data", endpoint) << extra_toml;
  std::string binary = std::string(LINTAS_BINARY_DIR) + "/broker/lintas-broker";
  std::string log = dir + "/broker.log";
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    if (!extra_toml.empty()) {  // keep the JetStream brokers' logs for a failing test
      FILE* out = std::freopen(log.c_str(), "a", stderr);
      (void)out;
    }
    execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), "--endpoint-file",
          endpoint_file_.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (!wait) return;
  if (WaitListening(20s)) return;
  bool exited = pid_ < 0;
  Kill();
  throw std::runtime_error(exited ? "lintas-broker exited during start-up"
                                  : "lintas-broker did not start within 20 s");
}

bool BrokerProcess::WaitListening(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(endpoint_file_);
    if (in && std::getline(in, endpoint_) && !endpoint_.empty()) return true;
    if (!Running()) return false;
    std::this_thread::sleep_for(5ms);  // polling a file with a deadline
  }
  return false;
}

bool BrokerProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

BrokerProcess::~BrokerProcess() { Kill(); }

void BrokerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int BrokerProcess::Terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::chrono::milliseconds Remaining(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::max(left, 0ms);
}

std::vector<PublishOutcome> PublishAndWait(node::BrokerClient& client,
                                           const std::vector<std::string>& events,
                                           std::chrono::milliseconds timeout) {
  std::vector<PublishOutcome> out(events.size());
  std::map<uint64_t, size_t> by_seq;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t sent = 0;
  size_t answered = 0;
  while (answered < events.size() && std::chrono::steady_clock::now() < deadline) {
    if (sent < events.size()) {
      size_t n = std::min<size_t>(events.size() - sent, 256);
      std::span<const std::string> chunk(events.data() + sent, n);
      auto first = client.Publish(chunk);
      if (first.ok()) {
        for (size_t i = 0; i < n; ++i) by_seq[*first + i] = sent + i;
        sent += n;
      }
    }
    auto in = client.Receive(std::min<std::chrono::milliseconds>(Remaining(deadline), 100ms));
    if (!in.ok() || !in->has_value()) continue;
    const node::Incoming& m = **in;
    if (m.command == proto::Command::Ack) {
      for (const auto* e : *m.control()->command_as_Ack()->entries()) {
        auto it = by_seq.find(e->seq());
        if (it == by_seq.end() || out[it->second].answered) continue;
        out[it->second] = {true, true, e->offset(), e->duplicate(), 0, "", ""};
        ++answered;
      }
    } else if (m.command == proto::Command::Nack) {
      const auto* n = m.control()->command_as_Nack();
      auto it = by_seq.find(n->seq());
      if (it == by_seq.end() || out[it->second].answered) continue;
      out[it->second] = {true, false, 0, false, n->code(), n->field() ? n->field()->str() : "",
                         n->message() ? n->message()->str() : ""};
      ++answered;
    }
  }
  return out;
}

std::vector<Delivered> ReceiveDeliveries(node::BrokerClient& client,
                                         const std::string& subscription, size_t count,
                                         std::chrono::milliseconds timeout, uint64_t replay_id) {
  std::vector<Delivered> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto in = client.Receive(std::min<std::chrono::milliseconds>(Remaining(deadline), 100ms));
    if (!in.ok() || !in->has_value()) continue;
    const node::Incoming& m = **in;
    if (m.command == proto::Command::ReplayEnd &&
        m.control()->command_as_ReplayEnd()->replay_id() == replay_id && replay_id != 0) {
      break;
    }
    if (m.command != proto::Command::Deliver) continue;
    const auto* d = m.control()->command_as_Deliver();
    if (d->replay_id() != replay_id) continue;
    if (replay_id == 0 && (!d->subscription() || d->subscription()->str() != subscription)) continue;
    for (size_t i = 0; i < m.payload_count(); ++i) {
      auto p = m.payload(i);
      out.push_back({d->offsets()->Get(i), std::string(p.begin(), p.end())});
    }
  }
  return out;
}

bool Subscribe(node::BrokerClient& client, const std::string& name, const proto::FilterT* filter,
               proto::StartPosition start, uint32_t credit, bool packed) {
  proto::ControlT control;
  proto::SubscribeT sub;
  sub.subscription = name;
  sub.packed = packed;
  if (filter) sub.filter = std::make_unique<proto::FilterT>(*filter);
  sub.start = start;
  sub.credit = credit;
  control.command.Set(std::move(sub));
  if (!client.SendControl(wire::EncodeControl(control)).ok()) return false;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto in = client.Receive(100ms);
    if (!in.ok() || !in->has_value()) continue;
    if ((*in)->command == proto::Command::Subscribed) return true;
    if ((*in)->command == proto::Command::Error) return false;
  }
  return false;
}

bool RoundTrip(node::BrokerClient& client) {
  return Subscribe(client, "round-trip", nullptr, proto::StartPosition::Latest, 1);
}

const fb::Event* RecordEvent(const std::string& record) {
  auto verified = wire::VerifyRecord(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(record.data()), record.size()));
  if (!verified.ok()) return nullptr;
  return fb::GetEvent(wire::RecordEventBytes(**verified).data());
}


bool StartReplay(node::BrokerClient& client, uint64_t replay_id, const std::string& justification,
                 const std::function<void(proto::ReplayT&)>& fill) {
  proto::ControlT control;
  proto::ReplayT r;
  r.replay_id = replay_id;
  r.justification = justification;
  if (fill) fill(r);
  control.command.Set(std::move(r));
  return client.SendControl(wire::EncodeControl(control)).ok();
}

ReplayResult ReceiveReplay(node::BrokerClient& client, uint64_t replay_id,
                           std::chrono::milliseconds timeout) {
  ReplayResult out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!out.ended && std::chrono::steady_clock::now() < deadline) {
    auto in = client.Receive(std::min<std::chrono::milliseconds>(Remaining(deadline), 100ms));
    if (!in.ok() || !in->has_value()) continue;
    const node::Incoming& m = **in;
    if (m.command == proto::Command::Deliver) {
      const auto* d = m.control()->command_as_Deliver();
      if (d->replay_id() != replay_id) continue;
      for (size_t i = 0; i < m.payload_count(); ++i) {
        auto bytes = m.payload(i);
        out.delivered.push_back({d->offsets()->Get(static_cast<flatbuffers::uoffset_t>(i)),
                                 std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size())});
      }
    } else if (m.command == proto::Command::ReplayEnd) {
      const auto* end = m.control()->command_as_ReplayEnd();
      if (end->replay_id() != replay_id) continue;
      out.ended = true;
      out.count = end->count();
      out.last_offset = end->last_offset();
      if (end->missing() != nullptr) out.missing.assign(end->missing()->begin(), end->missing()->end());
    }
  }
  return out;
}

}  // namespace lintas::testutil
