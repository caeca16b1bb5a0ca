// The consultation log held to the event log's standard: its records checked
// against their leaves at start-up, listed with inclusion proofs, each node's
// own records served to it for checking, and its tree's consistency proofs.
#include <algorithm>
#include <functional>
#include <set>

#include <fmt/format.h>

#include "broker_loop.h"
#include "lintas/audit/access_proof.h"
#include "lintas/broker/logger.h"
#include "lintas/wire/limits.h"

namespace lintas::broker {
namespace {

constexpr size_t kScanChunk = 4096;           // records read at a time
constexpr size_t kAccessScanBudget = 100000;  // records one query examines
constexpr size_t kMaxAccessDamage = 64;       // damaged records remembered (and reported) of each kind

std::string SeqList(const std::vector<uint64_t>& seqs, size_t total) {
  std::string out;
  for (size_t i = 0; i < seqs.size() && i < 8; ++i) out += (i ? ", " : "") + std::to_string(seqs[i]);
  if (total > 8) out += fmt::format(" (and {} more)", total - 8);
  return out;
}

void Note(std::vector<uint64_t>* list, size_t* total, uint64_t seq) {
  ++*total;
  if (list->size() < kMaxAccessDamage) list->push_back(seq);
}

// Whether a consultation record disclosed an event of `case_id` (one of
// `case_offsets`, or the case named). A record that no longer verifies may
// have: it is listed, and its check names it.
bool Discloses(const std::string& bytes, std::string_view case_id, const std::set<uint64_t>& case_offsets) {
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyAccessRecordBuffer(v)) return true;
  const auto* r = fb::GetAccessRecord(bytes.data());
  if (r->case_id() && r->case_id()->string_view() == case_id) return true;
  if (r->offsets()) {
    for (uint64_t o : *r->offsets()) {
      if (case_offsets.count(o)) return true;
    }
  }
  return false;
}

// The consultation records with seq in after+1..tree, in order: at most
// kAccessScanBudget examined, and none once `full()`. Each gap (a seq with no
// record) goes to `missing`, and so does the range's missing end when the walk
// reached it. `visit` sees every record; its error ends the walk. Returns the
// last seq examined (the next query's `after`).
Result<uint64_t> WalkAccess(store::Store* store, uint64_t after, uint64_t tree, const std::function<bool()>& full,
                            std::vector<uint64_t>* missing,
                            const std::function<Status(uint64_t, std::string&)>& visit) {
  size_t examined = 0;
  std::vector<std::pair<uint64_t, std::string>> records;
  while (!full() && examined < kAccessScanBudget && after < tree) {
    records.clear();
    if (auto s = store->ScanAccess(after, 1024, &records); !s.ok()) return s.error();
    if (records.empty()) break;
    for (auto& [seq, bytes] : records) {
      if (full() || seq > tree) break;
      ++examined;
      for (uint64_t gap = after + 1; gap < seq; ++gap) missing->push_back(gap);
      after = seq;
      if (auto s = visit(seq, bytes); !s.ok()) return s.error();
    }
    if (records.back().first > tree) break;
  }
  if (examined < kAccessScanBudget && !full()) {
    for (uint64_t gap = after + 1; gap <= tree; ++gap) missing->push_back(gap);
    after = std::max(after, tree);
  }
  return after;
}

}  // namespace

void BrokerLoop::CheckAccessRecords() {
  if (!access_tree_) return;
  uint64_t n = access_tree_->size();
  size_t missing = 0;
  size_t altered = 0;
  uint64_t expected = 1;
  std::vector<std::pair<uint64_t, std::string>> records;
  std::vector<audit::Hash> leaves;
  for (uint64_t after = 0; after < n;) {
    records.clear();
    leaves.clear();
    if (auto s = store_->ScanAccess(after, kScanChunk, &records); !s.ok()) {
      SecurityLog()->critical("audit: the consultation log cannot be read: {}", s.error().message);
      if (audit_blocked_.empty()) audit_blocked_ = "the consultation log cannot be read";
      return;
    }
    if (records.empty()) break;
    uint64_t first = records.front().first;
    uint64_t last = std::min<uint64_t>(records.back().first, n);
    if (first <= n) {
      auto s = access_leaves_.ReadLeaves(first - 1, static_cast<size_t>(last - first + 1), &leaves);
      if (!s.ok()) leaves.clear();
    }
    for (const auto& [seq, bytes] : records) {
      if (seq > n) break;
      for (; expected < seq; ++expected) Note(&access_missing_, &missing, expected);
      expected = seq + 1;
      size_t i = static_cast<size_t>(seq - first);
      flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      bool same = i < leaves.size() && audit::LeafHash(bytes) == leaves[i] &&
                  fb::VerifyAccessRecordBuffer(v) && fb::GetAccessRecord(bytes.data())->seq() == seq;
      if (!same) Note(&access_altered_, &altered, seq);
    }
    after = records.back().first;
  }
  for (; expected <= n; ++expected) Note(&access_missing_, &missing, expected);
  if (missing == 0 && altered == 0) return;
  std::string what;
  if (altered > 0) {
    what = fmt::format("consultation record(s) {} no longer match their signed leaf (altered)",
                       SeqList(access_altered_, altered));
  }
  if (missing > 0) {
    what += fmt::format("{}consultation record(s) {} are missing (deleted)", what.empty() ? "" : "; ",
                        SeqList(access_missing_, missing));
  }
  SecurityLog()->critical("audit: the consultation log does NOT match what was signed: {}", what);
  if (audit_blocked_.empty()) {
    audit_blocked_ = what;
  } else {
    audit_blocked_ += "; " + what;
  }
}

bool BrokerLoop::AnswerAccessQuery(Session& session, const proto::AuditQuery& query,
                                   proto::AuditReplyT* reply, std::vector<std::string>* payloads) {
  auto refuse = [&](wire::errc code, const std::string& message) {
    probe_.Refused(code);
    SendError(session.peer, code, message);
    return false;
  };
  std::string_view case_id = query.case_id() ? query.case_id()->string_view() : "";
  RecordAccess(session, fb::AccessAction::AccessListed, {}, {}, 0, query.justification()->string_view(), {},
               case_id);
  // The records the store holds (those whose commit is still out are
  // listed by the next query); with proofs, only those the checkpoint covers.
  if (query.with_proofs() && query.tree_size() == 0) MaybeCheckpoint(true);
  uint64_t written = store_->access_size();
  uint64_t tree = written;
  if (query.with_proofs()) {
    tree = query.tree_size() != 0 ? query.tree_size() : checkpoint_access_size_;
    if (tree > written) {
      return refuse(wire::errc::malformed_message,
                    fmt::format("tree_size: the consultation log has {} records", written));
    }
  }
  std::set<uint64_t> case_offsets;
  uint64_t indexed = IndexedEnd();  // before the scan: the index holds all up to here
  if (!case_id.empty()) {
    std::vector<store::ScanHit> hits;
    for (uint64_t after = 0;;) {
      hits.clear();
      if (auto s = store_->Scan(store::Index::kCase, case_id, after, 4096, &hits); !s.ok()) {
        return refuse(wire::errc::storage_error, "case index scan failed; retry");
      }
      if (hits.empty()) break;
      for (const auto& h : hits) case_offsets.insert(h.offset);
      after = hits.back().offset;
    }
    if (auto s = CaseOffsetsPastIndex(case_id, indexed, &case_offsets); !s.ok()) {
      return refuse(wire::errc::storage_error, "log read failed; retry");
    }
  }
  auto full = [&] { return payloads->size() >= config_.max_batch; };
  auto visit = [&](uint64_t seq, std::string& bytes) -> Status {
    if (!case_id.empty() && !Discloses(bytes, case_id, case_offsets)) return OkStatus();
    if (!query.with_proofs()) {
      payloads->push_back(std::move(bytes));
      return OkStatus();
    }
    auto path = access_tree_->Inclusion(seq - 1, tree);
    if (!path.ok()) return path.error();
    payloads->push_back(audit::EncodeAccessProof(seq, bytes, *path));
    return OkStatus();
  };
  auto after = WalkAccess(store_.get(), query.after(), tree, full, &reply->access_missing, visit);
  if (!after.ok()) return refuse(wire::errc::storage_error, "consultation log read failed: " + after.error().message);
  reply->access_altered = access_altered_;
  reply->last_seq = *after;
  reply->more = *after < tree;
  return true;
}

bool BrokerLoop::AnswerAccessCheck(Session& session, const proto::AuditQuery& query,
                                   proto::AuditReplyT* reply, std::vector<std::string>* payloads) {
  // Up to what the store holds: a checkpoint is served only once the
  // records it covers are.
  uint64_t tree = query.tree_size();
  uint64_t written = store_->access_size();
  if (tree == 0 || tree > written) {
    probe_.Refused(wire::errc::malformed_message);
    SendError(session.peer, wire::errc::malformed_message,
              fmt::format("AccessCheck: tree_size must be 1..{}", written));
    return false;
  }
  const std::string& me = session.node->id;
  auto full = [&] { return payloads->size() >= config_.max_batch; };
  auto visit = [&](uint64_t seq, std::string& bytes) -> Status {
    flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (!fb::VerifyAccessRecordBuffer(v)) return OkStatus();  // in access_altered_ since start-up
    const auto* r = fb::GetAccessRecord(bytes.data());
    if (r->node_id()->string_view() != me) return OkStatus();
    auto path = access_tree_->Inclusion(seq - 1, tree);
    if (!path.ok()) return path.error();
    payloads->push_back(audit::EncodeAccessProof(seq, bytes, *path));
    return OkStatus();
  };
  auto after = WalkAccess(store_.get(), query.after(), tree, full, &reply->access_missing, visit);
  if (!after.ok()) {
    probe_.Refused(wire::errc::storage_error);
    SendError(session.peer, wire::errc::storage_error, "consultation log read failed: " + after.error().message);
    return false;
  }
  // Missing or altered anywhere, as found at start-up: every node hears of it.
  std::set<uint64_t> missing(reply->access_missing.begin(), reply->access_missing.end());
  missing.insert(access_missing_.begin(), access_missing_.end());
  reply->access_missing.assign(missing.begin(), missing.end());
  reply->access_altered = access_altered_;
  reply->last_seq = *after;
  reply->more = *after < tree;
  return true;
}

Status BrokerLoop::AddAccessConsistency(const Session& session, uint64_t known, proto::AuditReplyT* reply) {
  reply->access_known_size = known;
  if (known == 0) return OkStatus();
  if (known > checkpoint_access_size_) {
    // No proof can exist; the node sees a smaller access_size than it holds.
    SecurityLog()->warn("checkpoint asked from consultation log size {} beyond the checkpoint's {} node={}: "
                        "rolled back or forked",
                        known, checkpoint_access_size_, session.node->id);
    return OkStatus();
  }
  auto proof = access_tree_->Consistency(known, checkpoint_access_size_);
  if (!proof.ok()) return proof.error();
  for (const auto& h : *proof) reply->access_consistency.insert(reply->access_consistency.end(), h.begin(), h.end());
  return OkStatus();
}

}  // namespace lintas::broker
