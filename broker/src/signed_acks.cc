// Signed acknowledgements: one signature per Ack message.
#include "signed_acks.h"

#include <algorithm>

#include "lintas/audit/merkle.h"
#include "lintas/wire/frame.h"

namespace lintas::broker {

std::vector<std::string> SignedAcks::Encode(const audit::Signer& signer, std::string_view log_id,
                                            std::string_view node, int64_t now_us) const {
  std::vector<std::string> out;
  std::vector<uint8_t> hashes;
  for (size_t i = 0; i < acks_.size(); i += wire::kMaxSignedAckEntries) {
    size_t n = std::min(wire::kMaxSignedAckEntries, acks_.size() - i);
    auto entries = std::span(receipts_).subspan(i, n);
    hashes.clear();
    for (const auto& e : entries) {
      hashes.insert(hashes.end(), e.event_hash.begin(), e.event_hash.end());
      hashes.insert(hashes.end(), e.leaf.begin(), e.leaf.end());
    }
    audit::ReceiptStatement statement{std::string(log_id), std::string(node), n,
                                      audit::RootOf(std::span(leaves_).subspan(i, n)), now_us};
    audit::Signature signature = signer.SignBytes(statement.Body());
    out.push_back(wire::EncodeAck(std::span(acks_).subspan(i, n), hashes, now_us, signature));
  }
  return out;
}

}  // namespace lintas::broker
