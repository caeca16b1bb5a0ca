// GET /v1/audit/witnesses: the checkpoint this node co-signed, what it found
// of every other node's, and the evidence of every fork it detected
// (docs/AUDIT.md 3b). Nothing here is victim data: checkpoints are sizes,
// hashes and signatures.
#include <httplib.h>

#include "api_support.h"
#include "lintas/audit/witness.h"
#include "lintas/node/node.h"
#include "lintas/node/witnessing.h"
#include "routes.h"

namespace lintas::node {
namespace {

api::json ParsedOrNull(const Result<std::optional<std::string>>& value) {
  if (!value.ok() || !value->has_value()) return nullptr;
  auto j = api::json::parse(**value, nullptr, false);
  return j.is_discarded() ? api::json(nullptr) : j;
}

api::json ListOf(Node* node, const std::string& prefix) {
  api::json out = api::json::array();
  auto entries = node->store().List(prefix);
  if (!entries.ok()) return out;
  for (const auto& [key, value] : *entries) {
    auto j = api::json::parse(value, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

void AddWitnessRoutes(httplib::Server& srv, Node* node) {
  srv.Get("/v1/audit/witnesses", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Require(*node, req, res, {"officer", "supervisor", "auditor"});
    if (!who) return;
    auto own = node->store().Get(kOwnWitnessMeta);
    api::json own_json = ParsedOrNull(own);
    api::json key = own_json.is_object() ? own_json.value("witness_key", "") : "";
    api::Reply(res, 200,
               {{"node", node->config().id},
                {"witness_key", key},
                {"own", own_json},
                {"peers", ListOf(node, kPeerWitnessPrefix)},
                {"forks", ListOf(node, kForkPrefix)}});
  });
}

}  // namespace lintas::node
