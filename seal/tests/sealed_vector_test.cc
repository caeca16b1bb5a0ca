// The golden vector of a sealed event (tests/vectors/sealed/): an envelope
// that another implementation must be able to open with the recipient key
// given beside it, to exactly the event it seals. Sealing draws random keys,
// so the envelope is written once (LINTAS_WRITE_VECTORS=1) and then only
// read: this test checks that this build still verifies, validates and opens
// it to the same bytes.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sodium.h>

#include "lintas/seal/sealer.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

namespace lintas::seal {
namespace {

namespace fs = std::filesystem;
const fs::path kDir = fs::path(LINTAS_SOURCE_DIR) / "tests" / "vectors" / "sealed";
constexpr int64_t kCreatedAt = 1793491200000000;  // 2026-11-01T00:00:00Z

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string TheReferral() {
  wire::EventId id({0x01, 0x9a, 0x3f, 0x2b, 0x48, 0x00, 0x70, 0x51, 0x80, 0, 0, 0, 0, 0, 0x1d, 0x51});
  return wire::PackEvent(wire::ExampleEvent(fb::Body::ReferralCreated, id, kCreatedAt));
}

TEST(SealedVectorTest, TheSealedReferralOpensWithItsKeyToTheReferral) {
  std::string plain = TheReferral();
  if (std::getenv("LINTAS_WRITE_VECTORS") != nullptr) {
    fs::create_directories(kDir);
    SealKeyPair kh = SealKeyring::Generate();
    SealKeyPair th = SealKeyring::Generate();
    auto e = wire::VerifyEvent(wire::AsBytes(plain));
    ASSERT_TRUE(e.ok());
    auto sealed = SealEvent(**e, wire::AsBytes(plain), {{"th-node", th.public_key}, {"kh-node", kh.public_key}});
    ASSERT_TRUE(sealed.ok());
    std::ofstream(kDir / "referral.hex") << wire::ToHex(*sealed) << "\n";
    std::ofstream(kDir / "kh-node.key") << ToBase64(kh.secret_key) << "\n";
    std::ofstream(kDir / "referral.plain.hex") << wire::ToHex(plain) << "\n";
  }
  std::string envelope = FromHex(Read(kDir / "referral.hex"));
  ASSERT_FALSE(envelope.empty()) << "missing " << (kDir / "referral.hex");
  auto e = wire::VerifyEvent(wire::AsBytes(envelope));
  ASSERT_TRUE(e.ok()) << e.error().message;
  ASSERT_TRUE(wire::ValidateEvent(**e).ok());
  ASSERT_NE((*e)->sealed(), nullptr);
  auto secret = FromBase64(Read(kDir / "kh-node.key"));
  ASSERT_TRUE(secret.ok() && secret->size() == 32);
  SealKeyring kh;
  SealKeyPair k;
  std::copy(secret->begin(), secret->end(), k.secret_key.begin());
  crypto_scalarmult_base(k.public_key.data(), k.secret_key.data());
  kh.Add(k);
  auto opened = OpenEvent(**e, "kh-node", kh);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, FromHex(Read(kDir / "referral.plain.hex")));
  EXPECT_EQ(*opened, plain) << "the example referral changed: regenerate with LINTAS_WRITE_VECTORS=1";
}

}  // namespace
}  // namespace lintas::seal
