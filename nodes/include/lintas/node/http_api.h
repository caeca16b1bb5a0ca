// The node's local HTTP/JSON API (docs/API.md), on cpp-httplib.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace lintas::node {

class Node;

// Ownership: borrows the node; owns the server and its listening thread.
// Thread safety: handlers run on httplib's worker threads and only call the
// node's thread-safe methods.
class HttpApi {
 public:
  explicit HttpApi(Node* node);
  ~HttpApi();
  // Binds and starts serving; returns the port. Throws on bind failure.
  uint16_t Start(const std::string& address, uint16_t port);
  void Stop();

 private:
  void Routes();

  Node* node_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace lintas::node
