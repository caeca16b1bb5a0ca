// A broker whose log no longer matches what it signed: the damage is served,
// not hidden (docs/AUDIT.md section 2).
#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "broker_loop.h"
#include "lintas/broker/logger.h"

namespace lintas::broker {

void BrokerLoop::CheckSigningKey(const audit::SignedCheckpoint& latest, uint64_t size) const {
  if (audit::VerifySignature(latest.body, latest.signature, signer_->public_key())) return;
  throw std::runtime_error(fmt::format(
      "audit.signing_key_file: the key {} (public key {}) did not sign this broker's stored checkpoints (the "
      "latest, of size {}, does not verify with it): nodes pin the key that did. Restore that key file, or "
      "point audit.signing_key_file at it",
      config_.audit_signing_key_file, audit::KeyToBase64(signer_->public_key()), size));
}

void BrokerLoop::ServeDamaged(const audit::SignedCheckpoint& latest, uint64_t size, uint64_t access_size) {
  // The last honest checkpoint is what nodes and auditors get: a consistency
  // proof against it, or an export, shows the damage. Proofs and consistency
  // are computed over what the log still holds (at most its size).
  checkpoint_ = latest;
  checkpoint_size_ = std::min<uint64_t>(size, log_tree_->size());
  checkpoint_access_size_ = std::min<uint64_t>(access_size, access_tree_->size());
}

void BrokerLoop::ActOnDamage() {
  if (!config_.audit_accept_damage) {
    SecurityLog()->critical(
        "audit: {}. Serving the last signed checkpoint, signing nothing new and REFUSING publishes "
        "(log_damaged) until an operator acts: restore the data directory from a copy that matches it, or "
        "restart once with --accept-damaged-log to sign a new history (every node holding the old "
        "checkpoint will report the break)",
        audit_blocked_);
    return;
  }
  SecurityLog()->critical(
      "audit: {}; the operator accepted it (--accept-damaged-log): a new history is signed from the log "
      "as it is; nodes holding the old checkpoint will report it as inconsistent",
      audit_blocked_);
  if (auto s = store_->SupersedeCheckpoints(); !s.ok()) {
    throw std::runtime_error("--accept-damaged-log: the old checkpoints cannot be set aside: " + s.error().message);
  }
  audit_blocked_.clear();
  checkpoint_.reset();
  checkpoint_size_ = 0;
  checkpoint_access_size_ = 0;
}

std::string BrokerLoop::DamageMessage(uint64_t size) const {
  return fmt::format("the log holds {} records, fewer than the {} of its last signed checkpoint: it was truncated "
                     "or rolled back ({})",
                     log_tree_->size(), size, audit_blocked_);
}

}  // namespace lintas::broker
