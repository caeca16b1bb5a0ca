// Unit tests of the load generator's events: the regional alert of --fanout
// and the pre-sealed pool of --sealed are events a broker accepts and an
// addressee can open, not look-alikes.
#include <gtest/gtest.h>

#include <set>

#include "../event_template.h"
#include "../sealed_pool.h"
#include "lintas/seal/sealer.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

namespace lintas::bench {
namespace {

const fb::Event* Verified(const std::string& bytes) {
  auto e = wire::VerifyEvent(wire::AsBytes(bytes));
  EXPECT_TRUE(e.ok());
  return e.ok() ? *e : nullptr;
}

TEST(RegionalAlertTemplate, IsAValidRegionalAlertWithANewIdAndAStampAfterPatch) {
  EventTemplate t = EventTemplate::RegionalAlert("THA", "th-bench-p0", 1024);
  EXPECT_NEAR(static_cast<double>(t.bytes().size()), 1024, 64);
  ASSERT_TRUE(t.stamped());
  std::string event = t.bytes();
  wire::EventIdGenerator ids;
  wire::EventId id = ids.Next();
  t.Patch(event, id, 123456789);
  const fb::Event* e = Verified(event);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(wire::ValidateEvent(*e).ok());
  EXPECT_EQ(e->body_type(), fb::Body::AlertPublished);
  ASSERT_NE(e->distribution(), nullptr);
  EXPECT_EQ(e->distribution()->kind(), fb::DistributionKind::Regional);
  EXPECT_FALSE(seal::ShouldSeal(*e));  // nodes do not seal distributed events either
  EXPECT_EQ(wire::EventId::FromFb(*e->id()).bytes(), id.bytes());
  auto stamp = FindStamp(wire::AsBytes(event));
  ASSERT_TRUE(stamp.has_value());
  EXPECT_EQ(*stamp, 123456789);
}

TEST(SealedPool, EachEventHasItsOwnIdAndOpensForTheAddresseeAndTheSender) {
  seal::SealKeyring addressee_a, addressee_b, sender;
  addressee_a.Add(seal::SealKeyring::Generate());
  addressee_b.Add(seal::SealKeyring::Generate());
  sender.Add(seal::SealKeyring::Generate());
  std::vector<SealTarget> to{{"KHM", "kh-bench-s0", "bench-s0", addressee_a.current().public_key},
                             {"KHM", "kh-bench-s1", "bench-s1", addressee_b.current().public_key}};
  auto pool =
      BuildSealedPool("THA", "th-bench-p0", "bench-p0", sender.current().public_key, to, 5, 1024);
  ASSERT_TRUE(pool.ok()) << pool.error().message;
  ASSERT_EQ(pool->per_destination.size(), 2u);
  EXPECT_EQ(pool->per_destination[0].size(), 3u);
  EXPECT_EQ(pool->per_destination[1].size(), 2u);
  EXPECT_GT(pool->AverageBytes(), 1024 + 400);  // two key copies and the AEAD's overhead
  std::set<std::string> ids;
  for (size_t d = 0; d < 2; ++d) {
    const seal::SealKeyring& keys = d == 0 ? addressee_a : addressee_b;
    for (const auto& bytes : pool->per_destination[d]) {
      const fb::Event* envelope = Verified(bytes);
      ASSERT_NE(envelope, nullptr);
      ASSERT_NE(envelope->sealed(), nullptr);
      EXPECT_TRUE(ids.insert(wire::EventId::FromFb(*envelope->id()).ToString()).second);
      EXPECT_EQ(envelope->destinations()->Get(0)->agency()->str(), to[d].agency);
      EXPECT_TRUE(seal::OpenEvent(*envelope, to[d].node, keys).ok());
      EXPECT_TRUE(seal::OpenEvent(*envelope, "bench-p0", sender).ok());
    }
  }
}

}  // namespace
}  // namespace lintas::bench
