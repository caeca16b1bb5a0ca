// Running a real broker for tests: in-process (its loop on a thread) or as a
// child process (for kill -9), with a plaintext loopback configuration over
// the agencies of ops/directory/agencies.csv, and a RocksDB in a temporary
// directory. Plus helpers that publish and wait, and receive deliveries.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "lintas/broker/broker.h"
#include "lintas/broker/config.h"
#include "lintas/node/broker_client.h"

namespace lintas::testutil {

using namespace std::chrono_literals;

// The broker configuration the tests use: plaintext on loopback, nodes
// th-node (THA), kh-node (KHM), vn-node (VNM), la-node (LAO), id-node (IDN),
// ph-node (PHL), my-node (MYS), and audit-node (ASE, audit permission).
// `endpoint` defaults to an ephemeral TCP port.
std::string TestConfigToml(const std::string& data_dir,
                           const std::string& endpoint = "tcp://127.0.0.1:*",
                           uint32_t heartbeat_ms = 500);
broker::BrokerConfig TestConfig(const std::string& data_dir,
                                const std::string& endpoint = "tcp://127.0.0.1:*",
                                uint32_t heartbeat_ms = 500);

// The [store] section for the JetStream backend on `servers`, with streams
// and buckets named "<prefix>_LOG", "<prefix>_ACCESS", "<prefix>_STATE",
// "<prefix>_LEASE" (a fresh prefix: fresh streams), 3 replicas.
std::string JetStreamToml(const std::vector<std::string>& servers, const std::string& prefix,
                          uint32_t lease_ttl_ms = 10000, uint32_t request_timeout_ms = 5000);
// TestConfig on the JetStream backend (TestConfigToml + JetStreamToml).
broker::BrokerConfig JetStreamTestConfig(const std::string& data_dir,
                                         const std::vector<std::string>& servers,
                                         const std::string& prefix,
                                         const std::string& endpoint = "tcp://127.0.0.1:*");

// The node options for one of the test nodes ("kh-node" -> KHM).
node::ClientOptions NodeOptions(const std::string& endpoint, const std::string& node_id);

// A broker whose loop runs on its own thread. Stops and joins on destruction.
class InProcessBroker {
 public:
  explicit InProcessBroker(broker::BrokerConfig config);
  // With a given store (a RocksDbStore on a fault-injecting file system).
  InProcessBroker(broker::BrokerConfig config, std::unique_ptr<store::Store> store);
  ~InProcessBroker();
  const std::string& endpoint() const { return endpoint_; }
  broker::Broker& broker() { return *broker_; }

 private:
  explicit InProcessBroker(std::unique_ptr<broker::Broker> broker);

  std::unique_ptr<broker::Broker> broker_;
  std::string endpoint_;
  std::thread thread_;
};

// lintas-broker as a child process.
class BrokerProcess {
 public:
  // Writes the config into `dir` and starts the binary; waits (polling with
  // a deadline) until it has written its endpoint file.
  // `extra_toml` is appended to the configuration (JetStreamToml). With
  // `wait` false it does not wait for the endpoint file (a standby broker
  // writes it only once it holds the lease): see WaitListening.
  BrokerProcess(const std::string& dir, const std::string& endpoint,
                const std::string& extra_toml = "", bool wait = true);
  // Polls for the endpoint file until `timeout`; false if it never came or
  // the process exited.
  bool WaitListening(std::chrono::milliseconds timeout);
  // Whether the process is still running (reaps it if not).
  bool Running();
  ~BrokerProcess();  // SIGKILL if still running
  void Kill();                 // SIGKILL, and reap
  int Terminate();             // SIGTERM, wait; returns the exit status
  const std::string& endpoint() const { return endpoint_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string endpoint_;
  std::string endpoint_file_;
};

struct PublishOutcome {
  bool answered = false;
  bool acked = false;
  uint64_t offset = 0;
  bool duplicate = false;
  uint16_t code = 0;  // Nack code
  std::string field;
  std::string message;
};

// Publishes `events` (in batches of at most 256) and waits until every one is
// acked or nacked, or `timeout` passes (unanswered ones stay answered=false).
// Deliveries and other messages that arrive meanwhile are dropped.
std::vector<PublishOutcome> PublishAndWait(node::BrokerClient& client,
                                           const std::vector<std::string>& events,
                                           std::chrono::milliseconds timeout = 10s);

struct Delivered {
  uint64_t offset = 0;
  std::string record;  // StoredRecord bytes
};

// Receives Deliver messages for `subscription` (or for replay `replay_id`)
// until `count` records arrived or `timeout` passed. Other messages are
// dropped, except that a ReplayEnd for replay_id ends the wait.
std::vector<Delivered> ReceiveDeliveries(node::BrokerClient& client,
                                         const std::string& subscription, size_t count,
                                         std::chrono::milliseconds timeout,
                                         uint64_t replay_id = 0);

// Asks for a replay (audit permission needed); false if it could not be sent.
// `fill` sets the criteria; the id and the justification are given here.
bool StartReplay(node::BrokerClient& client, uint64_t replay_id, const std::string& justification,
                 const std::function<void(proto::ReplayT&)>& fill = {});

// A whole replay: its records, and its ReplayEnd (ended false on timeout).
struct ReplayResult {
  std::vector<Delivered> delivered;
  bool ended = false;
  uint64_t count = 0;
  uint64_t last_offset = 0;
  std::vector<uint64_t> missing;
};
ReplayResult ReceiveReplay(node::BrokerClient& client, uint64_t replay_id,
                           std::chrono::milliseconds timeout);

// Sends Subscribe and waits for Subscribed; false on timeout or Error.
// `packed`: Delivers with several records to a frame (as the node asks).
bool Subscribe(node::BrokerClient& client, const std::string& name,
               const proto::FilterT* filter = nullptr,
               proto::StartPosition start = proto::StartPosition::Resume, uint32_t credit = 0,
               bool packed = false);

// Waits until the broker has processed everything this client sent before:
// subscribes to a scratch subscription and waits for Subscribed.
bool RoundTrip(node::BrokerClient& client);

// The event inside a stored record.
const fb::Event* RecordEvent(const std::string& record);

// The time left until `deadline`, at least 0.
std::chrono::milliseconds Remaining(std::chrono::steady_clock::time_point deadline);

}  // namespace lintas::testutil
