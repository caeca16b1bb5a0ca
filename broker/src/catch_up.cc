// Catch-up reads: a subscription behind the recent records reads the log
// through its index on the LogReader thread, so that the loop never waits
// for the disk while it delivers.
#include <fmt/format.h>

#include "broker_loop.h"
#include "lintas/broker/logger.h"

namespace lintas::broker {

bool DistributedTo(const SubscriptionFilter& filter, const std::string& country,
                   const std::vector<std::string_view>& roles, const RoutingPolicy& policy,
                   std::string_view summary_bytes) {
  auto summary = DistributionSummary::Decode(summary_bytes);
  if (!summary || !filter.Matches(*summary, country)) return false;
  if (!policy.enforced()) return true;
  Exchange x;
  x.from_country = summary->origin;
  x.to_country = country;
  x.roles = roles;
  x.body = summary->body;
  x.category = summary->category;
  return !policy.Allows(x).empty();  // else the policy keeps it from this node
}

namespace {

// The records' bytes one catch-up read brings at most (at least one record).
constexpr size_t kCatchUpBytes = 8u << 20;
// Records read through one store iterator.
constexpr size_t kRecordsPerRead = 256;

// What the reader job needs of a subscription: copies, so that the loop may
// change or drop the subscription meanwhile.
struct CatchUpQuery {
  bool inbox = false;
  std::string node_id;
  std::string country;
  std::vector<std::string_view> roles;  // views into the directory, which never changes
  SubscriptionFilter filter;
  uint64_t indexed = 0;
  size_t scan_limit = 0;
  size_t deliver_limit = 0;
};

// Runs on the LogReader thread: may block on the store.
void ReadCatchUp(store::Store& store, const RoutingPolicy& policy, const CatchUpQuery& q, CatchUp* out) {
  std::vector<store::ScanHit> hits;
  out->status = store.Scan(q.inbox ? store::Index::kInbox : store::Index::kDistributed,
                           q.inbox ? q.node_id : std::string(), out->after, q.scan_limit, &hits);
  if (!out->status.ok()) return;
  out->examined = q.indexed;  // no hit up to the index watermark: nothing there for it
  std::vector<uint64_t> wanted;
  for (const auto& hit : hits) {
    if (hit.offset > q.indexed) break;
    if (wanted.size() >= q.deliver_limit) break;
    out->examined = hit.offset;
    if (!q.inbox && !DistributedTo(q.filter, q.country, q.roles, policy, hit.value)) continue;
    wanted.push_back(hit.offset);
  }
  // The records in runs (one iterator each), up to kCatchUpBytes.
  size_t bytes = 0;
  std::vector<std::optional<std::string>> records;
  for (size_t from = 0; from < wanted.size(); from += kRecordsPerRead) {
    auto run = std::span(wanted).subspan(from, std::min(kRecordsPerRead, wanted.size() - from));
    out->status = store.ReadRecords(run, &records);
    if (!out->status.ok()) return;
    for (size_t i = 0; i < run.size(); ++i) {
      if (!records[i]) {
        out->status = Error{store::errc::corruption, fmt::format("record missing offset={}", run[i])};
        return;
      }
      bytes += records[i]->size();
      out->offsets.push_back(run[i]);
      out->records.push_back(ShareRecord(std::move(*records[i])));
      if (bytes >= kCatchUpBytes) {  // the rest in the next read
        out->examined = run[i];
        return;
      }
    }
  }
}

}  // namespace

bool BrokerLoop::CatchUpReady(Subscription& sub, uint64_t indexed, size_t scan_limit, size_t deliver_limit) {
  if (sub.catch_up) {
    if (!sub.catch_up->ready) return false;
    if (sub.catch_up->after == sub.position) return true;
    sub.catch_up.reset();  // an answer for a position the subscription has left
  }
  // After a failed write no read is asked for: the store is reopened once
  // none is out, then every subscription is woken.
  if (storage_failed_) return false;
  probe_.ReadDeferred();
  auto read = std::make_shared<CatchUp>();
  read->after = sub.position;
  sub.catch_up = read;
  CatchUpQuery q{sub.inbox, sub.node_id, sub.node_country, sub.node_roles, sub.filter,
                 indexed, scan_limit, deliver_limit};
  store::Store* store = store_.get();
  const RoutingPolicy* policy = &policy_;
  SubmitRead([store, policy, q = std::move(q), read] { ReadCatchUp(*store, *policy, q, read.get()); },
                  [this, read, key = sub.key] {
                    read->ready = true;
                    auto it = subscriptions_.find(key);
                    if (it == subscriptions_.end() || it->second.catch_up != read) return;
                    it->second.idle = false;
                    deliveries_pending_ = true;
                  },
                  /*looks_up_ids=*/false);
  return false;
}

}  // namespace lintas::broker
