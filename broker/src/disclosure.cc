// Disclosure: nothing leaves the broker before the consultation record of
// it is durable. A record goes into the next group commit's write when a
// batch is recorded; the batch or reply waits until that commit has
// returned (access_durable_), then goes in order.
#include "broker_loop.h"
#include "lintas/broker/logger.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/frame.h"

namespace lintas::broker {

BrokerLoop::Disclosed BrokerLoop::Disclose(Session& session, std::string_view subscription,
                                           const ReplayState* replay,
                                           const std::vector<uint64_t>& offsets,
                                           const std::vector<std::string>& records,
                                           uint64_t* recorded_to, uint64_t* recorded_seq) {
  // Nothing is disclosed unless it is recorded, durably: the record goes
  // into the next group commit's sync, and the batch is sent after it.
  if (offsets.back() > *recorded_to) {
    if (replay == nullptr) {
      RecordAccess(session, fb::AccessAction::Delivered, offsets, subscription);
    } else {
      RecordAccess(session, fb::AccessAction::Replayed, offsets, {}, replay->id, replay->justification);
    }
    *recorded_to = offsets.back();
    *recorded_seq = AccessWritten();
  }
  if (*recorded_seq > access_durable_) return Disclosed::kNotNow;  // retried after the commit
  SendResult result;
  if (replay != nullptr && replay->packed) {
    result = SendPacked(session.peer, "", replay->id, offsets,
                        [&records](size_t i) { return wire::AsBytes(records[i]); });
  } else {
    std::string control = replay == nullptr ? wire::EncodeDeliver(subscription, 0, offsets)
                                            : wire::EncodeDeliver("", replay->id, offsets);
    result = Send(session.peer, control, &records);
  }
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
    switch (SendDeliver(sub, batch)) {
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
