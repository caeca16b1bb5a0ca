// Disclosure: nothing leaves the broker before the consultation record of
// it is durable. A record goes into the next group commit's write when a
// batch is recorded; the batch or reply waits until that commit has
// returned (access_durable_), then goes in order.
#include "broker_loop.h"
#include "lintas/broker/logger.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/frame.h"

namespace lintas::broker {

BrokerLoop::Disclosed BrokerLoop::Disclose(Session& session, ReplayState& replay,
                                           const std::vector<uint64_t>& offsets,
                                           const std::vector<std::string>& records) {
  // Nothing is disclosed unless it is recorded, durably: the record goes
  // into the next group commit's sync, and the batch is sent after it.
  if (offsets.back() > replay.recorded_to) {
    RecordAccess(session, fb::AccessAction::Replayed, offsets, {}, replay.id, replay.justification);
    replay.recorded_to = offsets.back();
    replay.recorded_seq = AccessWritten();
  }
  if (replay.recorded_seq > access_durable_) return Disclosed::kNotNow;  // retried after the commit
  auto record = [&records](size_t i) { return wire::AsBytes(records[i]); };
  SendResult result = SendDeliver(session.peer, "", replay.id, offsets, replay.packed, record);
  switch (result) {
    case SendResult::kSent:
      probe_.Delivered(offsets.size());
      return Disclosed::kSent;
    case SendResult::kWouldBlock:
      deliveries_pending_ = false;  // wait for the socket in the loop's poll
      return Disclosed::kNotNow;
    case SendResult::kGone:
      break;
  }
  return Disclosed::kGone;
}

BrokerLoop::Disclosed BrokerLoop::FlushHeld(Subscription& sub) {
  while (!sub.held.empty() && sub.held.front().access_seq <= access_durable_ &&
         sub.held.front().offsets.size() <= sub.credit) {
    HeldBatch& batch = sub.held.front();
    auto record = [&batch](size_t i) { return wire::AsBytes(*batch.records[i]); };
    switch (SendDeliver(sub.peer, sub.name, 0, batch.offsets, sub.packed, record)) {
      case SendResult::kSent:
        probe_.Delivered(batch.offsets.size());
        sub.credit -= batch.offsets.size();
        sub.held_records -= batch.offsets.size();
        sub.held.pop_front();
        break;
      case SendResult::kWouldBlock:
        deliveries_pending_ = false;  // wait for the socket in the loop's poll
        return Disclosed::kNotNow;
      case SendResult::kGone:
        return Disclosed::kGone;
    }
  }
  return Disclosed::kSent;
}

void BrokerLoop::SendWhenRecorded(const std::string& peer, std::string control,
                                  std::vector<std::string> payloads, uint64_t access_seq) {
  if (access_seq <= access_durable_ && held_replies_.empty()) {
    (void)Send(peer, control, &payloads);
    return;
  }
  held_replies_.push_back({peer, access_seq, std::move(control), std::move(payloads)});
}

void BrokerLoop::ReleaseHeldReplies() {
  size_t sent = 0;
  for (; sent < held_replies_.size() && held_replies_[sent].access_seq <= access_durable_; ++sent) {
    HeldReply& r = held_replies_[sent];
    if (sessions_.count(r.peer)) (void)Send(r.peer, r.control, &r.payloads);
  }
  held_replies_.erase(held_replies_.begin(), held_replies_.begin() + static_cast<ptrdiff_t>(sent));
}

}  // namespace lintas::broker
