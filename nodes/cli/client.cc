// CLI helpers.
#include "client.h"

#include <cctype>
#include <iostream>

#include <httplib.h>

#include "case_view.h"
#include "lintas/common/clock.h"

namespace lintas::cli {
namespace {

Reply Convert(const httplib::Result& result) {
  Reply reply;
  if (!result) return reply;
  reply.status = result->status;
  reply.body = result->body.empty() ? nlohmann::json() : nlohmann::json::parse(result->body, nullptr, false);
  return reply;
}

}  // namespace

NodeClient::NodeClient(const std::string& url, std::string token) : token_(std::move(token)) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  auto colon = rest.rfind(':');
  host_ = colon == std::string::npos ? rest : rest.substr(0, colon);
  if (colon != std::string::npos) port_ = std::atoi(rest.substr(colon + 1).c_str());
}

void NodeClient::Prepare(httplib::Client& c) const {
  c.set_connection_timeout(5);
  c.set_read_timeout(30);
  if (!token_.empty()) c.set_bearer_token_auth(token_);
}

Reply NodeClient::Get(const std::string& path) {
  httplib::Client c(host_, port_);
  Prepare(c);
  return Convert(c.Get(path));
}

Reply NodeClient::Post(const std::string& path, const nlohmann::json& body) {
  httplib::Client c(host_, port_);
  Prepare(c);
  return Convert(c.Post(path, body.dump(), "application/json"));
}

Reply NodeClient::Put(const std::string& path, const nlohmann::json& body) {
  httplib::Client c(host_, port_);
  Prepare(c);
  return Convert(c.Put(path, body.dump(), "application/json"));
}

Reply NodeClient::Delete(const std::string& path) {
  httplib::Client c(host_, port_);
  Prepare(c);
  return Convert(c.Delete(path));
}

int Fail(const Reply& reply) {
  if (reply.status == 0) {
    std::cerr << "lintas: cannot reach the node (is lintas-node running? see --node)\n";
    return kExitUnreachable;
  }
  std::string message = "HTTP " + std::to_string(reply.status);
  if (reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_object()) {
    const auto& e = reply.body["error"];
    message = e.value("message", message);
    std::string field = e.value("field", "");
    if (!field.empty() && message.rfind(field, 0) != 0) message = field + ": " + message;
  }
  std::cerr << "lintas: " << Safe(message) << "\n";
  if (reply.status == 401) std::cerr << "lintas: log in with `lintas login --user ID` (or set LINTAS_TOKEN)\n";
  if (reply.status == 404) return kExitNotFound;
  if (reply.status >= 400 && reply.status < 500) return kExitBadInput;
  return kExitFailure;
}

std::optional<int64_t> ParseDuration(const std::string& text) {
  if (text.size() < 2) return std::nullopt;
  int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    n = n * 10 + (text[i] - '0');
  }
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
  }
  return n * unit * 1000000;
}

std::string Camel(const std::string& text) {
  std::string out;
  bool upper = true;
  for (char c : text) {
    if (c == '_' || c == '-' || c == ' ') {
      upper = true;
      continue;
    }
    out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  return out;
}

std::string When(int64_t micros) {
  if (micros == 0) return "-";
  std::string full = FormatMicros(micros);
  return full.substr(0, 19) + "Z";
}

}  // namespace lintas::cli
