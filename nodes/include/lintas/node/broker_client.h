// BrokerClient: a node's connection to the broker (DEALER socket), speaking
// LTP/1 (docs/PROTOCOL.md). Synchronous and small: the node daemon, the
// benchmarks and the tests build on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "lintas/common/result.h"
#include "lintas/fb/protocol_generated.h"

namespace lintas::node {

struct ClientOptions {
  std::string endpoint;  // "tcp://127.0.0.1:7400"
  std::string node_id;
  std::string country;
  // Default: "lintas-node/0.1.0"
  std::string software = "lintas-node/0.1.0";
  // The node's current seal public key, announced in Hello (docs/SECURITY.md).
  // Default: none (an audit client)
  std::vector<uint8_t> seal_public_key;
  // CURVE (all three, Z85): the broker's public key (pinned), this node's key
  // pair. Empty: plaintext.
  // Default: "" (plaintext)
  std::string broker_public_key;
  std::string public_key;
  std::string secret_key;
  // How long Connect() waits for Ready.
  // Default: 5000 ms
  std::chrono::milliseconds connect_timeout{5000};
};

// A message from the broker, decoded and verified. frames[0] is the control
// frame; payload frames follow. The payloads (stored records, for Deliver)
// are those frames, or carved from them in a packed Deliver: read them
// through payload(i), never frames[i + 1].
struct Incoming {
  // Where a payload lies: a frame, or a record within a packed Deliver's
  // frame (docs/PROTOCOL.md 4.3).
  struct Part {
    size_t frame = 0;
    size_t offset = 0;
    size_t size = 0;
  };
  proto::Command command = proto::Command::NONE;
  std::vector<zmq::message_t> frames;
  std::vector<Part> parts;  // the payloads, in order

  const proto::Control* control() const { return proto::GetControl(frames[0].data()); }
  std::span<const uint8_t> payload(size_t i) const {
    const Part& p = parts[i];
    return {frames[p.frame].data<uint8_t>() + p.offset, p.size};
  }
  size_t payload_count() const { return parts.size(); }
};

// Ownership: owns its socket; borrows the context (must outlive it).
// Thread safety: none; one thread owns a client (and so its socket).
class BrokerClient {
 public:
  BrokerClient(zmq::context_t& ctx, ClientOptions options);
  ~BrokerClient();
  BrokerClient(const BrokerClient&) = delete;
  BrokerClient& operator=(const BrokerClient&) = delete;

  // Opens a fresh socket (dropping any previous one and whatever it held),
  // says Hello and waits for Ready. Errors: the broker's Error (code and
  // message), or overloaded on timeout.
  [[nodiscard]] Status Connect();
  void Close();
  bool connected() const { return socket_ != nullptr && ready_.version != 0; }
  const proto::ReadyT& ready() const { return ready_; }

  // Sends `events` (at most ready().max_batch) in one Publish, packed if
  // the broker's Ready offers it; returns the sequence number of the first.
  // Would-block (no connection, full pipe) is an overloaded error: nothing
  // was sent.
  [[nodiscard]] Result<uint64_t> Publish(std::span<const std::string> events);

  // Sends a control frame (any command) with no payload.
  [[nodiscard]] Status SendControl(const std::string& control);

  // The next message, or nullopt after `timeout`. Sends a Heartbeat when
  // nothing has been sent for the broker's heartbeat interval. A malformed
  // message from the broker is an error (and is dropped).
  [[nodiscard]] Result<std::optional<Incoming>> Receive(std::chrono::milliseconds timeout);

 private:
  bool SendFrames(const std::string& control, std::span<const std::string> payloads);
  // A packed Publish (docs/PROTOCOL.md 4.2): several events to a frame.
  bool SendPacked(uint64_t first_seq, std::span<const std::string> events);

  zmq::context_t& ctx_;
  ClientOptions options_;
  std::unique_ptr<zmq::socket_t> socket_;
  proto::ReadyT ready_;
  uint64_t next_seq_ = 1;
  std::chrono::steady_clock::time_point last_send_;
};

}  // namespace lintas::node
