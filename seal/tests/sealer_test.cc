// Sealing and opening: round trip for every body type, who can open, what
// tampering is caught, and key rotation.
#include "lintas/seal/sealer.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <sodium.h>

#include "lintas/seal/errc.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

namespace lintas::seal {
namespace {

constexpr int64_t kCreatedAt = 1793491200000000;  // 2026-11-01T00:00:00Z
constexpr std::string_view kCanary = "Canary-Pseudonym-Q7";

wire::EventId NewId() {
  static wire::EventIdGenerator ids;
  return ids.Next();
}

struct Keys {
  SealKeyring th;
  SealKeyring kh;
  SealKeyring vn;
  Keys() {
    th.Add(SealKeyring::Generate());
    kh.Add(SealKeyring::Generate());
    vn.Add(SealKeyring::Generate());
  }
  std::vector<Recipient> ThAndKh() const {
    return {{"th-node", th.current().public_key}, {"kh-node", kh.current().public_key}};
  }
};

std::string Referral(std::string_view pseudonym) {
  fb::EventT e = wire::ExampleEvent(fb::Body::ReferralCreated, NewId(), kCreatedAt);
  e.body.AsReferralCreated()->victim->pseudonym = std::string(pseudonym);
  return wire::PackEvent(e);
}

const fb::Event& Verified(const std::string& bytes) {
  auto v = wire::VerifyEvent(wire::AsBytes(bytes));
  EXPECT_TRUE(v.ok()) << v.error().message;
  return **v;
}

TEST(SealerTest, EveryBodyTypeRoundTripsAndItsEnvelopeIsValidWithoutTheContent) {
  ASSERT_GE(sodium_init(), 0);
  Keys keys;
  for (fb::Body type : wire::AllBodyTypes()) {
    std::string plain = wire::PackEvent(wire::ExampleEvent(type, NewId(), kCreatedAt));
    const fb::Event& e = Verified(plain);
    auto sealed = SealEvent(e, wire::AsBytes(plain), keys.ThAndKh());
    ASSERT_TRUE(sealed.ok()) << wire::BodyName(type) << ": " << sealed.error().message;
    const fb::Event& envelope = Verified(*sealed);
    ASSERT_TRUE(wire::ValidateEvent(envelope).ok()) << wire::BodyName(type) << ": "
                                                    << wire::ValidateEvent(envelope).error().message;
    EXPECT_EQ(envelope.body_type(), type);
    EXPECT_EQ(envelope.attachments(), nullptr);
    auto opened = OpenEvent(envelope, "kh-node", keys.kh);
    ASSERT_TRUE(opened.ok()) << wire::BodyName(type) << ": " << opened.error().message;
    EXPECT_EQ(*opened, plain) << wire::BodyName(type);
  }
}

TEST(SealerTest, TheVictimsPseudonymIsNotInTheEnvelope) {
  Keys keys;
  std::string plain = Referral(kCanary);
  ASSERT_NE(plain.find(kCanary), std::string::npos);
  auto sealed = SealEvent(Verified(plain), wire::AsBytes(plain), keys.ThAndKh());
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find(kCanary), std::string::npos);
  const fb::Event& envelope = Verified(*sealed);
  EXPECT_EQ(envelope.body_as_ReferralCreated()->victim()->pseudonym()->size(), 0u);
  EXPECT_EQ(envelope.body_as_ReferralCreated()->summary(), nullptr);
  EXPECT_EQ(envelope.schema_version(), kSealedSchemaVersion);
}

TEST(SealerTest, ANodeThatIsNotARecipientCannotOpen) {
  Keys keys;
  std::string plain = Referral(kCanary);
  auto sealed = SealEvent(Verified(plain), wire::AsBytes(plain), keys.ThAndKh());
  ASSERT_TRUE(sealed.ok());
  auto opened = OpenEvent(Verified(*sealed), "vn-node", keys.vn);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(errc::not_a_recipient));
  // Nor with its own key under a recipient's name.
  opened = OpenEvent(Verified(*sealed), "kh-node", keys.vn);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(errc::not_a_recipient));
}

TEST(SealerTest, AnAlteredCiphertextIsTampered) {
  Keys keys;
  std::string plain = Referral(kCanary);
  auto sealed = SealEvent(Verified(plain), wire::AsBytes(plain), keys.ThAndKh());
  ASSERT_TRUE(sealed.ok());
  fb::EventT env;
  Verified(*sealed).UnPackTo(&env);
  env.sealed->ciphertext[10] ^= 1;
  std::string altered = wire::PackEvent(env);
  auto opened = OpenEvent(Verified(altered), "kh-node", keys.kh);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(errc::tampered));
  EXPECT_EQ(opened.error().field, "sealed.ciphertext");
}

TEST(SealerTest, ContentMovedToAnotherEventIdDoesNotDecrypt) {
  Keys keys;
  std::string plain = Referral(kCanary);
  auto sealed = SealEvent(Verified(plain), wire::AsBytes(plain), keys.ThAndKh());
  ASSERT_TRUE(sealed.ok());
  fb::EventT env;
  Verified(*sealed).UnPackTo(&env);
  env.id = std::make_unique<fb::Uuid>(NewId().ToFb());
  auto opened = OpenEvent(Verified(wire::PackEvent(env)), "kh-node", keys.kh);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(errc::tampered));
}

TEST(SealerTest, AnEnvelopeWhoseRoutingWasChangedIsInconsistentNamingTheField) {
  Keys keys;
  std::string plain = Referral(kCanary);
  auto sealed = SealEvent(Verified(plain), wire::AsBytes(plain), keys.ThAndKh());
  ASSERT_TRUE(sealed.ok());
  fb::EventT env;
  Verified(*sealed).UnPackTo(&env);
  env.handling = fb::HandlingCode::H0;
  env.priority = fb::Priority::LifeThreatening;
  auto opened = OpenEvent(Verified(wire::PackEvent(env)), "kh-node", keys.kh);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(errc::inconsistent));
  EXPECT_EQ(opened.error().field, "priority");
}

TEST(SealerTest, ARotatedKeyringStillOpensWhatWasSealedToTheOldKey) {
  Keys keys;
  std::string plain = Referral(kCanary);
  auto sealed = SealEvent(Verified(plain), wire::AsBytes(plain), keys.ThAndKh());
  ASSERT_TRUE(sealed.ok());
  SealKeyring rotated;
  rotated.Add(SealKeyring::Generate());
  rotated.Add(keys.kh.current());
  ASSERT_NE(rotated.current().public_key, keys.kh.current().public_key);
  auto opened = OpenEvent(Verified(*sealed), "kh-node", rotated);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, plain);
  // Without the old key, the old event cannot be opened.
  SealKeyring fresh;
  fresh.Add(rotated.current());
  EXPECT_FALSE(OpenEvent(Verified(*sealed), "kh-node", fresh).ok());
}

TEST(SealerTest, AContentKeyKeptElsewhereOpensACopyWhoseKeyCopiesWereForgotten) {
  Keys keys;
  std::string plain = Referral(kCanary);
  auto sealed = SealEvent(Verified(plain), wire::AsBytes(plain), keys.ThAndKh());
  ASSERT_TRUE(sealed.ok());
  auto key = UnwrapContentKey(Verified(*sealed), "kh-node", keys.kh);
  ASSERT_TRUE(key.ok()) << key.error().message;

  std::string copy = *sealed;
  auto* data = reinterpret_cast<uint8_t*>(copy.data());
  EXPECT_EQ(ForgetKeyCopies({data, copy.size()}, Verified(copy), "kh-node"), 1U);
  EXPECT_NE(copy, *sealed);
  // The node's seal key no longer opens its copy; the kept content key does,
  // and th-node's copy is untouched.
  EXPECT_FALSE(OpenEvent(Verified(copy), "kh-node", keys.kh).ok());
  auto opened = OpenWithContentKey(Verified(copy), *key);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, plain);
  EXPECT_TRUE(OpenEvent(Verified(copy), "th-node", keys.th).ok());
  EXPECT_FALSE(OpenWithContentKey(Verified(copy), SymmetricKey::Random()).ok());
}

TEST(SealerTest, OnlyAddressedContentIsSealed) {
  auto alert = wire::ExampleEvent(fb::Body::AlertPublished, NewId(), kCreatedAt);
  std::string a = wire::PackEvent(alert);
  bool distributed = alert.distribution && alert.distribution->kind != fb::DistributionKind::Addressed;
  EXPECT_EQ(ShouldSeal(Verified(a)), !distributed && !alert.destinations.empty());
  std::string r = wire::PackEvent(wire::ExampleEvent(fb::Body::DeliveryReceipt, NewId(), kCreatedAt));
  EXPECT_FALSE(ShouldSeal(Verified(r)));
  EXPECT_TRUE(ShouldSeal(Verified(Referral(kCanary))));
}

TEST(SealKeyringTest, AKeyFileIsCreatedPrivateAndRotationKeepsTheOldKeys) {
  std::string dir = testing::TempDir() + "/seal-keys-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/seal.key";
  std::filesystem::remove(path);
  auto created = SealKeyring::LoadOrCreate(path);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);
  auto rotated = SealKeyring::Rotate(path);
  ASSERT_TRUE(rotated.ok());
  ASSERT_EQ(rotated->size(), 2u);
  EXPECT_NE(KeyIdOf(rotated->current().public_key), KeyIdOf(created->current().public_key));
  EXPECT_NE(rotated->Find(KeyIdOf(created->current().public_key)), nullptr);
  auto reloaded = SealKeyring::Load(path);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->current().public_key, rotated->current().public_key);
  std::filesystem::permissions(path, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  auto open = SealKeyring::Load(path);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("chmod 600"), std::string::npos);
}

}  // namespace
}  // namespace lintas::seal
