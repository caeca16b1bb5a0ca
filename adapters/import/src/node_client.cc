// The node's API over cpp-httplib.
#include "node_client.h"

#include <httplib.h>

namespace lintas::importer {
namespace {

Reply Convert(const httplib::Result& result) {
  Reply reply;
  if (!result) {
    reply.transport_error = httplib::to_string(result.error());
    return reply;
  }
  reply.status = result->status;
  reply.body =
      result->body.empty() ? nlohmann::json() : nlohmann::json::parse(result->body, nullptr, false);
  return reply;
}

}  // namespace

NodeClient::NodeClient(const ImportConfig& config, const std::string& token)
    : client_(std::make_unique<httplib::Client>(config.node_url)) {
  client_->set_connection_timeout(5);
  client_->set_read_timeout(static_cast<time_t>(config.timeout_s));
  client_->set_write_timeout(static_cast<time_t>(config.timeout_s));
  client_->set_keep_alive(true);
  client_->set_tcp_nodelay(true);
  client_->set_bearer_token_auth(token);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  client_->enable_server_certificate_verification(true);
  if (!config.ca_file.empty()) client_->set_ca_cert_path(config.ca_file.c_str());
#endif
}

NodeClient::~NodeClient() = default;

Reply NodeClient::Get(const std::string& path) { return Convert(client_->Get(path)); }

Reply NodeClient::Post(const std::string& path, const nlohmann::json& body) {
  return Convert(client_->Post(path, body.dump(), "application/json"));
}

std::string ErrorText(const Reply& reply) {
  if (reply.status == 0) return "no answer from the node (" + reply.transport_error + ")";
  if (reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_object()) {
    const auto& e = reply.body["error"];
    std::string message = e.value("message", "");
    std::string field = e.value("field", "");
    if (!field.empty() && message.rfind(field, 0) != 0) message = field + ": " + message;
    if (!message.empty()) return message;
  }
  return "HTTP " + std::to_string(reply.status);
}

}  // namespace lintas::importer
