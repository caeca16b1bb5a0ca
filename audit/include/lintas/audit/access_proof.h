// A consultation record with its inclusion proof in the consultation log's
// tree (docs/AUDIT.md section 3a), as the broker sends it in Access (with
// proofs) and AccessCheck replies, and its check against a checkpoint.
//
// Frame: 8-byte big-endian seq, 4-byte big-endian record length, the
// AccessRecord bytes ("LNTA"), then the audit path's 32-byte hashes (the
// leaf's sibling first) of leaf seq - 1 in the tree of the checkpoint's
// access_size records.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/audit/checkpoint.h"
#include "lintas/audit/hash.h"

namespace lintas::audit {

struct AccessProof {
  uint64_t seq = 0;
  std::string record;  // AccessRecord bytes
  std::vector<Hash> path;
};

std::string EncodeAccessProof(uint64_t seq, std::string_view record, std::span<const Hash> path);
// nullopt if the frame is not in the form above.
std::optional<AccessProof> DecodeAccessProof(std::span<const uint8_t> frame);

// Empty when `proof` shows a record of the consultation log that `cp`
// signed: the record verifies as an AccessRecord whose seq is the proof's,
// seq <= cp.access_size, and its path leads to cp.access_root. Otherwise
// what is wrong, naming the record ("consultation record 17 ...").
std::string CheckAccessProof(const AccessProof& proof, const Checkpoint& cp);

}  // namespace lintas::audit
