// NodeApi: JSON over cpp-httplib, one connection per call.
#include "node_api.h"

#include <system_error>

#include <fmt/format.h>
#include <httplib.h>

namespace lintas::webhook {
namespace {

using json = nlohmann::json;

// Bounds every call to the node: a page of 1,000 events is a few MB.
constexpr time_t kNodeTimeoutS = 30;
constexpr size_t kMaxReplyBytes = 64u << 20;

Error NodeError(int status, const json& body) {
  std::string code = "http_" + std::to_string(status);
  std::string message;
  std::string field;
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    code = body["error"].value("code", code);
    message = body["error"].value("message", "");
    field = body["error"].value("field", "");
  }
  auto ec = status == 401 || status == 403 ? std::make_error_code(std::errc::permission_denied)
            : status == 404                ? std::make_error_code(std::errc::no_such_file_or_directory)
                                           : std::make_error_code(std::errc::io_error);
  return Error{ec, fmt::format("node answered {} {}: {}", status, code, message), field};
}

}  // namespace

NodeApi::NodeApi(std::string url, std::string token, std::string ca_file)
    : url_(std::move(url)), token_(std::move(token)), ca_file_(std::move(ca_file)) {}

Result<json> NodeApi::Call(const std::string& method, const std::string& path, const json* body,
                           const std::string& token) const {
  httplib::Client client(url_);
  client.set_connection_timeout(kNodeTimeoutS, 0);
  client.set_read_timeout(kNodeTimeoutS, 0);
  client.set_write_timeout(kNodeTimeoutS, 0);
  client.enable_server_certificate_verification(true);
  if (!ca_file_.empty()) client.set_ca_cert_path(ca_file_.c_str());
  httplib::Headers headers{{"Authorization", "Bearer " + token}};
  httplib::Result res = method == "GET" ? client.Get(path, headers)
                                        : client.Post(path, headers, body ? body->dump() : "{}", "application/json");
  if (!res) {
    return Error{std::make_error_code(std::errc::connection_refused),
                 fmt::format("node {} unreachable: {}", url_, httplib::to_string(res.error()))};
  }
  if (res->body.size() > kMaxReplyBytes) {
    return Error{std::make_error_code(std::errc::message_size), "node reply larger than 64 MiB"};
  }
  json reply = json::parse(res->body, nullptr, false);
  if (res->status < 200 || res->status >= 300) return NodeError(res->status, reply);
  if (reply.is_discarded()) return Error{std::make_error_code(std::errc::bad_message), "node reply is not JSON"};
  return reply;
}

Result<InboxPage> NodeApi::ReadInbox(const std::string& reader, uint32_t limit) const {
  auto reply = Call("GET", fmt::format("/v1/inbox?reader={}&limit={}&context=item", reader, limit), nullptr, token_);
  if (!reply.ok()) return std::move(reply).error();
  if (!reply->contains("events") || !(*reply)["events"].is_array() || !reply->contains("next_after")) {
    return Error{std::make_error_code(std::errc::bad_message), "node inbox reply lacks events or next_after"};
  }
  InboxPage page;
  for (auto& e : (*reply)["events"]) page.events.push_back(std::move(e));
  page.next_after = (*reply)["next_after"].get<uint64_t>();
  return page;
}

Result<void> NodeApi::AckReader(const std::string& reader, uint64_t offset) const {
  json body{{"offset", offset}};
  auto reply = Call("POST", "/v1/readers/" + reader + "/ack", &body, token_);
  if (!reply.ok()) return std::move(reply).error();
  return {};
}

Result<json> NodeApi::CaseContext(const std::string& event_id) const {
  auto status = Call("GET", "/v1/events/" + event_id, nullptr, token_);
  if (!status.ok()) return std::move(status).error();
  json context{{"case_id", status->value("case_id", "")}, {"item_id", status->value("item_id", "")},
               {"item", nullptr}};
  std::string item_id = status->value("item_id", "");
  if (!item_id.empty()) {
    auto item = Call("GET", "/v1/items/" + item_id, nullptr, token_);
    if (!item.ok()) return std::move(item).error();
    context["item"] = std::move(*item);
  }
  return context;
}

Result<json> NodeApi::Event(const std::string& event_id) const {
  return Call("GET", "/v1/events/" + event_id + "?full", nullptr, token_);
}

Result<json> NodeApi::Subscriptions() const { return Call("GET", "/v1/subscriptions", nullptr, token_); }

Result<json> NodeApi::Me(const std::string& token) const { return Call("GET", "/v1/me", nullptr, token); }

}  // namespace lintas::webhook
