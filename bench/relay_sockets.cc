// Relay sockets and the receiving rate (relay_sockets.h).
#include "relay_sockets.h"

#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace lintas::bench {

RelaySockets::RelaySockets() {
  for (auto* s : {&in, &out, &dealer, &sink}) {
    s->set(zmq::sockopt::rcvhwm, 100000);
    s->set(zmq::sockopt::sndhwm, 100000);
    s->set(zmq::sockopt::linger, 0);
  }
  in.bind("tcp://127.0.0.1:*");
  sink.bind("tcp://127.0.0.1:*");
  dealer.connect(in.get(zmq::sockopt::last_endpoint));
  out.connect(sink.get(zmq::sockopt::last_endpoint));
}

double ReceiveRate(zmq::socket_t& router, double seconds) {
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  zmq::message_t id;
  zmq::message_t body;
  if (!router.recv(id) || !router.recv(body)) throw std::runtime_error("router recv");
  uint64_t received = 0;
  auto start = Clock::now();
  router.set(zmq::sockopt::rcvtimeo, 200);
  while (since(start) < seconds) {
    if (!router.recv(id)) continue;
    if (!router.recv(body)) continue;
    ++received;
  }
  return static_cast<double>(received) / since(start);
}

}  // namespace lintas::bench
