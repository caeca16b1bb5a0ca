// The adapter's own HTTP listener (loopback by default): /metrics for
// Prometheus, /healthz, and the dead-letter queue for `lintas webhook dlq`.
// The queue's routes take the caller's node token (Authorization: Bearer)
// and ask the node who it is: only a supervisor or an admin of the adapter's
// own agency may list, retry or drop, and every retry or drop is logged with
// the caller's user id. Entries carry no event content.
//
// Thread safety: Start/Stop from the main thread; requests run on
// cpp-httplib's worker threads and only call thread-safe parts.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/registry.h>

#include "endpoint_worker.h"
#include "node_api.h"

namespace httplib {
class Server;
class Request;
class Response;
}  // namespace httplib

namespace lintas::webhook {

class AdminServer {
 public:
  // `agency`: the adapter's own agency (from its token). Everything passed
  // must outlive the server.
  AdminServer(const NodeApi& node, std::string agency, std::vector<EndpointWorker*> workers,
              prometheus::Registry& registry);
  ~AdminServer();

  // Binds `host:port` (port 0: any free port) and serves on a thread;
  // returns the port. Throws std::runtime_error if it cannot bind (start-up).
  uint16_t Start(const std::string& listen);
  void Stop();

 private:
  void AddRoutes();
  // The caller's user id if allowed; otherwise answers 401/403 and returns "".
  std::string Authorize(const httplib::Request& req, httplib::Response& res);
  EndpointWorker* Find(const std::string& name);

  const NodeApi& node_;
  const std::string agency_;
  std::vector<EndpointWorker*> workers_;
  prometheus::Registry& registry_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  // Tokens recently checked with the node: hash -> (user id, valid until).
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> allowed_;
};

}  // namespace lintas::webhook
