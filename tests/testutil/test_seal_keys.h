// Seal keys for the test nodes: derived from the node id, so that a broker
// test config can register every test node's key before the node first
// connects (as an operator registers it out of band). Tests only: anyone
// can derive these keys.
#pragma once

#include <string>

#include "lintas/seal/seal_key.h"

namespace lintas::testutil {

seal::SealKeyPair TestSealKey(const std::string& node_id);
// Base64 of its public key, for the broker config's seal_public_key.
std::string TestSealPublicKey(const std::string& node_id);
// Writes the key file (0600) at `path` unless it exists (a test may have
// rotated it) and returns `path`, for the node config's seal_key_file.
std::string WriteTestSealKeyFile(const std::string& path, const std::string& node_id);

}  // namespace lintas::testutil
