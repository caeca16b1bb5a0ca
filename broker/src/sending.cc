// Sending to peers: one message per call, never blocking (would-block is
// not an error: the caller keeps what it could not send). The loop thread
// only, which owns the ROUTER socket.
#include "broker_loop.h"

#include "lintas/broker/logger.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/frame.h"

namespace lintas::broker {

BrokerLoop::SendResult BrokerLoop::Send(const std::string& peer, const std::string& control,
                                        const std::vector<std::string>* payloads) {
  size_t parts = payloads == nullptr ? 0 : payloads->size();
  return SendFrames(peer, control, parts, [payloads](size_t i) {
    const std::string& p = (*payloads)[i];
    return zmq::message_t(p.data(), p.size());
  });
}

BrokerLoop::SendResult BrokerLoop::SendDeliver(
    const std::string& peer, std::string_view subscription, uint64_t replay_id,
    const std::vector<uint64_t>& offsets, bool packed,
    const std::function<std::span<const uint8_t>(size_t)>& record) {
  if (!packed) {
    return SendFrames(peer, wire::EncodeDeliver(subscription, replay_id, offsets), offsets.size(),
                      [&record](size_t i) {
                        std::span<const uint8_t> r = record(i);
                        return zmq::message_t(r.data(), r.size());
                      });
  }
  // Packed: fewer, larger frames cost ZeroMQ's I/O threads (both ends) far
  // less than one per record.
  std::vector<uint32_t> sizes;
  sizes.reserve(offsets.size());
  for (size_t i = 0; i < offsets.size(); ++i) sizes.push_back(static_cast<uint32_t>(record(i).size()));
  std::vector<wire::PackedFrame> frames = wire::PackFrames(sizes);
  std::string control = wire::EncodeDeliver(subscription, replay_id, offsets, sizes);
  return SendFrames(peer, control, frames.size(), [&](size_t f) {
    zmq::message_t frame(frames[f].bytes);
    wire::WritePackedFrame(frames[f], record, frame.data<uint8_t>());
    return frame;
  });
}

BrokerLoop::SendResult BrokerLoop::SendFrames(
    const std::string& peer, const std::string& control, size_t parts,
    const std::function<zmq::message_t(size_t)>& part) {
  try {
    auto more = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
    if (!router_.send(zmq::buffer(peer), more)) return SendResult::kWouldBlock;
    // Once the first frame is accepted ZeroMQ takes the whole message.
    (void)router_.send(zmq::buffer(control), parts > 0 ? more : zmq::send_flags::dontwait);
    for (size_t i = 0; i < parts; ++i) {
      (void)router_.send(part(i), i + 1 == parts ? zmq::send_flags::dontwait : more);
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      gone_peers_.insert(peer);  // ended by Tick, not under a caller's iteration
      return SendResult::kGone;
    }
    Log()->warn("send failed peer_session={} error={}", sessions_.count(peer) > 0, e.what());
    return SendResult::kGone;
  }
  if (auto it = sessions_.find(peer); it != sessions_.end()) it->second.last_send_ms = SteadyMillis();
  return SendResult::kSent;
}

void BrokerLoop::SendError(const std::string& peer, wire::errc code, const std::string& message) {
  (void)Send(peer, wire::EncodeError(code, message));
}

void BrokerLoop::SendGoodbye(const std::string& peer, proto::GoodbyeCode code,
                             const std::string& reason) {
  proto::ControlT control;
  proto::GoodbyeT goodbye;
  goodbye.reason = reason;
  goodbye.code = code;
  control.command.Set(std::move(goodbye));
  (void)Send(peer, wire::EncodeControl(control));
}

}  // namespace lintas::broker
