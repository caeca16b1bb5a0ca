// The HTTP server of the node's API: limits that keep it answering under slow
// or abusive clients, JSON error bodies for every refusal (404, 413, 500),
// and the route groups (routes.h).
#include "lintas/node/http_api.h"

#include <stdexcept>

#include <httplib.h>
#include <sys/socket.h>

#include "api_support.h"
#include "lintas/common/http_listen.h"
#include "lintas/common/logging.h"
#include "lintas/node/node.h"
#include "lintas/wire/limits.h"
#include "routes.h"

namespace lintas::node {
namespace {

// Worker threads. cpp-httplib gives each connection a worker for as long as
// it is kept alive: a browser holds one or two, plus a long poll of
// /v1/changes (at most 64 of those wait at once). 128 serve 50 console
// users at once (bench/console: with 32, 18 of 50 users waited ~20 s); the
// read timeout bounds how long a silent client holds one.
constexpr size_t kWorkers = 128;
// Seconds a connection may stay silent while sending or waiting.
constexpr time_t kReadTimeoutS = 5;
constexpr time_t kWriteTimeoutS = 5;
constexpr time_t kKeepAliveS = 5;
// Connections the kernel queues until the server accepts them. cpp-httplib
// 0.11.4 listens with a backlog of 5 (compiled into the library): a burst of
// more clients overflows it, the kernel drops their handshakes and they
// retry after 1, 3, 7 s, past their own timeouts.
constexpr int kListenBacklog = 1024;

// The library's default sets SO_REUSEPORT, with which a second process can
// bind the same port and silently take a share of the connections (another
// country's node answering this one's officers). SO_REUSEADDR alone still
// allows an immediate restart.
void ReuseAddressOnly(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

const char* CodeFor(int status) {
  switch (status) {
    case 400: return "bad_input";
    case 401: return "unauthenticated";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 411: return "length_required";
    case 413: return "message_too_large";
    case 414: return "uri_too_long";
    case 429: return "rate_limited";
    default: return status >= 500 ? "internal" : "bad_input";
  }
}

}  // namespace

namespace {

// An HTTPS server with the configured certificate, or plain HTTP.
std::unique_ptr<httplib::Server> MakeServer(const NodeConfig& c) {
  if (!c.api_tls()) return std::make_unique<httplib::Server>();
  auto tls = std::make_unique<httplib::SSLServer>(c.api_tls_cert.c_str(), c.api_tls_key.c_str());
  if (!tls->is_valid()) {
    throw std::runtime_error("node.api_tls_cert / api_tls_key: cannot load the certificate " + c.api_tls_cert +
                             " with its key " + c.api_tls_key + " (PEM, matching pair)");
  }
  return tls;
}

}  // namespace

HttpApi::HttpApi(Node* node) : node_(node), server_(MakeServer(node->config())) { Routes(); }

HttpApi::~HttpApi() { Stop(); }

uint16_t HttpApi::Start(const std::string& address, uint16_t port) {
  server_->set_payload_max_length(wire::kMaxJsonBytes + 1);
  server_->set_read_timeout(kReadTimeoutS, 0);
  server_->set_write_timeout(kWriteTimeoutS, 0);
  server_->set_keep_alive_timeout(kKeepAliveS);
  server_->set_keep_alive_max_count(100);
  // A response's headers and body go out as two writes: without NODELAY,
  // Nagle holds the body until the client's delayed ACK (~40 ms a request
  // on a kept-alive connection, as a browser's is).
  server_->set_tcp_nodelay(true);
  server_->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  // The listening socket is the last one the options are applied to (a
  // socket that fails to bind is closed and the next address tried).
  socket_t listening = INVALID_SOCKET;
  server_->set_socket_options([&listening](socket_t sock) {
    ReuseAddressOnly(sock);
    listening = sock;
  });
  int bound = port == 0 ? server_->bind_to_any_port(address) : (server_->bind_to_port(address, port) ? port : -1);
  server_->set_socket_options(ReuseAddressOnly);  // `listening` goes out of scope
  if (bound <= 0) throw std::runtime_error("cannot bind the API on " + address + ":" + std::to_string(port));
  // On a listening socket, listen() again only changes the backlog (Linux).
  if (::listen(listening, kListenBacklog) != 0) {
    throw std::runtime_error("cannot widen the API's listen backlog on " + address + ":" + std::to_string(bound));
  }
  thread_ = ListenInBackground(*server_);
  return static_cast<uint16_t>(bound);
}

void HttpApi::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpApi::Routes() {
  httplib::Server& srv = *server_;
  // Bodies come with a Content-Length, so that the 1 MiB cap is checked
  // before a byte is read: cpp-httplib 0.11.4 checks it only then, buffers
  // a chunked body of any size whole, and reads a POST with neither header
  // until the client closes or the read timeout ends it.
  srv.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    bool has_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    if (!req.has_header("Transfer-Encoding") && (req.has_header("Content-Length") || !has_body)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    // The body is left unread: the client must not reuse the connection.
    res.set_header("Connection", "close");
    api::Reply(res, 411, {{"error", {{"code", CodeFor(411)}, {"field", "Content-Length"},
                                     {"message", "send the body with a Content-Length (at most 1 MiB); "
                                                 "chunked bodies are not accepted"}}}});
    return httplib::Server::HandlerResponse::Handled;
  });
  // Nothing is cached but the console's files (revalidated), nothing is
  // sniffed, framed or sent a referrer, and a page may run only the
  // node's own scripts and styles: free text from another country that
  // slipped into markup still could not run.
  srv.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                   "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                   "base-uri 'none'");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
  });
  srv.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = res.status == 404 ? "no route " + req.method + " " + req.path + " (see docs/API.md)"
                          : res.status == 413 ? "the body is larger than 1 MiB"
                                              : "the request was refused";
    api::Reply(res, res.status, {{"error", {{"code", CodeFor(res.status)}, {"field", res.status == 413 ? "body" : ""},
                                            {"message", message}}}});
  });
  srv.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    GetLogger("node")->error("API handler failed path={} error={}", req.path, what);
    api::Reply(res, 500, {{"error", {{"code", "internal"}, {"field", ""}, {"message", "the node failed to answer; see its log"}}}});
  });
  AddAccountRoutes(srv, node_);
  AddEventRoutes(srv, node_);
  AddCaseRoutes(srv, node_);
  AddAuditRoutes(srv, node_);
  AddWitnessRoutes(srv, node_);
  AddConsoleRoutes(srv, node_);
  AddStatisticsRoutes(srv, node_);
}

}  // namespace lintas::node
