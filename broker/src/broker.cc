// Broker facade.
#include "lintas/broker/broker.h"

#include <stdexcept>

#include "broker_loop.h"
#include "lintas/broker/logger.h"
#include "lintas/store/jetstream_store.h"
#include "lintas/store/rocksdb_store.h"

namespace lintas::broker {
namespace {

// Says, loudly, what an acknowledgement means on the JetStream backend.
void WarnAckMeaning(const store::JetStreamOptions& o) {
  Log()->warn(
      "STORE: JetStream stream {} with {} replicas. An ACK means the record is in the memory of a "
      "quorum of the stream's servers ({} of {}), NOT on their disks: nats-server 2.9 writes to "
      "its files at once but fsyncs only every 2 minutes (sync_interval; 'always' exists from "
      "2.10). Acknowledged events survive the loss of any {} server(s) and kill -9 of every "
      "server; a power cut of a quorum of servers within the sync interval can lose them. "
      "docs/OPERATIONS.md, 'JetStream backend'.",
      o.stream, o.replicas, o.replicas / 2 + 1, o.replicas, (o.replicas - 1) / 2);
}

std::unique_ptr<store::Store> OpenStore(const BrokerConfig& config) {
  if (config.store_backend == StoreBackend::kJetStream) {
    WarnAckMeaning(config.jetstream);
    auto opened = store::JetStreamStore::Open(config.jetstream);
    if (!opened.ok()) throw std::runtime_error("JetStream store: " + opened.error().message);
    return std::move(opened).value();
  }
  store::RocksDbOptions options{config.data_dir};
  options.block_cache_bytes = static_cast<size_t>(config.block_cache_mib) << 20;
  auto opened = store::RocksDbStore::Open(options);
  if (!opened.ok()) throw std::runtime_error(opened.error().message);
  return std::move(opened).value();
}

}  // namespace

Broker::Broker(BrokerConfig config) : Broker(config, OpenStore(config)) {}

Broker::Broker(BrokerConfig config, std::unique_ptr<store::Store> store)
    : loop_(std::make_unique<BrokerLoop>(std::move(config), std::move(store))) {}

Broker::~Broker() = default;

std::string Broker::Bind() { return loop_->Bind(); }
void Broker::Run() { loop_->Run(); }
void Broker::Stop() { loop_->Stop(); }
BrokerProbe& Broker::probe() { return loop_->probe(); }
store::Store& Broker::store() { return loop_->store(); }

}  // namespace lintas::broker
