// The ZAP handler (ZeroMQ RFC 27): authenticates every CURVE connection to
// the broker against the configured node keys. Unknown and revoked keys are refused
// during the handshake; a known key is answered with its node id as the
// User-Id, which the broker then reads from every message.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "lintas/broker/config.h"
#include "lintas/broker/probe.h"
#include "lintas/broker/revocations.h"

namespace lintas::broker {

// Ownership: borrows the context, probe and revocation list; owns its REP socket (bound to
// inproc://zeromq.zap.01) and the thread that serves it.
// Thread safety: constructed and destroyed by the broker's owner; the socket
// is used by its own thread only.
class ZapHandler {
 public:
  // Binds the handler's socket before returning, so that it is in place
  // before the broker's socket accepts a connection. Throws on failure.
  ZapHandler(zmq::context_t& ctx, const BrokerConfig& config, BrokerProbe* probe,
             const Revocations* revocations);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

 private:
  void Run();

  zmq::socket_t socket_;
  std::map<std::string, std::string> node_by_key_;  // Z85 public key -> node id
  BrokerProbe* probe_;
  const Revocations* revocations_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace lintas::broker
