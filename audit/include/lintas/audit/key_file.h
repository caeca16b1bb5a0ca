// Ed25519 secret key files, as the broker's checkpoint signing key and a
// node's witness key are kept: one line, base64 of libsodium's 64-byte
// secret key, mode 0600, with the public key (base64) in `<path>.pub`.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "lintas/common/result.h"

namespace lintas::audit {

using SecretKey = std::array<uint8_t, 64>;

// Reads the key at `path`; when there is no file, creates a fresh key there
// (synced) and its `.pub` beside it. The error names the file.
Result<SecretKey> LoadOrCreateSecretKey(const std::string& path);

}  // namespace lintas::audit
