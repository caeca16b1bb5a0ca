// Crc32c: the published check values, continuation, and a flipped bit.
#include "lintas/common/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace lintas {
namespace {

TEST(Crc32cTest, MatchesThePublishedCheckValues) {
  // RFC 3720 appendix B.4 and the CRC catalogue's "123456789" check value.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32cTest, ContinuingGivesTheCrcOfTheWhole) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  for (size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u, 1000u}) {
    std::string_view all(data);
    EXPECT_EQ(Crc32c(all.substr(cut), Crc32c(all.substr(0, cut))), Crc32c(all)) << "cut at " << cut;
  }
}

TEST(Crc32cTest, ASingleFlippedBitChangesIt) {
  std::string data(1024, 'x');
  uint32_t before = Crc32c(data);
  data[517] ^= 0x10;
  EXPECT_NE(Crc32c(data), before);
}

}  // namespace
}  // namespace lintas
