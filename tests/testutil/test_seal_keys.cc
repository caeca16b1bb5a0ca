// Deterministic seal keys for test nodes.
#include "testutil/test_seal_keys.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include <sodium.h>

namespace lintas::testutil {

seal::SealKeyPair TestSealKey(const std::string& node_id) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
  std::string label = "lintas-test-seal-key/" + node_id;
  unsigned char seed[crypto_box_SEEDBYTES];
  crypto_generichash(seed, sizeof seed, reinterpret_cast<const unsigned char*>(label.data()), label.size(),
                     nullptr, 0);
  seal::SealKeyPair k;
  crypto_box_seed_keypair(k.public_key.data(), k.secret_key.data(), seed);
  return k;
}

std::string TestSealPublicKey(const std::string& node_id) {
  return seal::ToBase64(TestSealKey(node_id).public_key);
}

std::string WriteTestSealKeyFile(const std::string& path, const std::string& node_id) {
  if (::access(path.c_str(), F_OK) == 0) return path;  // kept: a test may have rotated it
  std::string text = seal::ToBase64(TestSealKey(node_id).secret_key) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot write " + path);
  }
  ::close(fd);
  return path;
}

}  // namespace lintas::testutil
