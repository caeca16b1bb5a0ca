// Seal key pairs and the key file.
#include "lintas/seal/seal_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <sodium.h>

#include "lintas/seal/errc.h"

namespace lintas::seal {
namespace {

Error Bad(const std::string& message) { return Error{make_error_code(errc::key_unusable), message}; }

// Writes `content` to `path` through a 0600 temporary file, synced, then
// renamed over it: the secret is never readable by others, even briefly.
Status WriteSecretFile(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Bad(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno)));
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Bad(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  }
  std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return OkStatus();
}

}  // namespace

KeyId KeyIdOf(const PublicKey& key) {
  KeyId id{};
  crypto_generichash(id.data(), id.size(), key.data(), key.size(), nullptr, 0);
  return id;
}

std::string ToBase64(const uint8_t* data, size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<std::vector<uint8_t>> FromBase64(std::string_view text) {
  std::vector<uint8_t> out(text.size());
  size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), " \t\r\n", &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return Bad("not base64");
  }
  out.resize(len);
  return out;
}

Result<PublicKey> PublicKeyFromBase64(std::string_view text) {
  auto bytes = FromBase64(text);
  if (!bytes.ok() || bytes->size() != 32) return Bad("a seal key is the base64 of 32 bytes");
  PublicKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

SealKeyring::~SealKeyring() {
  for (auto& k : keys_) sodium_memzero(k.secret_key.data(), k.secret_key.size());
}

SealKeyPair SealKeyring::Generate() {
  SealKeyPair k;
  crypto_box_keypair(k.public_key.data(), k.secret_key.data());
  return k;
}

Result<SealKeyring> SealKeyring::Load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Bad(fmt::format("{}: cannot read the seal key file", path));
  if ((st.st_mode & 077) != 0) {
    return Bad(fmt::format("{}: the seal key file must be readable by its owner only (chmod 600)", path));
  }
  std::ifstream in(path);
  if (!in) return Bad(fmt::format("{}: cannot read the seal key file", path));
  SealKeyring ring;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    auto bytes = FromBase64(line);
    if (!bytes.ok() || bytes->size() != 32) {
      return Bad(fmt::format("{}:{}: not a seal secret key (base64 of 32 bytes)", path, n));
    }
    SealKeyPair k;
    std::copy(bytes->begin(), bytes->end(), k.secret_key.begin());
    sodium_memzero(bytes->data(), bytes->size());
    crypto_scalarmult_base(k.public_key.data(), k.secret_key.data());
    ring.keys_.push_back(k);
  }
  if (ring.keys_.empty()) return Bad(fmt::format("{}: holds no seal key", path));
  return ring;
}

Result<SealKeyring> SealKeyring::LoadOrCreate(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return Load(path);
  SealKeyring ring;
  ring.keys_.push_back(Generate());
  if (auto s = WriteSecretFile(path, ring.Serialize()); !s.ok()) return s.error();
  return ring;
}

Result<SealKeyring> SealKeyring::Rotate(const std::string& path) {
  auto old = Load(path);
  if (!old.ok()) return old;
  SealKeyring ring;
  ring.keys_.push_back(Generate());
  for (const auto& k : old->keys_) ring.keys_.push_back(k);
  if (auto s = WriteSecretFile(path, ring.Serialize()); !s.ok()) return s.error();
  return ring;
}

const SealKeyPair* SealKeyring::Find(const KeyId& id) const {
  for (const auto& k : keys_) {
    if (KeyIdOf(k.public_key) == id) return &k;
  }
  return nullptr;
}

std::string SealKeyring::Serialize() const {
  std::string out = "# lintas seal keys (X25519 secret keys, base64), newest first. Keep every line:\n"
                    "# older keys open the cases sealed to them.\n";
  for (const auto& k : keys_) out += ToBase64(k.secret_key) + "\n";
  return out;
}

}  // namespace lintas::seal
