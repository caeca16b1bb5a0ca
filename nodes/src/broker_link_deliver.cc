// The broker link's deliveries: records verified and stored, then
// acknowledged up to the last one stored; read receipts built.
#include "lintas/node/broker_link.h"

#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/node.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/pack.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

namespace lintas::node {
namespace {

std::shared_ptr<spdlog::logger> Log() { return GetLogger("node"); }
std::shared_ptr<spdlog::logger> SecurityLog() { return GetLogger("security"); }

}  // namespace

void BrokerLink::HandleDeliver(const Incoming& m) {
  const auto* d = m.control()->command_as_Deliver();
  std::string subscription = d->subscription() ? d->subscription()->str() : "";
  std::vector<InboxEntry> entries;
  std::vector<wire::EventId> ids;
  std::vector<const fb::Event*> events;  // of `entries`, views into `m`
  // The case model's updates and the automatic delivery receipts go into the
  // same synced write as the records they answer.
  NodeStore::Answers receipts;
  std::vector<nlohmann::json> erased;  // tombstones of the cases erased
  auto txn = node_->cases().Begin();
  VaultSettle settle(node_->seal().vault());  // before the case lock is released
  int64_t now = NowMicros();
  // Acknowledged are only the records up to the first one refused here:
  // the broker redelivers from there (and the refusal raises an alarm).
  uint64_t last = 0;
  bool refused = false;
  for (size_t i = 0; i < m.payload_count(); ++i) {
    uint64_t offset = d->offsets()->Get(i);
    auto record = wire::VerifyRecord(m.payload(i));
    if (!record.ok() || (*record)->offset() != offset) {
      SecurityLog()->error("delivered record refused offset={}: {}", offset,
                           record.ok() ? "offset mismatch" : record.error().message);
      refused = true;
      break;
    }
    last = offset;
    auto have = node_->store().HasInbox(offset);
    if (!have.ok()) {
      Disconnect("inbox read failed");
      return;
    }
    if (*have) continue;  // redelivered: stored before
    auto p = m.payload(i);
    std::string stored(p.begin(), p.end());
    // The inbox keeps the record as received (sealed), but for this node's
    // copies of its content key: that key is kept under the case's key
    // (docs/ERASURE.md). The case model is built from the opened event.
    auto readable = node_->seal().Receive(stored, &txn->alongside());
    const fb::Event* envelope = fb::GetEvent(wire::RecordEventBytes(**record).data());
    ids.push_back(wire::EventId::FromFb(*envelope->id()));
    events.push_back(envelope);
    entries.push_back({offset, std::move(stored)});
    if (!readable.ok()) {
      SecurityLog()->error("received offset={} kept in the inbox, not added to a case: {}", offset,
                           readable.error().message);
      continue;
    }
    const fb::Event* event = fb::GetEvent(readable->data());
    if (auto s = txn->Apply(*event, Direction::kIncoming, offset, nullptr, now); !s.ok()) {
      Log()->warn("received offset={} kept in the inbox, not added to a case: {}", offset, s.error().message);
    } else if (event->body_type() == fb::Body::CaseErased) {
      erased.push_back(ErasureTombstone(*event, "request"));
    }
    if (config_.auto_delivery_receipt && event->body_type() == fb::Body::ReferralCreated) {
      auto receipt = BuildReceipt(*event, now);
      auto verified = wire::VerifyEvent(wire::AsBytes(receipt));
      if (!verified.ok()) continue;  // cannot happen: built here
      // The receipt says the record is here, whether or not the case model
      // took the referral in (it may be past a bound).
      (void)txn->Apply(**verified, Direction::kOutgoing, 0, nullptr, now);
      receipts.emplace_back(wire::EventId::FromFb(*(*verified)->id()), std::move(receipt));
    }
  }
  // Erasures received: the case keys go in the same write as the case
  // model's scrub.
  for (const auto& tombstone : erased) {
    std::string case_id = tombstone["case_id"].get<std::string>();
    if (auto s = node_->seal().vault().Erase(case_id, tombstone, &txn->alongside()); !s.ok()) {
      Log()->error("case keys of {} not destroyed: {}", case_id, s.error().message);
    }
  }
  auto fresh = node_->store().PutInbox(std::move(entries), ids, &txn->writes(), &receipts);
  node_->seal().vault().Settled();
  txn.reset();
  if (!fresh.ok()) {
    // Not acknowledged: the broker delivers it again after the reconnect.
    Log()->error("inbox write failed: {}", fresh.error().message);
    Disconnect("inbox write failed");
    return;
  }
  node_->changes().Bump();
  if (!erased.empty()) node_->ShredSoon();
  if (!receipts.empty()) node_->Wake();
  if (last > 0 && !client_->SendControl(wire::EncodeDeliveryAck(subscription, last)).ok()) {
    Disconnect("delivery ack not sent");
    return;
  }
  if (refused) {
    RaiseAlarm("the broker delivered a record that fails verification");
    Disconnect("a delivered record failed verification");
    WaitBackoff();  // the broker will deliver it again: not in a tight loop
    return;
  }
  if (!client_->SendControl(wire::EncodeCredit(subscription, 0, static_cast<uint32_t>(m.payload_count())))
           .ok()) {
    // Without it the broker stops delivering once the window is used up; a
    // new session starts with a full window.
    Disconnect("credit not sent");
    return;
  }
  for (size_t i = 0; i < std::min(events.size(), fresh->size()); ++i) {
    Log()->debug("received offset={} type={} from={}/{} subscription={}", (*fresh)[i].offset,
                 wire::BodyName(events[i]->body_type()), events[i]->origin()->country()->string_view(),
                 events[i]->origin()->agency()->string_view(), subscription);
  }
}

std::string BrokerLink::BuildReceipt(const fb::Event& o, int64_t now) {
  std::string agency = LocalAgencyFor(node_->cases().options(), o);
  fb::EventT e;
  e.id = std::make_unique<fb::Uuid>(node_->ids().Next().ToFb());
  e.created_at_us = now;
  e.origin = std::make_unique<fb::PartyT>();
  e.origin->country = config_.country;
  e.origin->agency = agency;
  auto dest = std::make_unique<fb::DestinationT>();
  dest->country = o.origin()->country()->str();
  dest->agency = o.origin()->agency()->str();
  e.destinations.push_back(std::move(dest));
  e.priority = o.priority();
  e.handling = o.handling();
  if (o.handling_text()) e.handling_text = o.handling_text()->str();
  if (o.case_id()) e.case_id = o.case_id()->str();
  e.parent_id = std::make_unique<fb::Uuid>(*o.id());
  fb::DeliveryReceiptT b;
  b.delivered_at_us = now;
  b.agency = agency;
  e.body.Set(std::move(b));
  return wire::PackEvent(e);
}

}  // namespace lintas::node
