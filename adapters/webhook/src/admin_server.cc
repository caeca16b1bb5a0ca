// AdminServer: cpp-httplib routes over the endpoint workers.
#include "admin_server.h"

#include <stdexcept>

#include <fmt/format.h>
#include <httplib.h>
#include <prometheus/text_serializer.h>
#include <sodium.h>

#include "lintas/common/http_listen.h"
#include "lintas/common/logging.h"

namespace lintas::webhook {
namespace {

using json = nlohmann::json;

// A checked token is trusted this long before the node is asked again.
constexpr auto kAuthCacheTime = std::chrono::seconds(30);

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void Fail(httplib::Response& res, int status, const std::string& code, const std::string& field,
          const std::string& message) {
  Reply(res, status, {{"error", {{"code", code}, {"field", field}, {"message", message}}}});
}

std::string TokenHash(const std::string& token) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(h), sizeof h);
}

json EntryJson(const std::string& endpoint, const DeadLetter& d) {
  json j = d.ToJson();
  j["endpoint"] = endpoint;
  return j;
}

}  // namespace

AdminServer::AdminServer(const NodeApi& node, std::string agency, std::vector<EndpointWorker*> workers,
                         prometheus::Registry& registry)
    : node_(node), agency_(std::move(agency)), workers_(std::move(workers)), registry_(registry) {}

AdminServer::~AdminServer() { Stop(); }

EndpointWorker* AdminServer::Find(const std::string& name) {
  for (auto* w : workers_) {
    if (w->endpoint().name == name) return w;
  }
  return nullptr;
}

std::string AdminServer::Authorize(const httplib::Request& req, httplib::Response& res) {
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) != 0 || auth.size() > 512) {
    Fail(res, 401, "unauthenticated", "Authorization", "a node token is required (Authorization: Bearer ...)");
    return "";
  }
  std::string token = auth.substr(7);
  std::string key = TokenHash(token);
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = allowed_.find(key);
    if (it != allowed_.end() && it->second.second > now) return it->second.first;
  }
  auto me = node_.Me(token);
  if (!me.ok()) {
    if (me.error().code == std::errc::permission_denied) {
      Fail(res, 401, "unauthenticated", "Authorization", "the node does not know this token");
    } else {
      Fail(res, 503, "unavailable", "", "cannot check the token with the node: " + me.error().message);
    }
    return "";
  }
  const json& user = me->contains("user") ? (*me)["user"] : *me;
  bool may = false;
  for (const auto& role : user.value("roles", json::array())) {
    if (role == "supervisor" || role == "admin") may = true;
  }
  if (!may || user.value("agency", "") != agency_) {
    Fail(res, 403, "forbidden", "Authorization",
         "only a supervisor or an admin of " + agency_ + " may manage this adapter's dead-letter queue");
    return "";
  }
  std::string id = user.value("id", "");
  std::lock_guard lock(mu_);
  allowed_[key] = {id, now + kAuthCacheTime};
  return id;
}

void AdminServer::AddRoutes() {
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(prometheus::TextSerializer().Serialize(registry_.Collect()), "text/plain; version=0.0.4");
  });
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    json endpoints = json::array();
    for (auto* w : workers_) {
      endpoints.push_back({{"name", w->endpoint().name}, {"dead_letters", w->dead_letters().size()}});
    }
    Reply(res, 200, {{"status", "ok"}, {"agency", agency_}, {"endpoints", endpoints}});
  });
  server_->Get("/v1/dlq", [this](const httplib::Request& req, httplib::Response& res) {
    if (Authorize(req, res).empty()) return;
    std::string only = req.has_param("endpoint") ? req.get_param_value("endpoint") : "";
    if (!only.empty() && Find(only) == nullptr) return Fail(res, 404, "not_found", "endpoint", "no endpoint " + only);
    json entries = json::array();
    for (auto* w : workers_) {
      if (!only.empty() && w->endpoint().name != only) continue;
      for (const auto& d : w->dead_letters().List()) entries.push_back(EntryJson(w->endpoint().name, d));
    }
    Reply(res, 200, {{"entries", entries}});
  });
  server_->Get(R"(/v1/dlq/([a-z0-9_.-]{1,64})/([0-9a-f-]{1,64}))", [this](const httplib::Request& req,
                                                                          httplib::Response& res) {
    if (Authorize(req, res).empty()) return;
    EndpointWorker* w = Find(req.matches[1]);
    if (w == nullptr) return Fail(res, 404, "not_found", "endpoint", "no endpoint " + std::string(req.matches[1]));
    auto d = w->dead_letters().Find(req.matches[2]);
    if (!d) return Fail(res, 404, "not_found", "event_id", "no dead letter " + std::string(req.matches[2]));
    Reply(res, 200, EntryJson(w->endpoint().name, *d));
  });
  server_->Post(R"(/v1/dlq/([a-z0-9_.-]{1,64})/([0-9a-f-]{1,64})/retry)", [this](const httplib::Request& req,
                                                                                httplib::Response& res) {
    std::string user = Authorize(req, res);
    if (user.empty()) return;
    EndpointWorker* w = Find(req.matches[1]);
    if (w == nullptr) return Fail(res, 404, "not_found", "endpoint", "no endpoint " + std::string(req.matches[1]));
    GetLogger("webhook")->info("endpoint={} retry of event={} by user={}", w->endpoint().name,
                               std::string(req.matches[2]), user);
    auto r = w->RetryCase(req.matches[2]);
    if (!r.ok()) return Fail(res, 404, "not_found", r.error().field, r.error().message);
    Reply(res, 200, *r);
  });
  server_->Delete(R"(/v1/dlq/([a-z0-9_.-]{1,64})/([0-9a-f-]{1,64}))", [this](const httplib::Request& req,
                                                                             httplib::Response& res) {
    std::string user = Authorize(req, res);
    if (user.empty()) return;
    EndpointWorker* w = Find(req.matches[1]);
    if (w == nullptr) return Fail(res, 404, "not_found", "endpoint", "no endpoint " + std::string(req.matches[1]));
    GetLogger("webhook")->warn("endpoint={} drop of event={} by user={}", w->endpoint().name,
                               std::string(req.matches[2]), user);
    auto r = w->Drop(req.matches[2]);
    if (!r.ok()) return Fail(res, 404, "not_found", r.error().field, r.error().message);
    Reply(res, 200, {{"dropped", std::string(req.matches[2])}});
  });
}

uint16_t AdminServer::Start(const std::string& listen) {
  server_ = std::make_unique<httplib::Server>();
  server_->set_payload_max_length(64 * 1024);
  AddRoutes();
  size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  int port = std::atoi(listen.c_str() + colon + 1);
  if (port == 0) {
    port = server_->bind_to_any_port(host.c_str());
  } else if (!server_->bind_to_port(host.c_str(), port)) {
    port = -1;
  }
  if (port <= 0) throw std::runtime_error("adapter.admin_listen: cannot listen on " + listen);
  thread_ = ListenInBackground(*server_);
  return static_cast<uint16_t>(port);
}

void AdminServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lintas::webhook
