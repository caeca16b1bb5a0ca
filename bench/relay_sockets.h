// The sockets of a relay measured as a raw limit (raw_limits.h,
// durable_relay.h), and the receiving end's rate.
#pragma once

#include <zmq.hpp>

namespace lintas::bench {

// A sender's DEALER connected to the relay's ROUTER `in`, and the relay's
// DEALER `out` connected to a receiving ROUTER `sink`: three contexts, as
// three processes would have, over TCP on 127.0.0.1, with the broker's
// high-water marks. Bound and connected by the constructor.
struct RelaySockets {
  RelaySockets();

  zmq::context_t sender_ctx;
  zmq::context_t relay_ctx;
  zmq::context_t receiver_ctx;
  zmq::socket_t in{relay_ctx, zmq::socket_type::router};
  zmq::socket_t out{relay_ctx, zmq::socket_type::dealer};
  zmq::socket_t dealer{sender_ctx, zmq::socket_type::dealer};
  zmq::socket_t sink{receiver_ctx, zmq::socket_type::router};
};

// Messages per second received on `router` over `seconds`, timed from the
// first one (the connection, and a CURVE handshake, settled).
double ReceiveRate(zmq::socket_t& router, double seconds);

}  // namespace lintas::bench
