// Witnessed checkpoints (docs/AUDIT.md section 3b): a node's co-signature of a
// broker checkpoint it has verified, so that nodes can show each other what
// the broker showed them, and a broker that shows two histories (a fork, a
// "split view") is caught by the nodes that saw either.
//
//   statement = "lintas-witness/1\n" "node <node id>\n"
//               "checkpoint_sha256 <hex SHA-256 of the checkpoint body>\n"
//               "time_us <Unix microseconds, when the node co-signed>\n"
//
// signed with Ed25519 by the node's witness key (a key of its own, in its data
// directory, never the broker's). The checkpoint body and the broker's
// signature travel with it, so a cosigned checkpoint is self-contained
// evidence: two cosigned checkpoints signed by one broker key that disagree
// prove that the broker showed two histories.
//
// Thread safety: free functions and const methods are thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lintas/audit/checkpoint.h"
#include "lintas/audit/hash.h"
#include "lintas/common/result.h"
#include "lintas/fb/protocol_generated.h"

namespace lintas::audit {

struct WitnessStatement {
  std::string node;
  Hash checkpoint_hash{};  // SHA-256 of the checkpoint body
  int64_t time_us = 0;

  std::string Body() const;
  // Refuses anything but the exact format (the error names the line).
  static Result<WitnessStatement> Parse(std::string_view body);
};

// A broker checkpoint with the broker's signature and one node's co-signature.
struct CosignedCheckpoint {
  std::string node;         // the witness
  std::string checkpoint;   // the broker's checkpoint body (checkpoint.h)
  Signature broker_signature{};
  PublicKey witness_key{};
  Signature witness_signature{};
  int64_t time_us = 0;      // when the node co-signed

  WitnessStatement Statement() const;
  // The checkpoint parses, `broker_key` signed it and the witness key
  // signed the statement; the error says which check failed.
  [[nodiscard]] Status Verify(const PublicKey& broker_key) const;
  // JSON, one object (docs/AUDIT.md 3b): "checkpoint" and "signature" are
  // the broker's, as in an export's first line, so that `lintas audit
  // compare` reads either.
  std::string ToJson() const;
  static Result<CosignedCheckpoint> FromJson(std::string_view text);
};

// Whether two checkpoints signed by one key can belong to one history,
// from themselves alone: kFork when they have the same size and different
// roots (of either log), kSame when every size and root is equal, and
// kNeedsProof otherwise (a consistency proof from the smaller to the
// larger decides; VerifyConsistent below).
enum class Agreement { kSame, kFork, kNeedsProof };
Agreement Compare(const Checkpoint& a, const Checkpoint& b);

// Whether `proof` and `access_proof` show that `older` (the smaller) is a
// prefix of `newer` in both logs; the error names the log that is not.
[[nodiscard]] Status VerifyConsistent(const Checkpoint& older, const Checkpoint& newer,
                                      const std::vector<Hash>& proof, const std::vector<Hash>& access_proof);

// The wire form (protocol.fbs CosignedCheckpoint), both ways. FromWire
// checks shapes and sizes only (the error names the field); Verify checks
// the signatures.
Result<CosignedCheckpoint> FromWire(const proto::CosignedCheckpoint& wire);
std::unique_ptr<proto::CosignedCheckpointT> ToWire(const CosignedCheckpoint& c);

// An Ed25519 key pair of a node's own, for co-signing. Ownership: holds the
// secret in memory. Thread safety: Sign is const and safe from any thread.
class WitnessKey {
 public:
  // Reads the secret key file (base64 of libsodium's 64-byte secret key);
  // creates it (mode 0600) with `path`.pub beside it when it does not exist.
  static Result<WitnessKey> LoadOrCreate(const std::string& path);
  static WitnessKey Generate();

  const PublicKey& public_key() const { return public_key_; }
  CosignedCheckpoint Cosign(const std::string& node, const std::string& checkpoint,
                            const Signature& broker_signature, int64_t time_us) const;

 private:
  std::array<uint8_t, 64> secret_{};
  PublicKey public_key_{};
};

}  // namespace lintas::audit
