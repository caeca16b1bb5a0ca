// Ed25519 signing of checkpoints, and the signing key file.
#include "lintas/audit/signer.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "lintas/audit/hash.h"

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
  Signer s;
  std::ifstream in(path);
  if (in) {
    std::string line;
    std::getline(in, line);
    auto bytes = Base64Decode(line);
    if (!bytes || bytes->size() != 64) {
      throw std::runtime_error(fmt::format("audit.signing_key_file: {} holds no Ed25519 secret key", path));
    }
    std::copy(bytes->begin(), bytes->end(), s.secret_.begin());
    crypto_sign_ed25519_sk_to_pk(s.public_key_.data(), s.secret_.data());
    return s;
  }
  crypto_sign_keypair(s.public_key_.data(), s.secret_.data());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    throw std::runtime_error(fmt::format("audit.signing_key_file: cannot create {}", path));
  }
  std::string text = Base64Encode({reinterpret_cast<const char*>(s.secret_.data()), 64}) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error(fmt::format("audit.signing_key_file: cannot write {}", path));
  std::ofstream(path + ".pub") << KeyToBase64(s.public_key_) << "\n";
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
