// The node facade: submission, answers, subscriptions.
#include "lintas/node/node.h"

#include "lintas/node/erasure_worker.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include <sodium.h>

#include "answer_handling.h"
#include "lintas/node/broker_link.h"
#include "lintas/node/errc.h"
#include "lintas/node/http_api.h"
#include "lintas/seal/sealer.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

namespace lintas::node {
namespace {

std::unique_ptr<NodeStore> OpenStore(const std::string& path) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
  auto store = NodeStore::Open(path);
  if (!store.ok()) throw std::runtime_error(store.error().message);
  return std::move(store).value();
}

nlohmann::json SubscriptionToJson(const SubscriptionConfig& s) {
  return {{"name", s.name}, {"origin_countries", s.origin_countries},
          {"alert_categories", s.alert_categories}, {"body_types", s.body_types},
          {"min_priority", s.min_priority}};
}

CaseOptions CaseOptionsFor(const NodeConfig& c) {
  CaseOptions o;
  o.country = c.country;
  o.agencies = c.agencies;
  o.default_agency = c.default_agency;
  o.local_roles = c.agency_roles;
  o.local_counterparts = c.local_counterparts;
  o.max_items_per_case = c.max_items_per_case;
  o.max_events_per_case = c.max_events_per_case;
  o.max_parties_per_case = c.max_parties_per_case;
  o.max_cases_per_partner = c.max_cases_per_partner;
  return o;
}

constexpr int64_t kMaxClockSkewUs = 5LL * 60 * 1000000;

// The identities inside a body must be the logged-in person's too: nobody
// acknowledges, reads or records consent in another officer's name.
Status CheckPersonFields(const fb::Event& e, const Principal& who) {
  auto is = [](const flatbuffers::String* s, const std::string& want) {
    return s == nullptr || s->size() == 0 || s->string_view() == want;
  };
  auto refuse = [](const char* field, const std::string& what) {
    return Error{errc::forbidden, std::string(field) + ": must be " + what + " (the logged-in account)", field};
  };
  switch (e.body_type()) {
    case fb::Body::ReferralAcknowledged:
      if (!is(e.body_as_ReferralAcknowledged()->officer(), who.user.id)) return refuse("body.officer", who.user.id);
      break;
    case fb::Body::ReadReceipt:
      if (!is(e.body_as_ReadReceipt()->reader(), who.user.id)) return refuse("body.reader", who.user.id);
      break;
    case fb::Body::ReferralAccepted:
      if (!is(e.body_as_ReferralAccepted()->owner_agency(), who.user.agency)) {
        return refuse("body.owner_agency", who.user.agency);
      }
      break;
    case fb::Body::OwnerAssigned:
      if (!is(e.body_as_OwnerAssigned()->agency(), who.user.agency)) return refuse("body.agency", who.user.agency);
      break;
    case fb::Body::ReferralCreated:
      if (!is(e.body_as_ReferralCreated()->consent()->recorded_by(), who.user.id)) {
        return refuse("body.consent.recorded_by", who.user.id);
      }
      break;
    case fb::Body::ConsentChanged:
      if (e.body_as_ConsentChanged()->consent() &&
          !is(e.body_as_ConsentChanged()->consent()->recorded_by(), who.user.id)) {
        return refuse("body.consent.recorded_by", who.user.id);
      }
      break;
    case fb::Body::DeliveryReceipt:
      return Error{errc::forbidden, "body_type: delivery receipts are sent by the node itself", "body_type"};
    default:
      break;
  }
  return OkStatus();
}

}  // namespace

Node::Node(NodeConfig config)
    : config_(std::move(config)),
      store_(OpenStore(config_.data_dir)),
      accounts_(store_.get(), AccountOptionsFor(config_)),
      access_log_(store_.get()),
      cases_(store_.get(), CaseOptionsFor(config_)),
      seal_(std::make_unique<ContentSeal>(store_.get(), config_.id,
                                          config_.seal_key_file.empty() ? config_.data_dir + "/seal.key"
                                                                        : config_.seal_key_file)),
      erasure_(std::make_unique<ErasureWorker>(config_, store_.get(), &cases_, &seal_->vault())) {
  // Subscriptions from the config file are (re)stored at every start.
  for (const auto& sub : config_.subscriptions) {
    if (auto s = AddSubscription(sub); !s.ok()) throw std::runtime_error(s.error().message);
  }
  auto chain = access_log_.Verify();
  if (!chain.ok()) throw std::runtime_error("consultation log: " + chain.error().message);
  if (!chain->ok) {
    GetLogger("security")->critical("the node's consultation log FAILS verification at entry {}: {}",
                                    chain->first_bad_seq, chain->problem);
    (void)store_->Put("access/alarm", fmt::format("entry {}: {}", chain->first_bad_seq, chain->problem), true);
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
  changes_.Close();  // the console's waiting requests return, so the API can stop
  if (api_) api_->Stop();
  if (link_) link_->Stop();
  api_.reset();
  link_.reset();
}

bool Node::broker_connected() const { return link_ && link_->connected(); }

std::string Node::WaitingReason(const wire::EventId& id) const { return link_ ? link_->WaitingReason(id) : ""; }

void Node::Wake() {
  if (link_) link_->Wake();
}

void Node::ShredSoon() { erasure_->ShredSoon(); }

Result<Submitted> Node::Submit(std::string event) { return Queue(nullptr, std::move(event)); }

Result<Submitted> Node::SubmitAs(const Principal& who, std::string event, bool dry_run) {
  return Queue(&who, std::move(event), dry_run);
}

Result<Submitted> Node::Queue(const Principal* who, std::string event, bool dry_run) {
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
  if (who != nullptr) {
    if (e.origin()->agency()->string_view() != who->user.agency) {
      return Error{errc::forbidden,
                   fmt::format("origin.agency: account '{}' acts for {} only", who->user.id, who->user.agency),
                   "origin.agency"};
    }
    if (e.officer() == nullptr || e.officer()->string_view() != who->user.id) {
      return Error{errc::forbidden, "officer: must be the logged-in account", "officer"};
    }
    if (auto s = CheckPersonFields(e, *who); !s.ok()) return s.error();
    // Deadlines are judged by this time: it is the node's clock, not the
    // client's (a few minutes of skew allowed).
    int64_t skew = e.created_at_us() - NowMicros();
    if (skew > kMaxClockSkewUs || skew < -kMaxClockSkewUs) {
      return Error{errc::bad_input, "created_at_us: must be now (leave it out; the node fills it in)",
                   "created_at_us"};
    }
  }
  // An answer keeps its parent's handling code or a stricter one.
  if (auto s = CheckAnswerHandling(*store_, seal_->vault(), e); !s.ok()) return std::move(s).error();
  wire::EventId id = wire::EventId::FromFb(*e.id());
  // Addressees the signed directory does not know are refused now; the
  // content is sealed to their nodes by the link when it sends (the
  // directory, or a key, may arrive only then: store and forward).
  if (seal::ShouldSeal(e) && seal_->directory()) {
    auto resolved = seal_->Resolve(e);
    if (!resolved.ok()) return std::move(resolved).error();
  }
  // The outbox keeps an event of a case encrypted under the case's key
  // (docs/ERASURE.md), but for an erasure, which must still be sent once the
  // case's keys are gone.
  std::string case_id = e.case_id() != nullptr ? e.case_id()->str() : std::string();
  bool erasure = e.body_type() == fb::Body::CaseErased;
  // The case model's update, the outbox entry and a new case key are one
  // synced write; the step is checked under the case lock, so two officers
  // cannot both take the same step.
  auto txn = cases_.Begin();
  VaultSettle settle(seal_->vault());  // before the case lock is released
  auto existing = store_->GetStatus(id);
  if (!existing.ok()) return std::move(existing).error();
  if (existing->has_value()) return Submitted{id, **existing, true};
  // Nothing outside the victim's consent leaves this node, whoever built the
  // event (docs/CONSENT.md).
  if (auto s = txn->CheckConsent(e); !s.ok()) return std::move(s).error();
  if (auto s = txn->Apply(e, Direction::kOutgoing, 0, who, NowMicros()); !s.ok()) {
    if (who != nullptr || erasure) return std::move(s).error();
    GetLogger("node")->warn("event {} not added to the case model: {}", id.ToString(), s.error().message);
  }
  if (dry_run) return Submitted{id, OutboxStatus{}, false};  // the transaction's writes are dropped
  std::string kept = event;
  if (!case_id.empty() && !erasure) {
    auto copy = seal_->vault().SealCopy(case_id, id, event, &txn->alongside());
    if (!copy.ok()) return std::move(copy).error();
    kept = std::move(*copy);
  }
  // An erasure destroys the case's keys in the same write as the case
  // model's scrub and the outbox entry that tells every other holder.
  if (erasure) {
    auto s = seal_->vault().Erase(case_id, ErasureTombstone(e, "request"), &txn->alongside());
    if (!s.ok()) return s.error();
  }
  auto queued = store_->Enqueue(id, kept, NowMicros(), &txn->writes());
  seal_->vault().Settled();
  if (!queued.ok()) return std::move(queued).error();
  txn.reset();
  changes_.Bump();
  if (erasure) ShredSoon();
  if (!queued->existed && link_) link_->Wake();
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
    auto readable = seal_->Readable(wire::RecordEventBytes(**verified));
    if (!readable.ok()) return std::move(readable).error();
    return std::optional<std::string>(std::move(*readable));
  }
  auto status = store_->GetStatus(id);
  if (!status.ok()) return std::move(status).error();
  if (!status->has_value()) return std::optional<std::string>();
  auto sent = store_->OutboxEvent((*status)->local_seq);
  if (!sent.ok() || !sent->has_value()) return sent;
  auto plain = seal_->vault().OpenCopy(**sent);
  if (!plain.ok()) return std::move(plain).error();
  auto readable = seal_->Readable(wire::AsBytes(*plain));
  if (!readable.ok()) return std::move(readable).error();
  return std::optional<std::string>(std::move(*readable));
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
