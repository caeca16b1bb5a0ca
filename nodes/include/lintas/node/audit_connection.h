// A connection to the broker under an auditor's identity: a node config
// (its id, country, keys, broker endpoint) that the broker lists with the
// audit permission. Used by `lintas audit` and by the node's
// /v1/audit/broker route (the console's audit page); it is another identity
// than the node's own, so it never replaces the node's session at the broker.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "lintas/common/result.h"
#include "lintas/node/broker_client.h"
#include "lintas/node/config.h"

namespace lintas::node {

// Ownership: owns its ZeroMQ context and client. Not thread-safe: one
// thread connects, asks and destroys it.
struct AuditConnection {
  zmq::context_t ctx{1};
  std::unique_ptr<BrokerClient> client;
};

// Connects (and says Hello) with the identity of `config`; CURVE keys from
// its security section.
[[nodiscard]] Result<std::unique_ptr<AuditConnection>> ConnectAuditor(const NodeConfig& config,
                                                                      const std::string& software);

// One of the broker's consultation records (AccessRecord bytes) as JSON:
// {seq, time_us, node_id, country, action, subscription, justification,
// purpose, case_id, offsets}; null if the bytes do not verify.
nlohmann::json AccessRecordJson(std::string_view bytes);

}  // namespace lintas::node
