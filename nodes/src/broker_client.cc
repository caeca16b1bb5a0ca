// The node side of LTP/1.
#include "lintas/node/broker_client.h"

#include <fmt/format.h>

#include "lintas/common/clock.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/limits.h"

namespace lintas::node {

BrokerClient::BrokerClient(zmq::context_t& ctx, ClientOptions options)
    : ctx_(ctx), options_(std::move(options)) {}

BrokerClient::~BrokerClient() { Close(); }

void BrokerClient::Close() {
  if (socket_) {
    socket_->close();
    socket_.reset();
  }
  ready_ = proto::ReadyT();
}

Status BrokerClient::Connect() {
  Close();
  socket_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::immediate, 1);  // never queue for a peer that is not there
  socket_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(wire::kMaxFrameBytes));
  socket_->set(zmq::sockopt::sndhwm, 100000);
  socket_->set(zmq::sockopt::rcvhwm, 100000);
  socket_->set(zmq::sockopt::reconnect_ivl, 50);
  if (!options_.broker_public_key.empty()) {
    socket_->set(zmq::sockopt::curve_serverkey, options_.broker_public_key);
    socket_->set(zmq::sockopt::curve_publickey, options_.public_key);
    socket_->set(zmq::sockopt::curve_secretkey, options_.secret_key);
  }
  socket_->connect(options_.endpoint);
  auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
  std::string hello = wire::EncodeHello(options_.node_id, options_.country, options_.software, options_.seal_public_key);
  bool sent = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!sent) {
      sent = SendFrames(hello, {});
      if (!sent) {
        // No connection yet: wait a little for it, then try again.
        zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLOUT, 0};
        zmq::poll(&item, 1, std::chrono::milliseconds(20));
        continue;
      }
    }
    auto in = Receive(std::chrono::milliseconds(50));
    if (!in.ok() || !in->has_value()) continue;
    const Incoming& m = **in;
    if (m.command == proto::Command::Ready) {
      m.control()->command_as_Ready()->UnPackTo(&ready_);
      return OkStatus();
    }
    if (m.command == proto::Command::Error) {
      const auto* e = m.control()->command_as_Error();
      Error error{static_cast<wire::errc>(e->code()),
                  e->message() ? e->message()->str() : std::string()};
      Close();
      return error;
    }
  }
  Close();
  return Error{wire::errc::overloaded,
               fmt::format("no Ready from {} within {} ms", options_.endpoint,
                           options_.connect_timeout.count())};
}

bool BrokerClient::SendFrames(const std::string& control, std::span<const std::string> payloads) {
  if (!socket_) return false;
  auto more = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
  if (!socket_->send(zmq::buffer(control), payloads.empty() ? zmq::send_flags::dontwait : more)) {
    return false;  // would block: no connection or a full pipe
  }
  for (size_t i = 0; i < payloads.size(); ++i) {
    bool last = i + 1 == payloads.size();
    (void)socket_->send(zmq::buffer(payloads[i]), last ? zmq::send_flags::dontwait : more);
  }
  last_send_ = std::chrono::steady_clock::now();
  return true;
}

bool BrokerClient::SendPacked(uint64_t first_seq, std::span<const std::string> events) {
  if (!socket_) return false;
  std::vector<uint32_t> sizes;
  sizes.reserve(events.size());
  for (const auto& e : events) sizes.push_back(static_cast<uint32_t>(e.size()));
  std::vector<wire::PackedFrame> frames = wire::PackFrames(sizes);
  auto more = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
  if (!socket_->send(zmq::buffer(wire::EncodePublish(first_seq, sizes)), more)) {
    return false;  // would block: no connection or a full pipe
  }
  auto event = [events](size_t i) { return wire::AsBytes(events[i]); };
  for (size_t f = 0; f < frames.size(); ++f) {
    zmq::message_t frame(frames[f].bytes);
    wire::WritePackedFrame(frames[f], event, frame.data<uint8_t>());
    (void)socket_->send(frame, f + 1 == frames.size() ? zmq::send_flags::dontwait : more);
  }
  last_send_ = std::chrono::steady_clock::now();
  return true;
}

Result<uint64_t> BrokerClient::Publish(std::span<const std::string> events) {
  if (events.empty() || events.size() > wire::kMaxBatch) {
    return Error{wire::errc::batch_too_large,
                 fmt::format("a Publish carries 1..{} events", wire::kMaxBatch)};
  }
  uint64_t first = next_seq_;
  bool sent = ready_.packed_publish ? SendPacked(first, events)
                                    : SendFrames(wire::EncodePublish(first), events);
  if (!sent) {
    return Error{wire::errc::overloaded, "not connected, or the send pipe is full"};
  }
  next_seq_ += events.size();
  return first;
}

Status BrokerClient::SendControl(const std::string& control) {
  if (!SendFrames(control, {})) {
    return Error{wire::errc::overloaded, "not connected, or the send pipe is full"};
  }
  return OkStatus();
}

Result<std::optional<Incoming>> BrokerClient::Receive(std::chrono::milliseconds timeout) {
  if (!socket_) return Error{wire::errc::not_ready, "not connected"};
  auto now = std::chrono::steady_clock::now();
  if (ready_.heartbeat_ms > 0 &&
      now - last_send_ >= std::chrono::milliseconds(ready_.heartbeat_ms)) {
    (void)SendFrames(wire::EncodeHeartbeat(NowMicros()), {});
  }
  if (ready_.heartbeat_ms > 0) {
    timeout = std::min(timeout, std::chrono::milliseconds(ready_.heartbeat_ms));
  }
  zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, timeout);
  if (!(item.revents & ZMQ_POLLIN)) return std::optional<Incoming>();
  Incoming in;
  size_t total = 0;
  for (bool more = true; more;) {
    zmq::message_t part;
    if (!socket_->recv(part, zmq::recv_flags::dontwait)) break;
    more = part.more();
    if (++total <= wire::kMaxBatch + 1) in.frames.push_back(std::move(part));
  }
  if (total > in.frames.size()) {
    return Error{wire::errc::batch_too_large, "broker sent too many frames"};
  }
  // FlatBuffers reads fields in place; ZeroMQ may leave frame data
  // unaligned (frames batched in one receive buffer): copy those into a
  // fresh message, whose data is allocated aligned.
  for (auto& f : in.frames) {
    if (reinterpret_cast<uintptr_t>(f.data()) % alignof(uint64_t) != 0) {
      zmq::message_t copy(f.data(), f.size());
      f = std::move(copy);
    }
  }
  std::vector<std::span<const uint8_t>> views;
  for (const auto& f : in.frames) views.emplace_back(f.data<uint8_t>(), f.size());
  auto decoded = wire::DecodeMessage(views);
  if (!decoded.ok()) return std::move(decoded).error();
  in.command = decoded->command;
  // The payloads are views into the frames (records, in a packed Deliver):
  // kept as positions, which stay right when the frames move.
  for (size_t i = 0; i < decoded->payloads.size(); ++i) {
    size_t frame = decoded->payload_frames[i];
    const auto& p = decoded->payloads[i];
    in.parts.push_back({frame, static_cast<size_t>(p.data() - views[frame].data()), p.size()});
  }
  return std::optional<Incoming>(std::move(in));
}

}  // namespace lintas::node
