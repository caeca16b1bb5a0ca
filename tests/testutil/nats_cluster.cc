// NatsCluster: nats-server processes for the JetStream tests.
#include "testutil/nats_cluster.h"

#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace lintas::testutil {
namespace {

using namespace std::chrono_literals;

std::string ServerBinary() {
  if (const char* env = std::getenv("LINTAS_NATS_SERVER"); env != nullptr && *env != '\0') return env;
  for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

// A port the kernel says is free now (bound to port 0, then released).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("no free port");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

}  // namespace

bool NatsServerAvailable() { return !ServerBinary().empty(); }

int FreeTcpPort() { return FreePort(); }

NatsCluster::NatsCluster(int size) {
  if (!NatsServerAvailable()) throw std::runtime_error("nats-server not found");
  // A free port can be taken by another test process between the probe and
  // nats-server's bind (ctest runs two at a time): then the cluster never
  // forms, and it is started again on fresh ports.
  constexpr int kAttempts = 3;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    if (TryStart(size, attempt)) return;
  }
  throw std::runtime_error(fmt::format("the JetStream cluster did not elect a leader within 30 s, {} times",
                                       kAttempts));
}

bool NatsCluster::TryStart(int size, int attempt) {
  servers_.assign(static_cast<size_t>(size), Server{});
  for (auto& s : servers_) {
    s.client_port = FreePort();
    s.cluster_port = FreePort();
    s.http_port = FreePort();
  }
  std::string routes;
  for (const auto& s : servers_) {
    routes += fmt::format("{}\"nats-route://127.0.0.1:{}\"", routes.empty() ? "" : ", ", s.cluster_port);
  }
  for (int i = 0; i < size; ++i) {
    Server& s = servers_[static_cast<size_t>(i)];
    std::string name = fmt::format("n{}", i + 1);
    std::string store = dir_.Sub(fmt::format("try{}-{}", attempt, name));
    std::filesystem::create_directories(store);
    s.config = dir_.Sub(fmt::format("try{}-{}.conf", attempt, name));
    std::ofstream(s.config) << fmt::format(
        "server_name: {}\nlisten: 127.0.0.1:{}\nhttp: 127.0.0.1:{}\n"
        "jetstream {{\n  store_dir: \"{}\"\n  max_memory_store: 64MB\n  max_file_store: 2GB\n}}\n"
        "cluster {{\n  name: lintas-test\n  listen: 127.0.0.1:{}\n  routes: [{}]\n}}\n",
        name, s.client_port, s.http_port, store, s.cluster_port, routes);
    Start(i);
  }
  if (WaitReady(30s)) return true;
  for (int i = 0; i < size; ++i) Kill(i);
  return false;
}

NatsCluster::~NatsCluster() {
  for (int i = 0; i < size(); ++i) {
    Continue(i);
    Kill(i);
  }
}

void NatsCluster::Start(int i) {
  Server& s = servers_[static_cast<size_t>(i)];
  std::string binary = ServerBinary();
  std::string log = s.config + ".log";
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // no server outlives a test killed mid-run
    execl(binary.c_str(), binary.c_str(), "-c", s.config.c_str(), "-l", log.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  s.pid = pid;
}

std::vector<std::string> NatsCluster::urls() const {
  std::vector<std::string> out;
  for (const auto& s : servers_) out.push_back(fmt::format("nats://127.0.0.1:{}", s.client_port));
  return out;
}

void NatsCluster::Kill(int i) {
  Server& s = servers_[static_cast<size_t>(i)];
  if (s.pid <= 0) return;
  kill(s.pid, SIGKILL);
  int status = 0;
  waitpid(s.pid, &status, 0);
  s.pid = -1;
}

void NatsCluster::Stop(int i) {
  if (servers_[static_cast<size_t>(i)].pid > 0) kill(servers_[static_cast<size_t>(i)].pid, SIGSTOP);
}

void NatsCluster::Continue(int i) {
  if (servers_[static_cast<size_t>(i)].pid > 0) kill(servers_[static_cast<size_t>(i)].pid, SIGCONT);
}

void NatsCluster::Restart(int i) {
  Kill(i);
  Start(i);
}

bool NatsCluster::WaitReady(std::chrono::milliseconds timeout, int peers) {
  if (peers < 0) peers = size() - 1;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    // Every running server must see the same leader with enough current peers.
    bool ready = true;
    int running = 0;
    for (const auto& s : servers_) {
      if (s.pid <= 0) continue;
      ++running;
      httplib::Client http("127.0.0.1", s.http_port);
      http.set_connection_timeout(1s);
      http.set_read_timeout(1s);
      auto res = http.Get("/jsz");
      if (!res || res->status != 200) {
        ready = false;
        break;
      }
      auto j = nlohmann::json::parse(res->body, nullptr, false);
      const auto& meta = j.contains("meta_cluster") ? j["meta_cluster"] : nlohmann::json();
      if (!meta.is_object() || meta.value("leader", std::string()).empty()) {
        ready = false;
        break;
      }
      // The leader lists its followers and whether each is current.
      if (meta.value("leader", std::string()) == fmt::format("n{}", &s - &servers_[0] + 1)) {
        int current = 0;
        if (meta.contains("replicas")) {
          for (const auto& r : meta["replicas"]) {
            if (r.value("current", false) && !r.value("offline", false)) ++current;
          }
        }
        if (current < peers) ready = false;
      }
    }
    if (ready && running > 0) return true;
    std::this_thread::sleep_for(50ms);  // polling the servers with a deadline
  }
  return false;
}

int NatsCluster::StreamLeader(const std::string& stream) {
  for (const auto& s : servers_) {
    if (s.pid <= 0) continue;
    httplib::Client http("127.0.0.1", s.http_port);
    http.set_connection_timeout(1s);
    http.set_read_timeout(1s);
    auto res = http.Get("/jsz?accounts=true&streams=true");
    if (!res || res->status != 200) continue;
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (!j.is_object() || !j.contains("account_details")) continue;
    for (const auto& account : j["account_details"]) {
      if (!account.contains("stream_detail")) continue;
      for (const auto& st : account["stream_detail"]) {
        if (st.value("name", std::string()) != stream || !st.contains("cluster")) continue;
        std::string leader = st["cluster"].value("leader", std::string());
        for (size_t i = 0; i < servers_.size(); ++i) {
          if (leader == fmt::format("n{}", i + 1)) return static_cast<int>(i);
        }
      }
    }
  }
  return -1;
}

}  // namespace lintas::testutil
