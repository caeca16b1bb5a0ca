// The node facade: submission, answers, subscriptions.
#include "lintas/node/node.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/broker_link.h"
#include "lintas/node/http_api.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

namespace lintas::node {
namespace {

std::unique_ptr<NodeStore> OpenStore(const std::string& path) {
  auto store = NodeStore::Open(path);
  if (!store.ok()) throw std::runtime_error(store.error().message);
  return std::move(store).value();
}

nlohmann::json SubscriptionToJson(const SubscriptionConfig& s) {
  return {{"name", s.name}, {"origin_countries", s.origin_countries},
          {"alert_categories", s.alert_categories}, {"body_types", s.body_types},
          {"min_priority", s.min_priority}};
}

}  // namespace

Node::Node(NodeConfig config)
    : config_(std::move(config)), store_(OpenStore(config_.data_dir)), referrals_(store_.get()) {
  // Subscriptions from the config file are (re)stored at every start.
  for (const auto& sub : config_.subscriptions) {
    if (auto s = AddSubscription(sub); !s.ok()) throw std::runtime_error(s.error().message);
  }
}

Node::~Node() { Stop(); }

uint16_t Node::Start() {
  if (config_.security == "plaintext") {
    GetLogger("security")->warn(
        "PLAINTEXT MODE: the link to the broker is neither encrypted nor authenticated. For tests "
        "and demos on loopback only. node={}", config_.id);
  }
  link_ = std::make_unique<BrokerLink>(this);
  link_->Start();
  api_ = std::make_unique<HttpApi>(this);
  return api_->Start(config_.api_address, config_.api_port);
}

void Node::Stop() {
  if (api_) api_->Stop();
  if (link_) link_->Stop();
  api_.reset();
  link_.reset();
}

bool Node::broker_connected() const { return link_ && link_->connected(); }

Result<Submitted> Node::Submit(std::string event) {
  auto verified = wire::VerifyEvent(wire::AsBytes(event));
  if (!verified.ok()) return std::move(verified).error();
  const fb::Event& e = **verified;
  if (auto s = wire::ValidateEvent(e); !s.ok()) return std::move(s).error();
  if (e.origin()->country()->string_view() != config_.country) {
    return Error{wire::errc::origin_mismatch,
                 fmt::format("origin.country: this node publishes for {} only", config_.country),
                 "origin.country"};
  }
  if (!config_.agencies.empty() &&
      std::find(config_.agencies.begin(), config_.agencies.end(),
                e.origin()->agency()->string_view()) == config_.agencies.end()) {
    return Error{wire::errc::origin_mismatch,
                 fmt::format("origin.agency: this node does not serve '{}'",
                             e.origin()->agency()->string_view()),
                 "origin.agency"};
  }
  wire::EventId id = wire::EventId::FromFb(*e.id());
  // Whether it existed is decided under the store's enqueue lock, so two
  // concurrent submissions of one id are recorded and tracked once.
  auto queued = store_->Enqueue(id, event, NowMicros());
  if (!queued.ok()) return std::move(queued).error();
  if (!queued->existed) {
    (void)referrals_.Observe(e, Direction::kOutgoing, 0);
    if (link_) link_->Wake();
  }
  return Submitted{id, queued->status, queued->existed};
}

Result<std::optional<std::string>> Node::FindEvent(const wire::EventId& id) {
  auto offset = store_->InboxOffsetOf(id);
  if (!offset.ok()) return std::move(offset).error();
  if (offset->has_value()) {
    auto record = store_->InboxRecord(**offset);
    if (!record.ok()) return std::move(record).error();
    if (!record->has_value()) return std::optional<std::string>();
    auto verified = wire::VerifyRecord(wire::AsBytes(**record));
    if (!verified.ok()) return std::move(verified).error();
    auto bytes = wire::RecordEventBytes(**verified);
    return std::optional<std::string>(std::string(bytes.begin(), bytes.end()));
  }
  auto status = store_->GetStatus(id);
  if (!status.ok()) return std::move(status).error();
  if (!status->has_value()) return std::optional<std::string>();
  return store_->OutboxEvent((*status)->local_seq);
}

Result<Submitted> Node::Respond(const wire::EventId& to, fb::Body type, const std::string& person,
                                const std::string& note) {
  auto original = FindEvent(to);
  if (!original.ok()) return std::move(original).error();
  if (!original->has_value()) {
    return Error{wire::errc::unknown_destination,
                 fmt::format("no event {} in this node's inbox or outbox", to.ToString()), "id"};
  }
  const fb::Event* o = fb::GetEvent((*original)->data());
  // Answer as the local agency the original was addressed to, if it named one.
  std::string agency = config_.default_agency;
  if (o->destinations()) {
    for (const auto* d : *o->destinations()) {
      if (d->country()->string_view() == config_.country && d->agency() && d->agency()->size()) {
        agency = d->agency()->str();
        break;
      }
    }
  }
  if (agency.empty()) {
    return Error{wire::errc::event_invalid,
                 "node.default_agency: needed to answer an event addressed by role", "origin.agency"};
  }
  fb::EventT e;
  e.id = std::make_unique<fb::Uuid>(ids_.Next().ToFb());
  e.created_at_us = NowMicros();
  e.origin = std::make_unique<fb::PartyT>();
  e.origin->country = config_.country;
  e.origin->agency = agency;
  auto dest = std::make_unique<fb::DestinationT>();
  dest->country = o->origin()->country()->str();
  dest->agency = o->origin()->agency()->str();
  e.destinations.push_back(std::move(dest));
  e.priority = o->priority();
  e.handling = o->handling();
  if (o->handling_text()) e.handling_text = o->handling_text()->str();
  if (o->case_id()) e.case_id = o->case_id()->str();
  e.parent_id = std::make_unique<fb::Uuid>(to.ToFb());
  switch (type) {
    case fb::Body::ReferralAcknowledged: {
      if (person.empty()) return Error{wire::errc::event_invalid, "officer: required", "officer"};
      fb::ReferralAcknowledgedT b;
      b.officer = person;
      b.note = note;
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::DeliveryReceipt: {
      fb::DeliveryReceiptT b;
      b.delivered_at_us = e.created_at_us;
      b.agency = agency;
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::ReadReceipt: {
      if (person.empty()) return Error{wire::errc::event_invalid, "reader: required", "reader"};
      fb::ReadReceiptT b;
      b.read_at_us = e.created_at_us;
      b.reader = person;
      e.body.Set(std::move(b));
      break;
    }
    default:
      return Error{wire::errc::event_invalid, "only acknowledgements and receipts are built here",
                   "body_type"};
  }
  return Submit(wire::PackEvent(e));
}

Status Node::AddSubscription(const SubscriptionConfig& sub) {
  if (sub.name.empty() || sub.name == "inbox") {
    return Error{wire::errc::event_invalid, "name: required, and not \"inbox\"", "name"};
  }
  if (auto s = store_->Put("subscription/" + sub.name, SubscriptionToJson(sub).dump(), true); !s.ok()) {
    return s;
  }
  if (link_) link_->ResubscribeSoon();
  return OkStatus();
}

Status Node::RemoveSubscription(const std::string& name) {
  // The broker keeps the durable cursor; the node stops attaching it.
  if (auto s = store_->Delete("subscription/" + name); !s.ok()) return s;
  if (link_) link_->UnsubscribeSoon(name);
  return OkStatus();
}

Result<std::vector<SubscriptionConfig>> Node::Subscriptions() {
  auto all = store_->List("subscription/");
  if (!all.ok()) return std::move(all).error();
  std::vector<SubscriptionConfig> out;
  for (const auto& [key, value] : *all) {
    auto j = nlohmann::json::parse(value, nullptr, false);
    if (j.is_discarded()) continue;
    SubscriptionConfig s;
    s.name = j.value("name", "");
    s.origin_countries = j.value("origin_countries", std::vector<std::string>{});
    s.alert_categories = j.value("alert_categories", std::vector<std::string>{});
    s.body_types = j.value("body_types", std::vector<std::string>{});
    s.min_priority = j.value("min_priority", "Routine");
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace lintas::node
