// Starting, reading and stopping lintas-broker for the load generator.
#include "broker_child.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

namespace lintas::bench {
namespace {

using namespace std::chrono_literals;

// A TCP port that was free a moment ago (the broker binds it right after).
int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind 127.0.0.1:0");
  }
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

void NewCurveKeys(std::string* public_key, std::string* secret_key) {
  char pub[41] = {};
  char sec[41] = {};
  if (zmq_curve_keypair(pub, sec) != 0) throw std::runtime_error("zmq_curve_keypair failed");
  *public_key = pub;
  *secret_key = sec;
}

BrokerChild::BrokerChild(const std::string& binary, const std::string& dir,
                         const std::vector<BenchNode>& nodes, const BrokerChildOptions& options) {
  const bool curve = options.curve;
  std::filesystem::create_directories(dir);
  metrics_port_ = FreeLoopbackPort();
  std::string config = dir + "/broker.toml";
  std::string endpoint_file = dir + "/broker.endpoint";
  std::filesystem::remove(endpoint_file);
  std::ostringstream toml;
  toml << "[broker]\nid = \"bench-broker\"\nendpoint = \"tcp://127.0.0.1:*\"\n"
       << "data_dir = " << Quoted(dir + "/data") << "\n"
       << "metrics_endpoint = \"127.0.0.1:" << metrics_port_ << "\"\n"
       << "log_level = \"warn\"\n\n[security]\n";
  if (curve) {
    std::string secret;
    NewCurveKeys(&public_key_, &secret);
    std::ofstream(dir + "/broker.key") << secret << "\n";
    toml << "mode = \"curve\"\nsecret_key_file = " << Quoted(dir + "/broker.key") << "\n";
  } else {
    toml << "mode = \"plaintext\"\n";
  }
  // Unsealed runs publish hand-built referrals in clear, which the default
  // (require_sealed = true) would refuse; --sealed runs turn it on, so the
  // figure includes the broker's check of every addressee's key copy.
  toml << "require_sealed = " << (options.require_sealed ? "true" : "false") << "\n";
  if (options.enforce_policy) {
    toml << "\n[policy]\ndefault = \"deny\"\n\n[[policy.rules]]\nname = \"bench-tha-to-khm\"\n"
         << "from = [\"THA\"]\nto = [\"KHM\"]\nevents = [\"ReferralCreated\", \"AlertPublished\"]\n";
  }
  toml << "\n[directory]\n";
  for (const auto& n : nodes) {
    toml << "\n[[directory.agencies]]\nid = " << Quoted(n.agency)
         << "\ncountry = " << Quoted(n.country) << "\nroles = [\"police\"]\n";
  }
  for (const auto& n : nodes) {
    std::string permissions;
    if (n.publish) permissions += "\"publish\"";
    if (n.subscribe) permissions += std::string(permissions.empty() ? "" : ", ") + "\"subscribe\"";
    toml << "\n[[nodes]]\nid = " << Quoted(n.id) << "\ncountry = " << Quoted(n.country)
         << "\nagencies = [" << Quoted(n.agency) << "]\npermissions = [" << permissions << "]\n";
    if (curve) toml << "public_key = " << Quoted(n.public_key) << "\n";
    if (!n.seal_public_key.empty()) toml << "seal_public_key = " << Quoted(n.seal_public_key) << "\n";
  }
  toml << "\n" << options.extra_toml;
  std::ofstream(config) << toml.str();

  std::string log = dir + "/broker.log";
  // The child's freopen would flush a copy of whatever the parent's stdio
  // buffers hold: flush them before they are duplicated.
  std::fflush(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // The broker's own log goes to a file, not into the figures.
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    FILE* err = std::freopen(log.c_str(), "a", stderr);
    (void)out;
    (void)err;
    execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), "--endpoint-file",
          endpoint_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(endpoint_file);
    if (in && std::getline(in, endpoint_) && !endpoint_.empty()) return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(fmt::format("{} exited during start-up; see {}", binary, log));
    }
    std::this_thread::sleep_for(5ms);  // polling a file, with a deadline
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  throw std::runtime_error(fmt::format("{} did not start within 20 s; see {}", binary, log));
}

BrokerChild::~BrokerChild() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(10ms);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

int BrokerChild::Terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

uint64_t BrokerChild::PeakRssBytes() const {
  if (pid_ <= 0) return 0;
  std::ifstream in(fmt::format("/proc/{}/status", pid_));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      uint64_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

CommitStats BrokerChild::Commits() const {
  CommitStats out;
  httplib::Client client("127.0.0.1", metrics_port_);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto response = client.Get("/metrics");
  if (!response || response->status != 200) return out;
  std::istringstream text(response->body);
  std::string line;
  while (std::getline(text, line)) {
    auto value = [&line] { return std::stod(line.substr(line.rfind(' ') + 1)); };
    if (line.rfind("lintas_broker_commit_batch_events_count", 0) == 0) out.commits = value();
    if (line.rfind("lintas_broker_commit_batch_events_sum", 0) == 0) out.events = value();
    if (line.rfind("lintas_broker_commit_latency_seconds_sum", 0) == 0) out.seconds = value();
    if (line.rfind("lintas_broker_committed_bytes_total", 0) == 0) out.bytes = value();
    if (line.rfind("lintas_broker_log_reads_deferred_total", 0) == 0) out.reads_deferred = value();
  }
  return out;
}

}  // namespace lintas::bench
