// Derived secondary indexes: rebuilding them from the log's tail at start-up
// and after a failed write, and recovering from a failed write.
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "broker_loop.h"
#include "lintas/broker/logger.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/record.h"
#include "lintas/wire/verify.h"

namespace lintas::broker {
namespace {

constexpr size_t kRebuildChunk = 1024;  // records indexed per WriteIndexes

}  // namespace

Result<store::IndexKeys> BrokerLoop::DeriveIndexKeys(const fb::StoredRecord& record) {
  const fb::Event* event = fb::GetEvent(wire::RecordEventBytes(record).data());
  store::IndexKeys keys;
  keys.received_at_us = record.received_at_us();
  keys.origin_country = event->origin()->country()->str();
  if (event->case_id()) keys.case_id = event->case_id()->str();
  if (event->destinations() != nullptr && event->destinations()->size() > 0) {
    // As at publish. A directory changed since then resolves as it is now.
    if (auto s = directory_.ResolveInbox(*event->destinations(), &keys.inbox_nodes); !s.ok()) {
      Log()->warn("rebuilding indexes: offset={} no longer resolves ({}); in no inbox",
                  record.offset(), s.error().message);
      keys.inbox_nodes.clear();
    }
  }
  std::optional<ParentFacts> parent;
  if (event->body_type() == fb::Body::AlertCancelled && event->parent_id() != nullptr) {
    auto found = LookupParent(wire::EventId::FromFb(*event->parent_id()));
    if (!found.ok()) return std::move(found).error();
    parent = std::move(*found);
  }
  uint8_t category = FilterCategory(*event, parent);
  if (auto summary = Summarize(*event, category)) keys.distribution = summary->Encode();
  return keys;
}

Status BrokerLoop::RebuildIndexes() {
  uint64_t end = store_->size();
  uint64_t from = store_->index_watermark() + 1;
  if (from > end) return OkStatus();
  Log()->info("rebuilding indexes from the log offsets={}..{}", from, end);
  std::vector<store::IndexEntry> entries;
  for (uint64_t offset = from; offset <= end; ++offset) {
    auto record = store_->ReadRecord(offset);
    if (!record.ok()) return std::move(record).error();
    if (!record->has_value()) {
      return Error{store::errc::corruption, fmt::format("record {} is missing from the log", offset)};
    }
    auto verified = wire::VerifyRecord(wire::AsBytes(**record));
    if (!verified.ok()) {
      return Error{store::errc::corruption,
                   fmt::format("record {} is unverifiable: {}", offset, verified.error().message)};
    }
    auto keys = DeriveIndexKeys(**verified);
    if (!keys.ok()) return std::move(keys).error();
    entries.push_back({offset, std::move(*keys)});
    if (entries.size() == kRebuildChunk || offset == end) {
      if (auto s = store_->WriteIndexes(entries); !s.ok()) return s;
      entries.clear();
    }
  }
  // Durable now, so that a second crash does not repeat the work.
  return store_->Sync();
}

void BrokerLoop::RecoverFromFailedWrite() {
  // Every batch after the failure was failed too, and the committer is idle:
  // wait for the index thread, reopen the store (RocksDB accepts no write
  // after a failed one until then), rebuild the indexes it lost, start again
  // from what it holds, and let the publishers resend.
  (void)indexer_->Drain();  // its failure, if any, is why we are here
  if (auto s = store_->ReopenAfterFailedWrite(); !s.ok()) {
    Log()->critical("the log cannot be reopened after a failed write; aborting so that a "
                    "restart recovers it: {}", s.error().message);
    std::abort();
  }
  indexer_->Reset();
  if (auto s = RebuildIndexes(); !s.ok()) {
    Log()->critical("the indexes cannot be rebuilt after a failed write; aborting so that a "
                    "restart recovers them: {}", s.error().message);
    std::abort();
  }
  Log()->warn("log reopened after a failed write next_offset={}", store_->next_offset());
  committer_->Reset();
  next_offset_ = store_->next_offset();
  committed_end_ = next_offset_;  // a failed batch may have reached the disk after all
  storage_failed_ = false;
  RequeueUnwritten();  // what the failure may have taken is written again
  AppendRecovered();
  for (auto& [key, sub] : subscriptions_) sub.idle = false;  // recovered records may concern it
}

}  // namespace lintas::broker
