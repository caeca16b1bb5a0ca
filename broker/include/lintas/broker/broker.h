// lintas::broker::Broker: the regional broker. Receives events from nodes
// over a ZeroMQ ROUTER socket, verifies them, appends them to a durable,
// deduplicated, totally ordered log, acknowledges them once synced, routes
// them to node inboxes and matching subscriptions with durable cursors, and
// serves replay to auditors. docs/PROTOCOL.md is the contract.
#pragma once

#include <memory>
#include <string>

#include "lintas/broker/config.h"
#include "lintas/broker/probe.h"
#include "lintas/store/store.h"

namespace lintas::broker {

class BrokerLoop;

// Operation: construct (opens the store), Bind(), then Run() on the thread
// that is to own the sockets; Stop() from any thread (or a signal thread)
// makes Run() stop reading, finish and acknowledge the commit in flight, say
// Goodbye to every node and return.
//
// Ownership: owns its ZeroMQ context, sockets, store and commit thread.
// Thread safety: Run() on one thread; Stop() and probe() from any.
class Broker {
 public:
  // Opens RocksDB at config.data_dir. Throws std::runtime_error (start-up).
  explicit Broker(BrokerConfig config);
  // With a given store (tests).
  Broker(BrokerConfig config, std::unique_ptr<store::Store> store);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Binds the ROUTER socket (and the metrics endpoint, if configured) and
  // returns the endpoint actually bound ("tcp://127.0.0.1:41234" for ":*").
  // Throws on failure (start-up).
  std::string Bind();
  void Run();
  void Stop();

  BrokerProbe& probe();
  store::Store& store();

 private:
  std::unique_ptr<BrokerLoop> loop_;
};

}  // namespace lintas::broker
