// Ed25519 secret key files.
#include "lintas/audit/key_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "lintas/audit/checkpoint.h"
#include "lintas/audit/hash.h"

namespace lintas::audit {

Result<SecretKey> LoadOrCreateSecretKey(const std::string& path) {
  auto bad = [](const std::string& message) {
    return Error{std::make_error_code(std::errc::invalid_argument), message};
  };
  if (sodium_init() < 0) return bad("libsodium failed to initialise");
  SecretKey secret{};
  PublicKey public_key{};
  std::ifstream in(path);
  if (in) {
    std::string line;
    std::getline(in, line);
    auto bytes = Base64Decode(line);
    if (!bytes || bytes->size() != secret.size()) return bad(fmt::format("{} holds no Ed25519 secret key", path));
    std::copy(bytes->begin(), bytes->end(), secret.begin());
    return secret;
  }
  crypto_sign_keypair(public_key.data(), secret.data());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return bad(fmt::format("cannot create {}", path));
  std::string text = Base64Encode({reinterpret_cast<const char*>(secret.data()), secret.size()}) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return bad(fmt::format("cannot write {}", path));
  std::ofstream(path + ".pub") << KeyToBase64(public_key) << "\n";
  return secret;
}

}  // namespace lintas::audit
