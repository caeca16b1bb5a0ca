// Connecting as an auditor, and the broker's consultation records as JSON.
#include "lintas/node/audit_connection.h"

#include <fstream>

#include <flatbuffers/flatbuffers.h>

#include "lintas/fb/audit_generated.h"
#include "lintas/wire/errc.h"

namespace lintas::node {

Result<std::unique_ptr<AuditConnection>> ConnectAuditor(const NodeConfig& config, const std::string& software) {
  ClientOptions o;
  o.endpoint = config.broker_endpoint;
  o.node_id = config.id;
  o.country = config.country;
  o.software = software;
  if (config.security == "curve") {
    std::ifstream in(config.secret_key_file);
    std::string secret;
    char pub[41] = {};
    if (!(in >> secret) || secret.size() != 40 || zmq_curve_public(pub, secret.c_str()) != 0) {
      return Error{wire::errc::json_invalid,
                   "security.secret_key_file: no CURVE secret key in " + config.secret_key_file};
    }
    o.secret_key = secret;
    o.public_key = pub;
    o.broker_public_key = config.broker_public_key;
  }
  auto c = std::make_unique<AuditConnection>();
  c->client = std::make_unique<BrokerClient>(c->ctx, o);
  if (auto s = c->client->Connect(); !s.ok()) return s.error();
  return c;
}

nlohmann::json AccessRecordJson(std::string_view bytes) {
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyAccessRecordBuffer(v)) return nullptr;
  const auto* r = fb::GetAccessRecord(bytes.data());
  auto str = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
  nlohmann::json offsets = nlohmann::json::array();
  if (r->offsets()) {
    for (uint64_t o : *r->offsets()) offsets.push_back(o);
  }
  return {{"seq", r->seq()},
          {"time_us", r->time_us()},
          {"node_id", str(r->node_id())},
          {"country", str(r->country())},
          {"action", fb::EnumNameAccessAction(r->action())},
          {"subscription", str(r->subscription())},
          {"justification", str(r->justification())},
          {"purpose", str(r->purpose())},
          {"case_id", str(r->case_id())},
          {"offsets", offsets}};
}

}  // namespace lintas::node
