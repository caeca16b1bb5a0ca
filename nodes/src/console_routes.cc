// The web console (nodes/console/, compiled in): its files at / and
// /console/..., and the two calls only the console needs: GET /v1/changes
// (wait until something an officer sees changed) and GET /v1/directory (the
// agencies one may address). Every page is held to a strict
// Content-Security-Policy set by HttpApi for every reply.
#include <chrono>
#include <string>
#include <unordered_map>

#include <httplib.h>
#include <sodium.h>

#include "api_support.h"
#include "console_assets.h"
#include "lintas/node/node.h"
#include "lintas/wire/bytes.h"
#include "routes.h"

namespace lintas::node {
namespace {

using api::json;

// How long GET /v1/changes waits at most. Default: 25 s (under the usual
// 30 s of proxies, and the page's own timeout).
constexpr std::chrono::milliseconds kMaxChangeWait{25000};

// A strong validator per file, so that a reload costs a 304.
std::string Etag(std::string_view body) {
  unsigned char h[16];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(body.data()), body.size(), nullptr, 0);
  return "\"" + wire::ToHex(std::span<const uint8_t>(h, sizeof h)) + "\"";
}

struct Served {
  const console::Asset* asset;
  std::string etag;
};

std::unordered_map<std::string, Served> Index() {
  std::unordered_map<std::string, Served> out;
  for (const auto& a : console::Assets()) out.emplace(std::string(a.path), Served{&a, Etag(a.body)});
  return out;
}

void Serve(const Served& f, const httplib::Request& req, httplib::Response& res) {
  res.set_header("ETag", f.etag);
  // Revalidated on every load: a node upgrade is seen at once.
  res.set_header("Cache-Control", "no-cache");
  if (req.get_header_value("If-None-Match") == f.etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(std::string(f.asset->body), std::string(f.asset->content_type).c_str());
}

void AddAssetRoutes(httplib::Server& srv) {
  auto files = std::make_shared<const std::unordered_map<std::string, Served>>(Index());
  srv.Get("/", [files](const httplib::Request& req, httplib::Response& res) {
    auto it = files->find("/index.html");
    if (it == files->end()) return api::Fail(res, errc::not_found, "", "this node was built without its console");
    Serve(it->second, req, res);
  });
  srv.Get(R"(/console(/[A-Za-z0-9._/-]{1,200}))", [files](const httplib::Request& req, httplib::Response& res) {
    std::string path = req.matches[1];
    auto it = path.find("..") == std::string::npos ? files->find(path) : files->end();
    if (it == files->end()) return api::Fail(res, errc::not_found, "path", "no console file " + path);
    Serve(it->second, req, res);
  });
}

void AddChangeRoutes(httplib::Server& srv, Node* node) {
  // ?since=N&wait=S: answers {"seq": M} as soon as M != N, or after S
  // seconds (at most 25) with M == N. Without `since`, at once.
  srv.Get("/v1/changes", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Authenticate(*node, req, res);
    if (!who) return;
    if (!req.has_param("since")) return api::Reply(res, 200, {{"seq", node->changes().Current()}});
    uint64_t since = std::strtoull(req.get_param_value("since").c_str(), nullptr, 10);
    long wait_s = req.has_param("wait") ? std::strtol(req.get_param_value("wait").c_str(), nullptr, 10) : 25;
    auto wait = std::clamp(std::chrono::milliseconds(wait_s * 1000), std::chrono::milliseconds(0), kMaxChangeWait);
    auto seq = node->changes().WaitPast(since, wait);
    if (!seq) {
      // Too many pages wait already: the page polls instead.
      res.set_header("Retry-After", "5");
      return api::Fail(res, errc::rate_limited, "", "too many pages wait for changes; retry in 5 s");
    }
    api::Reply(res, 200, {{"seq", *seq}});
  });
}

void AddDirectoryRoutes(httplib::Server& srv, Node* node) {
  srv.Get("/v1/directory", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Authenticate(*node, req, res);
    if (!who) return;
    json agencies = json::array();
    for (const auto& a : node->config().directory) {
      agencies.push_back({{"country", a.country}, {"country_name", a.country_name}, {"agency", a.agency},
                          {"name", a.name}, {"roles", a.roles}, {"counterpart_for", a.counterpart_for}});
    }
    api::Reply(res, 200, {{"country", node->config().country}, {"agencies", agencies}});
  });
}

}  // namespace

void AddConsoleRoutes(httplib::Server& srv, Node* node) {
  AddAssetRoutes(srv);
  AddChangeRoutes(srv, node);
  AddDirectoryRoutes(srv, node);
}

}  // namespace lintas::node
