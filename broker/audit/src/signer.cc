// Ed25519 signing of checkpoints, and the signing key file.
#include "lintas/audit/signer.h"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "lintas/audit/hash.h"
#include "lintas/audit/key_file.h"

namespace lintas::audit {
namespace {

void InitSodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

Signer Signer::Generate() {
  InitSodium();
  Signer s;
  crypto_sign_keypair(s.public_key_.data(), s.secret_.data());
  return s;
}

Signer Signer::FromSeed(const std::array<uint8_t, 32>& seed) {
  InitSodium();
  Signer s;
  crypto_sign_seed_keypair(s.public_key_.data(), s.secret_.data(), seed.data());
  return s;
}

Signer Signer::LoadOrCreate(const std::string& path) {
  InitSodium();
  auto secret = LoadOrCreateSecretKey(path);
  if (!secret.ok()) throw std::runtime_error("audit.signing_key_file: " + secret.error().message);
  Signer s;
  s.secret_ = *secret;
  crypto_sign_ed25519_sk_to_pk(s.public_key_.data(), s.secret_.data());
  return s;
}

SignedCheckpoint Signer::Sign(const Checkpoint& checkpoint) const {
  SignedCheckpoint out;
  out.body = checkpoint.Body();
  crypto_sign_detached(out.signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(out.body.data()), out.body.size(),
                       secret_.data());
  return out;
}

Signature Signer::SignBytes(std::string_view bytes) const {
  Signature out{};
  crypto_sign_detached(out.data(), nullptr, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                       secret_.data());
  return out;
}

}  // namespace lintas::audit
