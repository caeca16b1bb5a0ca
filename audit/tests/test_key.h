// An Ed25519 key pair for the audit library's tests: signs what a broker
// would (checkpoints, receipt statements).
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "lintas/audit/checkpoint.h"

namespace lintas::audit {

struct TestKey {
  TestKey() {
    EXPECT_GE(sodium_init(), 0);
    crypto_sign_keypair(pub.data(), secret.data());
  }
  Signature Sign(const std::string& text) const {
    Signature sig{};
    crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                         secret.data());
    return sig;
  }
  PublicKey pub{};
  std::array<uint8_t, 64> secret{};
};

}  // namespace lintas::audit
