// Signed acknowledgements (docs/AUDIT.md 2a): one peer's Ack entries of a
// group commit, encoded as Ack messages of at most kMaxSignedAckEntries
// entries, each with one Ed25519 signature over a receipt statement whose
// root covers every entry (event id, offset, event hash, record leaf).
// Internal to lintas::broker.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/audit/receipt.h"
#include "lintas/audit/signer.h"
#include "lintas/fb/protocol_generated.h"

namespace lintas::broker {

// Accumulates one peer's acknowledgements and their receipt entries, then
// encodes them. Ownership: owns copies of the entries. Thread-compatible
// (the loop thread builds and sends them).
class SignedAcks {
 public:
  // `leaf`: receipt.LeafHash(), computed by the caller (for new events
  // beside the commit's write, off the loop thread).
  void Add(const proto::AckEntry& ack, const audit::ReceiptEntry& receipt, const audit::Hash& leaf) {
    acks_.push_back(ack);
    receipts_.push_back(receipt);
    leaves_.push_back(leaf);
  }
  bool empty() const { return acks_.empty(); }

  // The Ack messages' control frames, signed with `signer` for `node`
  // (log_id: the broker's id), in order.
  std::vector<std::string> Encode(const audit::Signer& signer, std::string_view log_id, std::string_view node,
                                  int64_t now_us) const;

 private:
  std::vector<proto::AckEntry> acks_;
  std::vector<audit::ReceiptEntry> receipts_;
  std::vector<audit::Hash> leaves_;  // receipts_[i].LeafHash()
};

}  // namespace lintas::broker
