// Broker facade.
#include "lintas/broker/broker.h"

#include <stdexcept>

#include "broker_loop.h"
#include "lintas/store/rocksdb_store.h"

namespace lintas::broker {
namespace {

std::unique_ptr<store::Store> OpenStore(const BrokerConfig& config) {
  auto opened = store::RocksDbStore::Open({config.data_dir});
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
