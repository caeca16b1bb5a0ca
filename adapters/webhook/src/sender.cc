// Sender: cpp-httplib client with OpenSSL, certificate verification on.
#include "sender.h"

#include <chrono>

#include <fmt/format.h>
#include <httplib.h>

namespace lintas::webhook {
namespace {

std::string Outcome(int status) {
  if (status >= 200 && status < 300) return "2xx";
  if (status >= 400 && status < 500) return "4xx";
  if (status >= 500 && status < 600) return "5xx";
  return "other";
}

}  // namespace

Sender::Sender(const EndpointConfig& endpoint, Signer signer) : endpoint_(endpoint), signer_(std::move(signer)) {
  size_t scheme_end = endpoint_.url.find("://") + 3;
  size_t path_start = endpoint_.url.find('/', scheme_end);
  origin_ = endpoint_.url.substr(0, path_start);
  path_ = path_start == std::string::npos ? "/" : endpoint_.url.substr(path_start);
}

Attempt Sender::Send(const std::string& id, const std::string& body) const {
  httplib::Client client(origin_);
  auto secs = endpoint_.timeout_us / 1000000;
  auto usecs = endpoint_.timeout_us % 1000000;
  client.set_connection_timeout(secs, usecs);
  client.set_read_timeout(secs, usecs);
  client.set_write_timeout(secs, usecs);
  client.set_follow_location(false);
  client.set_keep_alive(false);
  client.enable_server_certificate_verification(endpoint_.verify_tls);
  if (!endpoint_.ca_file.empty()) client.set_ca_cert_path(endpoint_.ca_file.c_str());
  int64_t timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  httplib::Headers headers{{"webhook-id", id},
                           {"webhook-timestamp", std::to_string(timestamp)},
                           {"webhook-signature", signer_.Sign(id, timestamp, body)},
                           {"User-Agent", "lintas-webhook/1"}};
  auto start = std::chrono::steady_clock::now();
  httplib::Result res = client.Post(path_, headers, body, "application/json");
  Attempt a;
  a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!res) {
    switch (res.error()) {
      case httplib::Error::Read:
      case httplib::Error::Write:
      case httplib::Error::ConnectionTimeout:
        a.outcome = "timeout";
        a.error = fmt::format("no answer within {} ms ({})", endpoint_.timeout_us / 1000, httplib::to_string(res.error()));
        break;
      case httplib::Error::SSLConnection:
      case httplib::Error::SSLLoadingCerts:
      case httplib::Error::SSLServerVerification:
        a.outcome = "tls";
        a.error = "TLS: " + httplib::to_string(res.error());
        break;
      case httplib::Error::Connection:
        a.outcome = "connection";
        a.error = "cannot connect: " + httplib::to_string(res.error());
        break;
      default:
        a.outcome = "other";
        a.error = httplib::to_string(res.error());
    }
    return a;
  }
  a.status = res->status;
  a.outcome = Outcome(res->status);
  a.delivered = a.outcome == "2xx";
  if (!a.delivered) a.error = fmt::format("HTTP {}", res->status);
  return a;
}

}  // namespace lintas::webhook
