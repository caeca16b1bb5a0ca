// Witnessed checkpoints: the statement format, cosigned checkpoints and their
// comparison, and the node's witness key.
#include "lintas/audit/witness.h"

#include <sodium.h>

#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lintas/audit/key_file.h"
#include "lintas/audit/merkle.h"
#include "signed_text.h"

namespace lintas::audit {
namespace {

using internal::Bad;
using internal::ParseU64;

template <size_t N>
bool DecodeFixed(const nlohmann::json& j, const char* key, std::array<uint8_t, N>* out) {
  if (!j.contains(key) || !j[key].is_string()) return false;
  auto bytes = Base64Decode(j[key].get<std::string>());
  if (!bytes || bytes->size() != N) return false;
  std::copy(bytes->begin(), bytes->end(), out->begin());
  return true;
}

std::string Encode(std::span<const uint8_t> bytes) {
  return Base64Encode({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

}  // namespace

std::string WitnessStatement::Body() const {
  return fmt::format("lintas-witness/1\nnode {}\ncheckpoint_sha256 {}\ntime_us {}\n", node, ToHex(checkpoint_hash),
                     time_us);
}

Result<WitnessStatement> WitnessStatement::Parse(std::string_view body) {
  auto fields = internal::ParseFields(body, "witness", "lintas-witness/1", {"node", "checkpoint_sha256", "time_us"});
  if (!fields.ok()) return fields.error();
  WitnessStatement s;
  s.node = std::string((*fields)[0]);
  auto hash = FromHex((*fields)[1]);
  uint64_t time = 0;
  if (!hash || !ParseU64((*fields)[2], &time) || s.node.empty()) return Bad("witness: a field is malformed");
  s.checkpoint_hash = *hash;
  s.time_us = static_cast<int64_t>(time);
  return s;
}

WitnessStatement CosignedCheckpoint::Statement() const { return {node, Sha256(checkpoint), time_us}; }

Status CosignedCheckpoint::Verify(const PublicKey& broker_key) const {
  if (auto cp = Checkpoint::Parse(checkpoint); !cp.ok()) return cp.error();
  if (!VerifySignature(checkpoint, broker_signature, broker_key)) {
    return Bad("the checkpoint's signature does not verify with the broker's key");
  }
  if (!VerifySignature(Statement().Body(), witness_signature, witness_key)) {
    return Bad(fmt::format("node {}'s witness signature does not verify with its witness key", node));
  }
  return OkStatus();
}

std::string CosignedCheckpoint::ToJson() const {
  return nlohmann::json{{"type", "cosigned-checkpoint"},
                        {"node", node},
                        {"checkpoint", checkpoint},
                        {"signature", Encode(broker_signature)},
                        {"witness_key", Encode(witness_key)},
                        {"witness_signature", Encode(witness_signature)},
                        {"time_us", time_us}}
      .dump();
}

Result<CosignedCheckpoint> CosignedCheckpoint::FromJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("type", "") != "cosigned-checkpoint") {
    return Bad("not a cosigned checkpoint (type \"cosigned-checkpoint\")");
  }
  CosignedCheckpoint c;
  if (!j.contains("node") || !j["node"].is_string() || !j.contains("checkpoint") || !j["checkpoint"].is_string()) {
    return Bad("cosigned checkpoint: \"node\" and \"checkpoint\" must be strings");
  }
  c.node = j["node"].get<std::string>();
  c.checkpoint = j["checkpoint"].get<std::string>();
  if (!DecodeFixed(j, "signature", &c.broker_signature)) return Bad("cosigned checkpoint: \"signature\" is not 64 bytes of base64");
  if (!DecodeFixed(j, "witness_key", &c.witness_key)) return Bad("cosigned checkpoint: \"witness_key\" is not 32 bytes of base64");
  if (!DecodeFixed(j, "witness_signature", &c.witness_signature)) {
    return Bad("cosigned checkpoint: \"witness_signature\" is not 64 bytes of base64");
  }
  if (!j.contains("time_us") || !j["time_us"].is_number_integer()) return Bad("cosigned checkpoint: \"time_us\" is not an integer");
  c.time_us = j["time_us"].get<int64_t>();
  return c;
}

Result<CosignedCheckpoint> FromWire(const proto::CosignedCheckpoint& w) {
  constexpr size_t kMaxNode = 64;
  constexpr size_t kMaxCheckpoint = 1024;
  auto field = [](const char* name, const std::string& why) {
    return Error{std::make_error_code(std::errc::invalid_argument), fmt::format("witness.{}: {}", name, why),
                 std::string("witness.") + name};
  };
  if (w.node() == nullptr || w.node()->size() == 0 || w.node()->size() > kMaxNode) {
    return field("node", fmt::format("required, 1..{} bytes", kMaxNode));
  }
  if (w.checkpoint() == nullptr || w.checkpoint()->size() == 0 || w.checkpoint()->size() > kMaxCheckpoint) {
    return field("checkpoint", fmt::format("required, 1..{} bytes", kMaxCheckpoint));
  }
  CosignedCheckpoint c;
  auto fixed = [&](const char* name, const flatbuffers::Vector<uint8_t>* v, auto* out) -> Status {
    if (v == nullptr || v->size() != out->size()) return field(name, fmt::format("required, {} bytes", out->size()));
    std::copy(v->begin(), v->end(), out->begin());
    return OkStatus();
  };
  if (auto s = fixed("checkpoint_signature", w.checkpoint_signature(), &c.broker_signature); !s.ok()) return s.error();
  if (auto s = fixed("witness_key", w.witness_key(), &c.witness_key); !s.ok()) return s.error();
  if (auto s = fixed("witness_signature", w.witness_signature(), &c.witness_signature); !s.ok()) return s.error();
  c.node = w.node()->str();
  c.checkpoint = w.checkpoint()->str();
  c.time_us = w.time_us();
  return c;
}

std::unique_ptr<proto::CosignedCheckpointT> ToWire(const CosignedCheckpoint& c) {
  auto w = std::make_unique<proto::CosignedCheckpointT>();
  w->node = c.node;
  w->checkpoint = c.checkpoint;
  w->checkpoint_signature.assign(c.broker_signature.begin(), c.broker_signature.end());
  w->witness_key.assign(c.witness_key.begin(), c.witness_key.end());
  w->witness_signature.assign(c.witness_signature.begin(), c.witness_signature.end());
  w->time_us = c.time_us;
  return w;
}

Agreement Compare(const Checkpoint& a, const Checkpoint& b) {
  if ((a.size == b.size && a.root != b.root) || (a.access_size == b.access_size && a.access_root != b.access_root)) {
    return Agreement::kFork;
  }
  if (a.size == b.size && a.access_size == b.access_size) return Agreement::kSame;
  return Agreement::kNeedsProof;
}

Status VerifyConsistent(const Checkpoint& older, const Checkpoint& newer, const std::vector<Hash>& proof,
                        const std::vector<Hash>& access_proof) {
  auto one = [](const char* log, uint64_t m, uint64_t n, const Hash& rm, const Hash& rn,
                const std::vector<Hash>& p) -> Status {
    if (m > n) return Bad(fmt::format("the {} of {} records is longer than the later one's {}", log, m, n));
    if (m == n ? rm == rn : (m == 0 || VerifyConsistency(m, n, rm, rn, p))) return OkStatus();
    return Bad(fmt::format("the {} of {} records (root {}) is not a prefix of the one of {} records (root {})", log, m,
                           ToHex(rm), n, ToHex(rn)));
  };
  if (auto s = one("event log", older.size, newer.size, older.root, newer.root, proof); !s.ok()) return s;
  return one("consultation log", older.access_size, newer.access_size, older.access_root, newer.access_root,
             access_proof);
}

Result<WitnessKey> WitnessKey::LoadOrCreate(const std::string& path) {
  auto secret = LoadOrCreateSecretKey(path);
  if (!secret.ok()) return secret.error();
  WitnessKey k;
  k.secret_ = *secret;
  crypto_sign_ed25519_sk_to_pk(k.public_key_.data(), k.secret_.data());
  return k;
}

WitnessKey WitnessKey::Generate() {
  if (sodium_init() < 0) std::abort();  // as libsodium itself would on a broken system
  WitnessKey k;
  crypto_sign_keypair(k.public_key_.data(), k.secret_.data());
  return k;
}

CosignedCheckpoint WitnessKey::Cosign(const std::string& node, const std::string& checkpoint,
                                      const Signature& broker_signature, int64_t time_us) const {
  CosignedCheckpoint c{node, checkpoint, broker_signature, public_key_, {}, time_us};
  std::string body = c.Statement().Body();
  crypto_sign_detached(c.witness_signature.data(), nullptr, reinterpret_cast<const unsigned char*>(body.data()),
                       body.size(), secret_.data());
  return c;
}

}  // namespace lintas::audit
