// The broker link's acknowledgements: statuses settled, signed receipts
// verified and stored with the events (own_events.h).
#include "lintas/node/broker_link.h"

#include "lintas/audit/hash.h"
#include "lintas/common/logging.h"
#include "lintas/node/node.h"

namespace lintas::node {

void BrokerLink::Sent(uint64_t first, const std::vector<std::string>& events) {
  for (size_t i = 0; i < events.size(); ++i) sent_hashes_[first + i] = audit::Sha256(events[i]);
}

void BrokerLink::RaiseAlarms(const std::vector<std::string>& alarms) {
  for (const auto& a : alarms) {
    GetLogger("security")->critical("broker check FAILED: {}", a);
    RaiseAlarm(a);
  }
}

void BrokerLink::HandleAck(const Incoming& m) {
  const proto::Ack& ack = *m.control()->command_as_Ack();
  std::vector<std::optional<OwnEvents::Sent>> sent;
  sent.reserve(ack.entries()->size());
  for (const auto* e : *ack.entries()) {
    auto it = in_flight_.find(e->seq());
    if (it == in_flight_.end()) {
      sent.emplace_back();
      continue;
    }
    auto hash = sent_hashes_.find(e->seq());
    if (hash != sent_hashes_.end()) {
      sent.push_back(OwnEvents::Sent{it->second.first, hash->second});
      sent_hashes_.erase(hash);
    } else {
      sent.emplace_back();
    }
    OutboxStatus status;
    auto current = node_->store().GetStatus(it->second.first);
    if (current.ok() && current->has_value()) status = **current;
    status.state = OutboxState::kAcknowledged;
    status.offset = e->offset();
    status.duplicate = e->duplicate();
    if (auto s = node_->store().Settle(it->second.first, status); !s.ok()) {
      // Still pending in the outbox: a new session resends it and the
      // broker's duplicate ack settles it then.
      GetLogger("node")->error("status write failed: {}", s.error().message);
      Disconnect("outbox status not written");
      WaitBackoff();
      return;
    }
    in_flight_.erase(it);
  }
  // The receipts, synced (with the unsynced statuses before them in the WAL).
  WriteSet receipts;
  std::vector<std::string> alarms;
  own_.OnAck(ack, sent, client_->ready().broker_id, &receipts, &alarms);
  if (auto s = node_->store().Write(receipts, true); !s.ok()) {
    GetLogger("node")->error("signed receipts not stored: {}", s.error().message);
  }
  RaiseAlarms(alarms);
  node_->changes().Bump();
}

}  // namespace lintas::node
