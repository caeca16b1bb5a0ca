// A real 3-server NATS JetStream cluster on loopback for tests: nats-server
// processes on free ports with their data in a temporary directory, started
// and waited for (polling the monitoring endpoint until the JetStream meta
// group has a leader and every peer is current), killed, stopped (SIGSTOP,
// a partition as the others see it) and restarted.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

#include "testutil/temp_dir.h"

namespace lintas::testutil {

// Whether nats-server can be found ($LINTAS_NATS_SERVER, /usr/sbin,
// /usr/bin); tests skip with a message when it cannot.
bool NatsServerAvailable();

// A loopback TCP port the kernel says is free now.
int FreeTcpPort();

// Ownership: owns the server processes (SIGKILLed on destruction) and
// their directory. Not thread-safe; one owner.
class NatsCluster {
 public:
  // Starts `size` servers and waits until JetStream is ready on all of
  // them. Throws std::runtime_error if they do not get there in 30 s.
  explicit NatsCluster(int size = 3);
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  // "nats://127.0.0.1:PORT" of every server, in order.
  std::vector<std::string> urls() const;
  int size() const { return static_cast<int>(servers_.size()); }
  pid_t pid(int i) const { return servers_[i].pid; }

  void Kill(int i);      // SIGKILL, and reap
  void Stop(int i);      // SIGSTOP: alive but silent (a partitioned server)
  void Continue(int i);  // SIGCONT
  void Restart(int i);   // starts a killed server again, on its data
  // Polls until JetStream has a meta leader and `peers` current peers
  // besides it (size()-1 by default); false after `timeout`.
  bool WaitReady(std::chrono::milliseconds timeout, int peers = -1);
  // The index of the server leading `stream`'s Raft group, -1 if no running
  // server names one.
  int StreamLeader(const std::string& stream);

 private:
  struct Server {
    int client_port = 0;
    int cluster_port = 0;
    int http_port = 0;
    std::string config;
    pid_t pid = -1;
  };
  void Start(int i);
  // Starts `size` servers on fresh ports and waits for a leader; false (all
  // of them killed) if none is elected within 30 s.
  bool TryStart(int size, int attempt);

  TempDir dir_;
  std::vector<Server> servers_;
};

}  // namespace lintas::testutil
