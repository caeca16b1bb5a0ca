// Deferred publishes: a Publish whose dedup or parent lookups need the disk
// is looked up by the LogReader thread while the loop goes on; the events
// are decided, in order, when the answers are back.
#include <cstring>

#include <fmt/format.h>

#include "broker_loop.h"
#include "lintas/broker/logger.h"

namespace lintas::broker {
namespace {

// Deferred Publishes a session may have waiting; past it a Publish is
// refused as overloaded (the node resends it later).
constexpr size_t kMaxDeferredPerSession = 64;

}  // namespace

void BrokerLoop::Defer(Session& session, uint64_t first_seq,
                       std::span<const std::span<const uint8_t>> payloads) {
  if (session.deferred.size() >= kMaxDeferredPerSession) {
    Error busy{wire::errc::overloaded,
               fmt::format("more than {} publishes wait for the log's answers; resend later",
                           kMaxDeferredPerSession)};
    for (size_t i = 0; i < payloads.size(); ++i) Nack(session, first_seq + i, busy);
    return;
  }
  probe_.ReadDeferred();
  auto deferred = std::make_shared<DeferredPublish>();
  deferred->first_seq = first_seq;
  // Own copies, 8-aligned as FlatBuffers wants, admitted once.
  deferred->payloads.reserve(payloads.size());
  for (const auto& bytes : payloads) {
    deferred->payloads.emplace_back((bytes.size() + 7) / 8);
    if (!bytes.empty()) std::memcpy(deferred->payloads.back().data(), bytes.data(), bytes.size());
    deferred->views.emplace_back(reinterpret_cast<const uint8_t*>(deferred->payloads.back().data()),
                                 bytes.size());
  }
  std::vector<wire::EventId> ids;
  std::vector<wire::EventId> parents;
  AdmitAll(*session.node, deferred->views, &deferred->admitted, &ids, &parents, &deferred->known_parents);
  session.deferred.push_back(deferred);
  store::Store* store = store_.get();
  const Directory* directory = &directory_;
  SubmitRead(
      [store, directory, deferred, ids = std::move(ids), parents = std::move(parents)] {
        (void)LookUp(*store, *directory, ids, parents, ReadMode::kBlocking, &deferred->answers);
      },
      [this, deferred, peer = session.peer] {
        deferred->ready = true;
        ContinueDeferred(peer);
      },
      /*looks_up_ids=*/true);
}

void BrokerLoop::SubmitRead(std::function<void()> work, std::function<void()> done, bool looks_up_ids) {
  if (!looks_up_ids) {
    reader_->Submit(std::move(work), std::move(done));
    return;
  }
  // The reader finishes its jobs in order, so lookup jobs end in the order
  // their generations were pushed.
  issued_gens_.push_back(commit_gen_);
  reader_->Submit(std::move(work), [this, done = std::move(done)] {
    issued_gens_.pop_front();
    done();
  });
}

void BrokerLoop::ContinueDeferred(const std::string& peer) {
  auto it = sessions_.find(peer);
  if (it == sessions_.end()) return;  // gone: the node resends what was not acknowledged
  Session& session = it->second;
  while (!session.deferred.empty() && session.deferred.front()->ready) {
    std::shared_ptr<DeferredPublish> d = std::move(session.deferred.front());
    session.deferred.pop_front();
    if (auto refusal = PublishRefusal(session, d->views.size())) {
      for (size_t i = 0; i < d->views.size(); ++i) Nack(session, d->first_seq + i, *refusal);
      continue;
    }
    Decide(session, d->first_seq, d->views, d->admitted, d->answers, &d->known_parents);
  }
}

void BrokerLoop::CompleteReads() {
  zmq::message_t byte;
  while (reader_notify_.recv(byte, zmq::recv_flags::dontwait)) {
  }
  for (auto& done : reader_->TakeDone()) done();
  PruneRecentlyCommitted();
  SubmitCurrent();
}

void BrokerLoop::ForgetInflight(const wire::EventId& id, bool committed) {
  auto it = inflight_ids_.find(id);
  if (it == inflight_ids_.end()) return;
  if (committed && !issued_gens_.empty()) {
    recently_order_.emplace_back(commit_gen_, id);
    recently_committed_.insert_or_assign(id, std::move(it->second));
  }
  inflight_ids_.erase(it);
}

void BrokerLoop::PruneRecentlyCommitted() {
  // A job asked for at generation g read the log after every commit that
  // finished by g: it saw those events.
  uint64_t oldest = issued_gens_.empty() ? UINT64_MAX : issued_gens_.front();
  while (!recently_order_.empty() && recently_order_.front().first <= oldest) {
    recently_committed_.erase(recently_order_.front().second);
    recently_order_.pop_front();
  }
}

}  // namespace lintas::broker
