// Consultation records with their inclusion proofs.
#include "lintas/audit/access_proof.h"

#include <fmt/format.h>
#include <flatbuffers/flatbuffers.h>

#include "lintas/audit/merkle.h"
#include "lintas/fb/audit_generated.h"

namespace lintas::audit {

std::string EncodeAccessProof(uint64_t seq, std::string_view record, std::span<const Hash> path) {
  std::string out;
  out.reserve(12 + record.size() + path.size() * 32);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(seq >> shift));
  auto len = static_cast<uint32_t>(record.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(len >> shift));
  out.append(record);
  for (const auto& h : path) out.append(AsString(h));
  return out;
}

std::optional<AccessProof> DecodeAccessProof(std::span<const uint8_t> frame) {
  if (frame.size() < 12) return std::nullopt;
  AccessProof out;
  for (size_t i = 0; i < 8; ++i) out.seq = (out.seq << 8) | frame[i];
  uint32_t len = 0;
  for (size_t i = 8; i < 12; ++i) len = (len << 8) | frame[i];
  if (len > frame.size() - 12 || (frame.size() - 12 - len) % 32 != 0) return std::nullopt;
  out.record.assign(reinterpret_cast<const char*>(frame.data()) + 12, len);
  for (size_t i = 12 + len; i < frame.size(); i += 32) {
    Hash h;
    std::copy(frame.begin() + static_cast<ptrdiff_t>(i), frame.begin() + static_cast<ptrdiff_t>(i) + 32,
              h.begin());
    out.path.push_back(h);
  }
  return out;
}

std::string CheckAccessProof(const AccessProof& proof, const Checkpoint& cp) {
  if (proof.seq == 0 || proof.seq > cp.access_size) {
    return fmt::format("consultation record {} is not in the signed consultation log of {} records",
                       proof.seq, cp.access_size);
  }
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(proof.record.data()), proof.record.size());
  if (!fb::VerifyAccessRecordBuffer(v)) {
    return fmt::format("consultation record {} is not a valid AccessRecord", proof.seq);
  }
  uint64_t inner = fb::GetAccessRecord(proof.record.data())->seq();
  if (inner != proof.seq) {
    return fmt::format("consultation record {} says it is record {}", proof.seq, inner);
  }
  if (!VerifyInclusion(LeafHash(proof.record), proof.seq - 1, cp.access_size, proof.path,
                       cp.access_root)) {
    return fmt::format(
        "consultation record {} does not match the signed consultation log: its inclusion proof "
        "does not lead to the checkpoint's access_root (the record was altered)",
        proof.seq);
  }
  return {};
}

}  // namespace lintas::audit
