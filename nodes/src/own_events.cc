// The node's own events: signed receipts, and their inclusion checked against
// fresh checkpoints.
#include "lintas/node/own_events.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lintas/audit/merkle.h"
#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/wire/frame.h"

namespace lintas::node {
namespace {

// CheckAgainst's query ids: the directory's bit (63) is not set, the
// checkpoints' ids (a size + 1) never reach this one.
constexpr uint64_t kProofsBit = uint64_t{1} << 62;
constexpr size_t kMaxNamed = 5;          // events named in one alarm line
constexpr size_t kMaxPendingQueries = 16;
constexpr size_t kDeadlineScan = 4096;   // pending events looked at per check
constexpr const char* kPendingPrefix = "verify/";  // acknowledged, not yet proven in the log
constexpr const char* kAckedPrefix = "acked/";     // every acknowledged event with a receipt

std::shared_ptr<spdlog::logger> SecurityLog() { return GetLogger("security"); }

std::string OffsetKey(const char* prefix, uint64_t offset) { return fmt::format("{}{:016x}", prefix, offset); }

uint64_t OffsetOfKey(std::string_view key) {
  auto slash = key.find('/');
  return std::stoull(std::string(key.substr(slash + 1)), nullptr, 16);
}

std::string Names(const std::vector<std::string>& named, size_t total) {
  std::string out;
  for (size_t i = 0; i < named.size() && i < kMaxNamed; ++i) out += (i ? ", " : "") + named[i];
  if (total > kMaxNamed) out += fmt::format(" and {} more", total - kMaxNamed);
  return out;
}

}  // namespace

OwnEvents::OwnEvents(NodeStore* store, const NodeConfig& config) : store_(store), config_(config) {
  if (config_.broker_signing_key.empty()) return;
  auto pinned = store_->Get(kBrokerKeyMeta);
  if (pinned.ok() && pinned->has_value() && **pinned != config_.broker_signing_key) {
    SecurityLog()->warn("the broker signing key pinned before ({}) is replaced by audit.broker_signing_key ({})",
                        **pinned, config_.broker_signing_key);
  }
  if (!store_->Put(kBrokerKeyMeta, config_.broker_signing_key, true).ok() ||
      !store_->Put(kBrokerKeySourceMeta, "config", true).ok()) {
    throw std::runtime_error("audit.broker_signing_key: cannot be stored in the node's data directory");
  }
}

void OwnEvents::OnAck(const proto::Ack& ack, std::span<const std::optional<Sent>> sent, std::string_view broker_id,
                      WriteSet* writes, std::vector<std::string>* alarms) {
  const auto* entries = ack.entries();
  const auto* hashes = ack.receipt_hashes();
  const auto* sig = ack.receipt_signature();
  size_t n = entries->size();
  if (hashes == nullptr || sig == nullptr) return;  // an unsigned Ack (a broker without an audit trail)
  if (sig->size() != 64 || hashes->size() != n * 64 || sent.size() != n) {
    alarms->push_back("the broker sent a signed acknowledgement of the wrong shape (receipt hashes or signature)");
    return;
  }
  std::vector<audit::ReceiptEntry> receipts(n);
  for (size_t i = 0; i < n; ++i) {
    // A stale entry (not in flight any more): the statement cannot be
    // rebuilt; the events were settled by an earlier answer.
    if (!sent[i]) return;
    receipts[i].event_id = sent[i]->id.bytes();
    receipts[i].offset = entries->Get(i)->offset();
    std::copy(hashes->begin() + i * 64, hashes->begin() + i * 64 + 32, receipts[i].event_hash.begin());
    std::copy(hashes->begin() + i * 64 + 32, hashes->begin() + i * 64 + 64, receipts[i].leaf.begin());
  }
  audit::Signature signature{};
  std::copy(sig->begin(), sig->end(), signature.begin());
  audit::ReceiptStatement statement{std::string(broker_id), config_.id, n, audit::ReceiptRoot(receipts),
                                    ack.receipt_time_us()};
  auto made = audit::MakeReceipts(receipts, statement.Body(), signature);
  std::vector<std::string> bad;
  auto pinned = store_->Get(kBrokerKeyMeta);
  if (pinned.ok() && pinned->has_value()) {
    auto key = audit::KeyFromBase64(**pinned);
    if (key.ok() && !made[0].Verify(*key).ok()) {
      for (const auto& s : sent) bad.push_back(s->id.ToString());
      alarms->push_back(fmt::format("the broker's signed acknowledgement of event {} does not verify with its "
                                    "pinned key: the acknowledgement is not evidence",
                                    Names(bad, bad.size())));
    }
  }
  int64_t now = NowMicros();
  for (size_t i = 0; i < n; ++i) {
    const auto* e = entries->Get(i);
    std::string id = sent[i]->id.ToString();
    if (!e->duplicate() && receipts[i].event_hash != sent[i]->sent_hash) {
      alarms->push_back(fmt::format("the broker acknowledged event {} at offset {} for OTHER bytes than this node "
                                    "sent (event hash {})",
                                    id, e->offset(), audit::ToHex(receipts[i].event_hash)));
    }
    // The broker gave this offset to another of this node's events before:
    // that one is not in its log any more.
    auto before = store_->Get(OffsetKey(kAckedPrefix, e->offset()));
    if (before.ok() && before->has_value()) {
      auto j = nlohmann::json::parse(**before, nullptr, false);
      std::string other = j.is_object() ? j.value("id", "") : "";
      if (!other.empty() && other != id) {
        alarms->push_back(fmt::format("the broker acknowledged event {} at offset {}, where it had acknowledged event "
                                      "{} before: its log no longer holds {} (lost or rolled back); its signed "
                                      "receipt proves it (lintas audit prove-receipt {})",
                                      id, e->offset(), other, other, other));
      }
    }
    writes->Put(Cf::kMeta, "receipt/" + id, made[i].ToJson());
    std::string own = nlohmann::json{{"id", id}, {"leaf", audit::ToHex(receipts[i].leaf)}, {"acked_us", now}}.dump();
    writes->Put(Cf::kMeta, OffsetKey(kAckedPrefix, e->offset()), own);
    writes->Put(Cf::kMeta, OffsetKey(kPendingPrefix, e->offset()), own);
  }
}

bool OwnEvents::IsProofsReply(uint64_t query_id) {
  return (query_id & kProofsBit) != 0 && (query_id >> 63) == 0;
}

std::optional<std::string> OwnEvents::CheckAgainst(const audit::Checkpoint& fresh, bool consistent,
                                                   std::vector<std::string>* alarms) {
  std::vector<std::pair<std::string, std::string>> candidates;
  if (!consistent) {
    // Every event acknowledged beyond the log's size is not in it.
    std::vector<std::string> lost;
    size_t total = 0;
    for (std::string after = OffsetKey(kAckedPrefix, fresh.size);;) {
      auto page = store_->Scan(Cf::kMeta, kAckedPrefix, 256, after);
      if (!page.ok() || page->empty()) break;
      for (const auto& [key, value] : *page) {
        auto j = nlohmann::json::parse(value, nullptr, false);
        ++total;
        if (lost.size() < kMaxNamed) lost.push_back(fmt::format("{} (offset {})", j.value("id", "?"), OffsetOfKey(key)));
      }
      after = page->back().first;
    }
    if (total > 0) {
      alarms->push_back(fmt::format("the broker's log ({} records) no longer holds event {} that it acknowledged: "
                                    "lost or rolled back; each has a signed receipt (lintas audit prove-receipt)",
                                    fresh.size, Names(lost, total)));
    }
    // And the last ones below it are checked against this log.
    auto page = store_->Scan(Cf::kMeta, kAckedPrefix, 256, OffsetKey(kAckedPrefix, fresh.size + 1), true);
    if (page.ok()) candidates = std::move(*page);
  } else {
    auto page = store_->Scan(Cf::kMeta, kPendingPrefix, 256);
    if (page.ok()) {
      for (auto& kv : *page) {
        if (OffsetOfKey(kv.first) > fresh.size) break;
        candidates.push_back(std::move(kv));
      }
    }
  }
  if (candidates.empty() || fresh.size == 0) return std::nullopt;
  Pending p{fresh.size, fresh.root, {}};
  for (const auto& [key, value] : candidates) p.offsets.push_back(OffsetOfKey(key));
  proto::ControlT control;
  proto::AuditQueryT q;
  q.query_id = kProofsBit | next_query_++;
  q.kind = proto::AuditQueryKind::Proofs;
  q.justification = "verification of the node's own events";
  q.purpose = "verify-own";
  q.tree_size = fresh.size;
  q.offsets = p.offsets;
  if (pending_.size() >= kMaxPendingQueries) pending_.erase(pending_.begin());
  pending_[q.query_id] = std::move(p);
  control.command.Set(std::move(q));
  return wire::EncodeControl(control);
}

void OwnEvents::OnProofs(const Incoming& m, std::vector<std::string>* alarms) {
  const proto::AuditReply& reply = *m.control()->command_as_AuditReply();
  auto it = pending_.find(reply.query_id());
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  std::vector<std::string> lost;
  size_t total = 0;
  WriteSet writes;
  for (size_t i = 0; i < m.payload_count(); ++i) {
    auto frame = m.payload(i);
    if (frame.size() < 8 || (frame.size() - 8) % 32 != 0) continue;
    uint64_t offset = 0;
    for (int b = 0; b < 8; ++b) offset = (offset << 8) | frame[b];
    auto kept = store_->Get(OffsetKey(kAckedPrefix, offset));
    if (!kept.ok() || !kept->has_value()) continue;
    auto j = nlohmann::json::parse(**kept, nullptr, false);
    auto leaf = audit::FromHex(j.value("leaf", ""));
    if (!leaf) continue;
    std::vector<audit::Hash> path;
    for (size_t at = 8; at + 32 <= frame.size(); at += 32) {
      audit::Hash h;
      std::copy(frame.begin() + at, frame.begin() + at + 32, h.begin());
      path.push_back(h);
    }
    if (audit::VerifyInclusion(*leaf, offset - 1, p.size, path, p.root)) {
      writes.Delete(Cf::kMeta, OffsetKey(kPendingPrefix, offset));
      continue;
    }
    ++total;
    if (lost.size() < kMaxNamed) lost.push_back(fmt::format("{} (offset {})", j.value("id", "?"), offset));
    writes.Delete(Cf::kMeta, OffsetKey(kPendingPrefix, offset));  // named now: not again as overdue
  }
  if (total > 0) {
    alarms->push_back(fmt::format("the broker's signed log (checkpoint of size {}) does NOT hold event {} that it "
                                  "acknowledged: lost or replaced; each has a signed receipt (lintas audit "
                                  "prove-receipt)",
                                  p.size, Names(lost, total)));
  }
  if (auto s = store_->Write(writes, false); !s.ok()) {
    GetLogger("node")->warn("own events: verification state not written: {}", s.error().message);
  }
}

void OwnEvents::CheckDeadlines(int64_t now_us, std::vector<std::string>* alarms) {
  auto page = store_->Scan(Cf::kMeta, kPendingPrefix, kDeadlineScan);
  if (!page.ok()) return;
  std::vector<std::string> overdue;
  size_t total = 0;
  for (const auto& [key, value] : *page) {
    uint64_t offset = OffsetOfKey(key);
    if (overdue_named_.count(offset)) continue;
    auto j = nlohmann::json::parse(value, nullptr, false);
    if (j.value("acked_us", int64_t{0}) + config_.verify_within_us > now_us) continue;
    overdue_named_[offset] = true;
    ++total;
    if (overdue.size() < kMaxNamed) overdue.push_back(fmt::format("{} (offset {})", j.value("id", "?"), offset));
  }
  if (total > 0) {
    alarms->push_back(fmt::format("event {} acknowledged by the broker could not be found in its signed log within "
                                  "audit.verify_within: the log does not reach it, or the broker did not prove it",
                                  Names(overdue, total)));
  }
}

}  // namespace lintas::node
