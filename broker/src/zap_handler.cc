// ZAP handler for CURVE.
#include "lintas/broker/zap_handler.h"

#include <vector>

#include "lintas/broker/logger.h"

namespace lintas::broker {

ZapHandler::ZapHandler(zmq::context_t& ctx, const BrokerConfig& config, BrokerProbe* probe,
                       const Revocations* revocations)
    : socket_(ctx, zmq::socket_type::rep), probe_(probe), revocations_(revocations) {
  for (const auto& n : config.nodes) node_by_key_[n.public_key] = n.id;
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "lintas-zap");
    Run();
  });
}

ZapHandler::~ZapHandler() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ZapHandler::Run() {
  while (!stop_.load()) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(100));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> request;
    for (bool more = true; more && request.size() < 16;) {
      zmq::message_t part;
      if (!socket_.recv(part, zmq::recv_flags::dontwait)) break;
      more = part.more();
      request.push_back(std::move(part));
    }
    // version, request id, domain, address, identity, mechanism, credentials...
    std::string request_id = request.size() > 1 ? request[1].to_string() : "";
    std::string address = request.size() > 3 ? request[3].to_string() : "";
    std::string mechanism = request.size() > 5 ? request[5].to_string() : "";
    std::string status = "400";
    std::string text = "unknown key";
    std::string user_id;
    if (mechanism == "CURVE" && request.size() > 6 && request[6].size() == 32) {
      char z85[41] = {};
      zmq_z85_encode(z85, request[6].data<uint8_t>(), 32);
      auto it = node_by_key_.find(z85);
      if (it != node_by_key_.end() && revocations_->IsRevoked(z85)) {
        probe_->Refused(wire::errc::permission_denied);
        SecurityLog()->warn("CURVE handshake refused: revoked key of node {} address={}",
                            it->second, address);
        text = "revoked key";
      } else if (it != node_by_key_.end()) {
        status = "200";
        text = "OK";
        user_id = it->second;
      } else {
        probe_->Refused(wire::errc::permission_denied);
        SecurityLog()->warn("CURVE handshake refused: unknown key address={} key={}", address, z85);
      }
    } else {
      probe_->Refused(wire::errc::permission_denied);
      SecurityLog()->warn("handshake refused: mechanism {} is not CURVE address={}",
                          mechanism.empty() ? "(none)" : mechanism, address);
    }
    const std::string reply[] = {"1.0", request_id, status, text, user_id, ""};
    for (size_t i = 0; i < 6; ++i) {
      (void)socket_.send(zmq::buffer(reply[i]), i < 5 ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
}

}  // namespace lintas::broker
