// The broker link's audit queries: checkpoints (with witnesses and the
// consultation check), the directory, and their replies.
#include "lintas/node/broker_link.h"

#include "lintas/audit/checkpoint.h"
#include "lintas/node/audit_client.h"
#include "consultation_check.h"
#include <fmt/format.h>
#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/node.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/verify.h"

namespace lintas::node {
namespace {

// The query id of directory requests: checkpoint requests use the size they
// start from, plus one, which never reaches it.
constexpr uint64_t kDirectoryQuery = uint64_t{1} << 63;

std::shared_ptr<spdlog::logger> Log() { return GetLogger("node"); }
std::shared_ptr<spdlog::logger> SecurityLog() { return GetLogger("security"); }

}  // namespace

void BrokerLink::AskCheckpoint() {
  // Often enough that an acknowledged event is checked within verify_within.
  auto every = std::chrono::microseconds(
      std::max<int64_t>(100000, std::min(config_.checkpoint_every_us, config_.verify_within_us / 3)));
  next_checkpoint_ = std::chrono::steady_clock::now() + every;
  std::vector<std::string> overdue;
  own_.CheckDeadlines(NowMicros(), &overdue);
  RaiseAlarms(overdue);
  uint64_t known = 0;
  uint64_t known_access = 0;
  auto kept = node_->store().Get("audit/checkpoint");
  if (kept.ok() && kept->has_value()) {
    auto cp = audit::Checkpoint::Parse(**kept);
    if (cp.ok()) known = cp->size;
    if (cp.ok()) known_access = cp->access_size;
  }
  // A broker that stops answering while this node holds a checkpoint may be
  // hiding a rollback.
  if (++unanswered_checkpoints_ >= 3 && known > 0) {
    SecurityLog()->critical("broker checkpoint check FAILED: no valid checkpoint for {} requests",
                            unanswered_checkpoints_);
    RaiseAlarm("the broker stopped answering checkpoint requests");
  }
  proto::ControlT control;
  proto::AuditQueryT q;
  // The id carries the size asked from, so that a late reply is checked
  // against the size its proof starts at.
  q.query_id = known + 1;
  q.kind = proto::AuditQueryKind::Checkpoint;
  q.known_size = known;
  q.known_access_size = known_access;
  control.command.Set(std::move(q));
  // Unsent (the pipe is full) counts as unanswered; the next timer asks again.
  if (!client_->SendControl(wire::EncodeControl(control)).ok()) {
    Log()->debug("checkpoint request not sent: the pipe is full");
  }
  SendWitness();
}

void BrokerLink::SendWitness() {
  auto query = witness_.Query(NowMicros());
  if (query && !client_->SendControl(*query).ok()) Log()->debug("witness not sent: the pipe is full");
}

void BrokerLink::AskDirectory() {
  next_directory_ = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  proto::ControlT control;
  proto::AuditQueryT q;
  q.query_id = kDirectoryQuery;
  q.kind = proto::AuditQueryKind::Directory;
  control.command.Set(std::move(q));
  if (!client_->SendControl(wire::EncodeControl(control)).ok()) {
    Log()->debug("directory request not sent: the pipe is full");
    directory_wanted_.store(true, std::memory_order_release);
  }
}

void BrokerLink::HandleDirectoryReply(const Incoming& m) {
  const proto::AuditReply& reply = *m.control()->command_as_AuditReply();
  if (m.payload_count() != 1 || reply.signature() == nullptr || reply.signature()->size() != 64 ||
      reply.public_key() == nullptr || reply.public_key()->size() != 32) {
    SecurityLog()->error("directory reply refused: no document, signature or key");
    return;
  }
  audit::Signature signature{};
  std::copy(reply.signature()->begin(), reply.signature()->end(), signature.begin());
  audit::PublicKey key{};
  std::copy(reply.public_key()->begin(), reply.public_key()->end(), key.begin());
  auto doc = m.payload(0);
  std::string_view text(reinterpret_cast<const char*>(doc.data()), doc.size());
  if (auto s = node_->seal().AcceptDirectory(text, signature, key); !s.ok()) {
    SecurityLog()->critical("directory from the broker refused: {}", s.error().message);
    RaiseAlarm("the broker's directory was refused: " + s.error().message);
    return;
  }
  outbox_dirty_ = true;  // events waiting for it go now
}

void BrokerLink::HandleAuditReply(const Incoming& m) {
  const proto::AuditReply& reply = *m.control()->command_as_AuditReply();
  if (reply.query_id() == kDirectoryQuery) return HandleDirectoryReply(m);
  if (Witnessing::Owns(reply.query_id())) {
    std::vector<std::string> forks;
    witness_.OnReply(m, &forks);
    return RaiseAlarms(forks);
  }
  if (OwnEvents::IsProofsReply(reply.query_id())) {
    std::vector<std::string> lost;
    own_.OnProofs(m, &lost);
    return RaiseAlarms(lost);
  }
  if (ConsultationCheck::Owns(reply.query_id())) {
    auto next = consultation_check_->HandleReply(m, [this](const std::string& what) {
      SecurityLog()->critical("broker consultation log check FAILED: {}", what);
      RaiseAlarm(what);
    });
    if (next) (void)client_->SendControl(*next);  // unsent: asked again after the next checkpoint
    return;
  }
  uint64_t asked_from = reply.query_id() - 1;
  uint64_t kept_size = 0;
  uint64_t kept_access_size = 0;
  if (auto k = node_->store().Get("audit/checkpoint"); k.ok() && k->has_value()) {
    if (auto cp = audit::Checkpoint::Parse(**k); cp.ok()) kept_size = cp->size;
    if (auto cp = audit::Checkpoint::Parse(**k); cp.ok()) kept_access_size = cp->access_size;
  }
  if (reply.query_id() == 0 || asked_from != kept_size) return;  // stale: a newer one is kept
  if (!reply.rollback() && reply.access_known_size() != kept_access_size) return;  // stale likewise
  auto alarm = [this](const std::string& what) {
    SecurityLog()->critical("broker checkpoint check FAILED: {}", what);
    RaiseAlarm(what);
  };
  // The node's acknowledged events, against this checkpoint once its
  // signature verified with the pinned key (own_events.h).
  auto check_own = [&](bool consistent) {
    auto fresh = DecodeCheckpointReply(reply);
    auto pinned = node_->store().Get(kBrokerKeyMeta);
    if (!fresh.ok() || !pinned.ok() || !pinned->has_value() ||
        **pinned != audit::KeyToBase64(fresh->public_key) ||
        !audit::VerifySignature(fresh->checkpoint.body, fresh->checkpoint.signature, fresh->public_key)) {
      return;
    }
    std::vector<std::string> lost;
    auto query = own_.CheckAgainst(fresh->parsed, consistent, &lost);
    RaiseAlarms(lost);
    if (query && !client_->SendControl(*query).ok()) Log()->debug("own events' proofs not asked: the pipe is full");
  };
  if (reply.rollback()) {
    check_own(false);
    return alarm(fmt::format("the broker's log is shorter than the checkpoint this node holds (size {}): "
                             "rolled back or truncated",
                             kept_size));
  }
  auto newer = DecodeCheckpointReply(reply);
  if (!newer.ok()) return alarm(newer.error().message);
  // The broker's signing key: audit.broker_signing_key (pinned at start by
  // OwnEvents), else pinned on first use, loudly.
  std::string key_b64 = audit::KeyToBase64(newer->public_key);
  auto pinned = node_->store().Get(kBrokerKeyMeta);
  if (pinned.ok() && pinned->has_value() && **pinned != key_b64) {
    return alarm("the broker signs with another key than the one pinned (" + **pinned + ")");
  }
  if (!audit::VerifySignature(newer->checkpoint.body, newer->checkpoint.signature, newer->public_key)) {
    return alarm("a checkpoint's signature does not verify");
  }
  auto kept = node_->store().Get("audit/checkpoint");
  if (kept.ok() && kept->has_value()) {
    auto older = audit::Checkpoint::Parse(**kept);
    if (older.ok()) {
      if (auto s = CheckExtends(*older, *newer); !s.ok()) {
        check_own(false);
        return alarm(s.error().message);
      }
    }
  }
  if (!pinned.ok() || !pinned->has_value()) {
    SecurityLog()->warn("TRUST ON FIRST USE: audit.broker_signing_key is not configured; the broker's checkpoint "
                        "signing key {} is pinned as first seen. Check it with the broker's operator out of band "
                        "and set it in [audit] broker_signing_key",
                        key_b64);
    (void)node_->store().Put(kBrokerKeySourceMeta, "first use", true);
    if (auto s = node_->store().Put(kBrokerKeyMeta, key_b64, true); !s.ok()) {
      Log()->error("broker signing key not pinned (asked again next time): {}", s.error().message);
      return;
    }
  }
  const auto& sig = newer->checkpoint.signature;
  std::string sig_b64 = audit::Base64Encode({reinterpret_cast<const char*>(sig.data()), sig.size()});
  if (auto s = node_->store().Put(kCheckpointSignatureMeta, sig_b64, false); !s.ok()) {
    Log()->error("checkpoint signature not kept (asked again next time): {}", s.error().message);
    return;
  }
  if (auto s = node_->store().Put("audit/checkpoint", newer->checkpoint.body, true); !s.ok()) {
    Log()->error("checkpoint not kept (asked again next time): {}", s.error().message);
    return;
  }
  unanswered_checkpoints_ = 0;
  check_own(true);
  SendWitness();
  if (auto ask = consultation_check_->Next(newer->parsed)) (void)client_->SendControl(*ask);
}

}  // namespace lintas::node
