// The audit trail: Merkle trees over the event log and the consultation log,
// signed checkpoints, and the queries auditors and nodes make of them.
#include <algorithm>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "broker_loop.h"
#include "lintas/broker/logger.h"
#include "lintas/common/clock.h"
#include "lintas/fb/audit_generated.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/record.h"
#include "lintas/wire/verify.h"

namespace lintas::broker {
namespace {

constexpr size_t kLeafReadChunk = 65536;  // leaves read at a time at start-up

// Stored checkpoint: 64-byte signature, then the body.
std::string EncodeStoredCheckpoint(const audit::SignedCheckpoint& c) {
  std::string out(reinterpret_cast<const char*>(c.signature.data()), c.signature.size());
  out += c.body;
  return out;
}

std::optional<audit::SignedCheckpoint> DecodeStoredCheckpoint(std::string_view bytes) {
  if (bytes.size() <= 64) return std::nullopt;
  audit::SignedCheckpoint c;
  std::copy(bytes.begin(), bytes.begin() + 64, c.signature.begin());
  c.body = std::string(bytes.substr(64));
  return c;
}

std::string HashesToBytes(const std::vector<audit::Hash>& hashes) {
  std::string out;
  out.reserve(hashes.size() * 32);
  for (const auto& h : hashes) out.append(audit::AsString(h));
  return out;
}

}  // namespace

namespace {

// The leaves of block `block` of the event log, from the store or, if the
// block was never written (a crash before its write was synced), from the
// records themselves (and then written again).
Result<std::string> LeafBlock(store::Store* store, uint64_t block) {
  auto stored = store->ReadLeafBlock(block);
  if (!stored.ok()) return stored.error();
  if (stored->has_value() && (*stored)->size() == audit::MerkleLog::kBlock * 32) return **stored;
  std::string leaves;
  leaves.reserve(audit::MerkleLog::kBlock * 32);
  for (uint64_t i = 0; i < audit::MerkleLog::kBlock; ++i) {
    uint64_t offset = block * audit::MerkleLog::kBlock + i + 1;
    auto record = store->ReadRecord(offset);
    if (!record.ok()) return record.error();
    if (!record->has_value()) {
      return Error{store::errc::corruption, fmt::format("record {} is missing from the log", offset)};
    }
    leaves.append(audit::AsString(audit::LeafHash(**record)));
  }
  if (auto s = store->PutLeafBlock(block, leaves); !s.ok()) return s.error();
  return leaves;
}

}  // namespace

Status StoreLeafSource::ReadLeaves(uint64_t first, size_t count, std::vector<audit::Hash>* out) {
  std::vector<std::string> raw;
  if (access_) {
    if (auto s = store_->ReadAccessLeaves(first, count, &raw); !s.ok()) return s;
    // The rest from the records whose commit has not returned yet (in seq
    // order, without gaps).
    if (unwritten_ && !unwritten_->empty()) {
      uint64_t front = unwritten_->front().seq;
      for (uint64_t seq = first + raw.size() + 1;
           raw.size() < count && seq >= front && seq - front < unwritten_->size(); ++seq) {
        raw.push_back((*unwritten_)[seq - front].leaf);
      }
    }
  } else {
    for (uint64_t block = first / audit::MerkleLog::kBlock;
         block * audit::MerkleLog::kBlock < first + count; ++block) {
      auto leaves = LeafBlock(store_, block);
      if (!leaves.ok()) return leaves.error();
      for (size_t i = 0; i < leaves->size(); i += 32) {
        uint64_t index = block * audit::MerkleLog::kBlock + i / 32;
        if (index >= first && index < first + count) raw.push_back(leaves->substr(i, 32));
      }
    }
  }
  for (const auto& r : raw) {
    auto h = audit::FromBytes(r);
    if (!h) return Error{store::errc::corruption, "a stored leaf hash is not 32 bytes"};
    out->push_back(*h);
  }
  return OkStatus();
}

void BrokerLoop::InitAudit() {
  if (!config_.audit_enabled) {
    Log()->warn("audit trail off (audit.enabled = false): no Merkle tree, no checkpoints, no "
                "consultation log");
    return;
  }
  signer_ = audit::Signer::LoadOrCreate(config_.audit_signing_key_file);
  log_leaves_ = StoreLeafSource(store_.get(), false);
  access_leaves_ = StoreLeafSource(store_.get(), true, &unwritten_access_);
  log_tree_ = std::make_unique<audit::MerkleLog>(&log_leaves_);
  access_tree_ = std::make_unique<audit::MerkleLog>(&access_leaves_);
  // The event log's tree: complete blocks from their stored leaves (or
  // the records, for blocks written while the tree was off), the last,
  // incomplete block from its records.
  uint64_t size = store_->size();
  uint64_t blocks = size / audit::MerkleLog::kBlock;
  for (uint64_t b = 0; b < blocks; ++b) {
    auto leaves = LeafBlock(store_.get(), b);
    if (!leaves.ok()) throw std::runtime_error("audit: " + leaves.error().message);
    for (size_t i = 0; i < leaves->size(); i += 32) {
      log_tree_->Append(*audit::FromBytes(std::string_view(*leaves).substr(i, 32)));
    }
  }
  std::string tail;
  if (size > blocks * audit::MerkleLog::kBlock) {
    auto stored = store_->ReadLeafBlock(blocks);
    if (stored.ok() && stored->has_value()) tail = std::move(**stored);
  }
  for (uint64_t offset = blocks * audit::MerkleLog::kBlock + 1; offset <= size; ++offset) {
    size_t at = static_cast<size_t>(offset - blocks * audit::MerkleLog::kBlock - 1) * 32;
    if (at + 32 <= tail.size()) {
      audit::Hash leaf = *audit::FromBytes(std::string_view(tail).substr(at, 32));
      log_tree_->Append(leaf);
      pending_leaves_.append(audit::AsString(leaf));
      continue;
    }
    auto record = store_->ReadRecord(offset);
    if (!record.ok() || !record->has_value()) {
      throw std::runtime_error(fmt::format("audit: record {} is missing from the log", offset));
    }
    audit::Hash leaf = audit::LeafHash(**record);
    log_tree_->Append(leaf);
    pending_leaves_.append(audit::AsString(leaf));
  }
  // The consultation log's tree, from its stored leaves.
  {
    uint64_t n = store_->access_size();
    std::vector<audit::Hash> leaves;
    for (uint64_t first = 0; first < n; first += kLeafReadChunk) {
      leaves.clear();
      size_t count = static_cast<size_t>(std::min<uint64_t>(kLeafReadChunk, n - first));
      if (auto s = access_leaves_.ReadLeaves(first, count, &leaves); !s.ok() || leaves.size() != count) {
        throw std::runtime_error("audit: consultation log leaves are missing or unreadable");
      }
      for (const auto& l : leaves) access_tree_->Append(l);
    }
    access_durable_ = n;  // what the store holds is durable
  }
  // The logs must still be what the last checkpoint signed.
  auto latest = store_->LatestCheckpoint();
  if (!latest.ok()) {
    SecurityLog()->critical("audit: the latest checkpoint cannot be read: {}", latest.error().message);
    audit_blocked_ = "the latest signed checkpoint cannot be read";
  } else if (latest->has_value()) {
    auto signed_cp = DecodeStoredCheckpoint(**latest);
    auto cp = signed_cp ? audit::Checkpoint::Parse(signed_cp->body)
                        : Result<audit::Checkpoint>(Error{store::errc::corruption, "bad"});
    if (cp.ok()) CheckSigningKey(*signed_cp, cp->size);  // throws: the wrong key file
    if (!cp.ok()) {
      SecurityLog()->critical("audit: the latest stored checkpoint is unreadable");
      audit_blocked_ = "the latest signed checkpoint is unreadable";
    } else if (cp->size > log_tree_->size() || cp->access_size > access_tree_->size()) {
      SecurityLog()->critical(
          "audit: the logs are SHORTER than the latest signed checkpoint (log {} < {} or access "
          "{} < {}): truncated or rolled back",
          log_tree_->size(), cp->size, access_tree_->size(), cp->access_size);
      audit_blocked_ = "the logs are shorter than the latest signed checkpoint (rolled back?)";
      ServeDamaged(*signed_cp, cp->size, cp->access_size);
    } else {
      auto root = log_tree_->Root(cp->size);
      auto access_root = access_tree_->Root(cp->access_size);
      if (!root.ok() || *root != cp->root || !access_root.ok() || *access_root != cp->access_root) {
        SecurityLog()->critical(
            "audit: the logs do NOT match the latest signed checkpoint (size {}): altered",
            cp->size);
      } else {
        checkpoint_ = *signed_cp;
        checkpoint_size_ = cp->size;
        checkpoint_access_size_ = cp->access_size;
      }
      if (!checkpoint_) {
        // Sign nothing over a history that is not the one signed before; keep
        // serving that checkpoint, against which the damage shows.
        audit_blocked_ = "the logs do not match the latest signed checkpoint";
        ServeDamaged(*signed_cp, cp->size, cp->access_size);
      }
    }
  }
  CheckAccessRecords();
  if (!audit_blocked_.empty()) ActOnDamage();
  checkpoint_ms_ = SteadyMillis();
  Log()->info("audit trail: log {} leaves, consultation log {} records, signing key {}",
              log_tree_->size(), access_tree_->size(), audit::KeyToBase64(signer_->public_key()));
}

void BrokerLoop::AppendCommitted(const CommitBatch& batch) {
  if (!log_tree_) return;
  AppendLeaves(batch, false);  // their blocks were stored by the commit thread
  MaybeCheckpoint(false);
}

void BrokerLoop::AppendLeaves(const CommitBatch& batch, bool store_blocks) {
  for (const auto& leaf : batch.leaves) {
    log_tree_->Append(leaf);
    pending_leaves_.append(audit::AsString(leaf));
    if (log_tree_->size() % audit::MerkleLog::kBlock == 0) {
      // Unsynced: the next commit syncs it; a lost block is recomputed.
      uint64_t block = log_tree_->size() / audit::MerkleLog::kBlock - 1;
      if (store_blocks) {
        if (auto s = store_->PutLeafBlock(block, pending_leaves_); !s.ok()) {
          Log()->warn("leaf block {} not stored ({}); it will be recomputed", block, s.error().message);
        }
      }
      pending_leaves_.clear();
    }
  }
  if (store_blocks && !pending_leaves_.empty() && !batch.leaves.empty()) {
    uint64_t block = log_tree_->size() / audit::MerkleLog::kBlock;
    if (auto s = store_->PutLeafBlock(block, pending_leaves_); !s.ok()) {
      Log()->warn("leaf block {} not stored ({}); it will be recomputed", block, s.error().message);
    }
  }
}

void BrokerLoop::AppendRecovered() {
  if (!log_tree_) return;
  CommitBatch recovered;
  for (uint64_t offset = log_tree_->size() + 1; offset < store_->next_offset(); ++offset) {
    auto record = store_->ReadRecord(offset);
    if (!record.ok() || !record->has_value()) {
      Log()->critical("record {} recovered after a failed write cannot be read; aborting", offset);
      std::abort();
    }
    recovered.leaves.push_back(audit::LeafHash(**record));
  }
  // Recovery is rare: the loop stores these blocks itself, then hands the
  // commit thread the tail it continues from.
  if (!recovered.leaves.empty()) AppendLeaves(recovered, true);
  committer_->SetLeafTail(log_tree_->size(), pending_leaves_);
  if (!recovered.leaves.empty()) MaybeCheckpoint(false);
}

void BrokerLoop::RecordAccess(const Session& session, fb::AccessAction action,
                              std::span<const uint64_t> offsets, std::string_view subscription,
                              uint64_t replay_id, std::string_view justification,
                              std::string_view purpose, std::string_view case_id) {
  if (!access_tree_) return;
  flatbuffers::FlatBufferBuilder fbb(256 + offsets.size() * 8 + justification.size());
  uint64_t seq = access_tree_->size() + 1;
  auto node_id = fbb.CreateString(session.node->id);
  auto country = fbb.CreateString(session.node->country);
  auto sub = subscription.empty() ? 0 : fbb.CreateString(subscription);
  auto just = justification.empty() ? 0 : fbb.CreateString(justification);
  auto purp = purpose.empty() ? 0 : fbb.CreateString(purpose);
  auto offs = fbb.CreateVector(offsets.data(), offsets.size());
  auto cid = case_id.empty() ? 0 : fbb.CreateString(case_id);
  fb::AccessRecordBuilder b(fbb);
  b.add_seq(seq);
  b.add_time_us(NowMicros());
  b.add_node_id(node_id);
  b.add_country(country);
  b.add_action(action);
  if (!sub.IsNull()) b.add_subscription(sub);
  b.add_replay_id(replay_id);
  if (!just.IsNull()) b.add_justification(just);
  if (!purp.IsNull()) b.add_purpose(purp);
  b.add_offsets(offs);
  if (!cid.IsNull()) b.add_case_id(cid);
  fbb.Finish(b.Finish(), fb::AccessRecordIdentifier());
  store::AccessEntry entry;
  entry.seq = seq;
  entry.record.assign(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  audit::Hash leaf = audit::LeafHash(entry.record);
  entry.leaf = std::string(audit::AsString(leaf));
  // Written by the next group commit; kept here until it has returned.
  current_->writes.access.push_back(entry);
  unwritten_access_.push_back(std::move(entry));
  access_tree_->Append(leaf);
}

Status BrokerLoop::CaseOffsetsPastIndex(std::string_view case_id, uint64_t indexed,
                                        std::set<uint64_t>* out) {
  for (uint64_t offset = indexed + 1; offset < store_->next_offset(); ++offset) {
    auto record = ReadCommitted(offset);
    if (!record.ok()) return std::move(record).error();
    if (!record->has_value()) continue;
    auto verified = wire::VerifyRecord(wire::AsBytes(**record));
    if (!verified.ok()) continue;
    const fb::Event* event = fb::GetEvent(wire::RecordEventBytes(**verified).data());
    if (event->case_id() && event->case_id()->string_view() == case_id) out->insert(offset);
  }
  return OkStatus();
}

void BrokerLoop::MaybeCheckpoint(bool force) {
  if (!log_tree_ || !audit_blocked_.empty()) return;
  if (!force && pending_checkpoint_) return;  // one at a time, on the commit thread's sync
  // A forced checkpoint is served at once: first every consultation record
  // made so far is committed (and a pending checkpoint served), so that it
  // covers only what is durable.
  if (force) WaitForCommits();
  uint64_t size = log_tree_->size();
  // A due checkpoint goes into the group commit that writes the records it
  // covers; a forced one covers the durable ones (all, unless a commit failed).
  uint64_t access_size = force ? std::min(access_durable_, access_tree_->size()) : access_tree_->size();
  bool grew = size != checkpoint_size_ || access_size != checkpoint_access_size_ || !checkpoint_;
  if (!grew) return;
  int64_t now = SteadyMillis();
  bool due = size - checkpoint_size_ >= config_.checkpoint_every_events ||
             now - checkpoint_ms_ >= static_cast<int64_t>(config_.checkpoint_interval_ms);
  if (!force && !due) return;
  auto root = log_tree_->Root(size);
  auto access_root = access_tree_->Root(access_size);
  if (!root.ok() || !access_root.ok()) {
    Log()->error("checkpoint: tree hash failed: {}",
                 root.ok() ? access_root.error().message : root.error().message);
    return;
  }
  audit::Checkpoint cp{config_.id, size, *root, access_size, *access_root, NowMicros()};
  audit::SignedCheckpoint signed_cp = signer_->Sign(cp);
  // Served only once it is on disk, with the consultation records it covers:
  // a node must never hold a checkpoint over records the broker could lose.
  // A due checkpoint rides in the next group commit, off the loop thread; a
  // forced one (a query that waits for it, shutdown) is written here, with
  // no commit in flight.
  if (!force) {
    current_->writes.checkpoint.emplace(size, EncodeStoredCheckpoint(signed_cp));
    pending_checkpoint_ = PendingCheckpoint{std::move(signed_cp), size, access_size, now};
    current_->checkpoint = true;
    SubmitCurrent();
    return;
  }
  PendingCheckpoint pending{signed_cp, size, access_size, now};
  if (auto s = store_->PutCheckpoint(size, EncodeStoredCheckpoint(signed_cp)); !s.ok()) {
    Log()->error("checkpoint could not be stored: {}", s.error().message);
    return;
  }
  if (auto s = store_->Sync(); !s.ok()) {
    Log()->error("checkpoint could not be synced: {}", s.error().message);
    return;
  }
  pending_checkpoint_.reset();  // that sync made it durable too, and this one is newer
  ServeCheckpoint(std::move(pending));
  ReleaseHeldReplies();
}

void BrokerLoop::ServeCheckpoint(PendingCheckpoint synced) {
  access_durable_ = std::max(access_durable_, synced.access_size);
  Log()->debug("checkpoint signed size={} access_size={}", synced.size, synced.access_size);
  checkpoint_ = std::move(synced.checkpoint);
  checkpoint_size_ = synced.size;
  checkpoint_access_size_ = synced.access_size;
  checkpoint_ms_ = synced.signed_ms;
}

void BrokerLoop::AuditTick(int64_t now_ms) {
  (void)now_ms;
  if (!log_tree_) return;
  MaybeCheckpoint(false);
}

void BrokerLoop::HandleAuditQuery(Session& session, const proto::AuditQuery& query) {
  auto refuse = [&](wire::errc code, const std::string& message) {
    probe_.Refused(code);
    SendError(session.peer, code, message);
  };
  if (!log_tree_) {
    refuse(wire::errc::permission_denied, "this broker keeps no audit trail (audit.enabled = false)");
    return;
  }
  proto::ControlT control;
  proto::AuditReplyT reply;
  reply.query_id = query.query_id();
  std::vector<std::string> payloads;
  if (query.kind() == proto::AuditQueryKind::Directory) return HandleDirectoryQuery(session, query);
  // A node's checkpoint, its own consultation records and its witness:
  // any node, not recorded.
  bool needs_audit = query.kind() != proto::AuditQueryKind::Checkpoint &&
                     query.kind() != proto::AuditQueryKind::AccessCheck &&
                     query.kind() != proto::AuditQueryKind::Witness;
  // A node may have its own events proved (published or addressed to it)
  // without the audit permission (own_proofs.cc).
  bool own = needs_audit && !session.node->can_audit && OnlyOwnEvents(session, query);
  if (needs_audit && !own) {
    if (!session.node->can_audit) {
      SecurityLog()->warn("audit query refused: no audit permission node={}", session.node->id);
      refuse(wire::errc::permission_denied, "this query requires the audit permission");
      return;
    }
    if (query.justification() == nullptr || query.justification()->size() == 0) {
      refuse(wire::errc::justification_required, "this query requires a justification");
      return;
    }
  }
  if (query.kind() == proto::AuditQueryKind::Stats) return HandleStatsQuery(session, query);
  switch (query.kind()) {
    case proto::AuditQueryKind::Checkpoint: {
      MaybeCheckpoint(true);
      if (!checkpoint_) {
        refuse(wire::errc::internal, audit_blocked_.empty()
                                         ? std::string("no checkpoint could be made")
                                         : "the audit trail is blocked: " + audit_blocked_);
        return;
      }
      uint64_t known = query.known_size();
      if (known > 0 && known <= checkpoint_size_) {
        auto proof = log_tree_->Consistency(known, checkpoint_size_);
        if (!proof.ok()) {
          refuse(wire::errc::storage_error, "consistency proof failed: " + proof.error().message);
          return;
        }
        std::string bytes = HashesToBytes(*proof);
        reply.consistency.assign(bytes.begin(), bytes.end());
      } else if (known > checkpoint_size_) {
        // The node holds a checkpoint of a larger log than this one: no proof
        // can exist. Said explicitly, not by an empty proof the node might
        // take for "nothing changed".
        reply.rollback = true;
        SecurityLog()->warn("checkpoint asked from size {} beyond the log's {} node={}: rolled "
                            "back or forked log",
                            known, checkpoint_size_, session.node->id);
      }
      if (auto s = AddAccessConsistency(session, query.known_access_size(), &reply); !s.ok()) {
        refuse(wire::errc::storage_error, "consultation log consistency proof failed: " + s.error().message);
        return;
      }
      break;
    }
    case proto::AuditQueryKind::Proofs: {
      if (query.tree_size() == 0) MaybeCheckpoint(true);  // prove against a fresh checkpoint
      std::vector<uint64_t> wanted;
      if (query.offsets()) wanted.assign(query.offsets()->begin(), query.offsets()->end());
      if (wanted.empty() && query.event_id() != nullptr) {
        auto id = wire::EventId::Parse(query.event_id()->string_view());
        auto found = id.ok() ? store_->FindEvent(*id) : Result<std::optional<uint64_t>>(id.error());
        if (!found.ok() || !found->has_value()) {
          refuse(wire::errc::not_found, "no event with this id in the log");
          return;
        }
        wanted.push_back(**found);
      }
      size_t n = wanted.size();
      uint64_t tree_size = query.tree_size() != 0 ? query.tree_size() : checkpoint_size_;
      if (tree_size > log_tree_->size() && !audit_blocked_.empty()) {
        refuse(wire::errc::log_damaged, DamageMessage(tree_size));
        return;
      }
      if (n == 0 || n > wire::kMaxBatch || tree_size == 0 || tree_size > log_tree_->size()) {
        refuse(wire::errc::malformed_message,
               fmt::format("Proofs: 1..{} offsets in a tree of 1..{} records", wire::kMaxBatch,
                           log_tree_->size()));
        return;
      }
      std::vector<uint64_t> proved;
      for (size_t i = 0; i < n; ++i) {
        uint64_t offset = wanted[i];
        if (offset == 0 || offset > tree_size) {
          refuse(wire::errc::malformed_message,
                 fmt::format("offset {} is not in a tree of {} records", offset, tree_size));
          return;
        }
        auto path = log_tree_->Inclusion(offset - 1, tree_size);
        if (!path.ok()) {
          refuse(wire::errc::storage_error, "inclusion proof failed: " + path.error().message);
          return;
        }
        std::string frame;
        for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(offset >> shift));
        frame += HashesToBytes(*path);
        payloads.push_back(std::move(frame));
        proved.push_back(offset);
      }
      RecordAccess(session, fb::AccessAction::Proved, proved, {}, 0,
                   query.justification() ? query.justification()->string_view() : kOwnEvents,
                   query.purpose() ? query.purpose()->string_view() : "prove");
      break;
    }
    case proto::AuditQueryKind::Access:
      if (!AnswerAccessQuery(session, query, &reply, &payloads)) return;
      break;
    case proto::AuditQueryKind::AccessCheck:
      if (!AnswerAccessCheck(session, query, &reply, &payloads)) return;
      break;
    case proto::AuditQueryKind::Witness:
      if (!AnswerWitness(session, query, &payloads)) return;
      break;
    default:
      refuse(wire::errc::malformed_message, "unknown audit query kind");
      return;
  }
  if (checkpoint_) {
    reply.checkpoint = checkpoint_->body;
    reply.signature.assign(checkpoint_->signature.begin(), checkpoint_->signature.end());
  }
  const auto& key = signer_->public_key();
  reply.public_key.assign(key.begin(), key.end());
  control.command.Set(std::move(reply));
  // Checkpoint and AccessCheck queries record nothing; the others wait for their record.
  SendWhenRecorded(session.peer, wire::EncodeControl(control), std::move(payloads),
                   needs_audit ? AccessWritten() : 0);
}

}  // namespace lintas::broker
