// Event ids: UUIDv7 layout, ordering, text form.
#include "lintas/wire/event_id.h"

#include <set>

#include <gtest/gtest.h>

namespace lintas::wire {
namespace {

TEST(EventIdTest, GeneratedIdsAreV7AndCarryTheirMillisecond) {
  EventIdGenerator gen;
  EventId id = gen.NextAt(1795000000123);
  EXPECT_TRUE(id.IsV7());
  EXPECT_EQ(id.UnixMillis(), 1795000000123);
}

TEST(EventIdTest, IdsFromOneGeneratorStrictlyIncreaseWithinAMillisecond) {
  EventIdGenerator gen;
  EventId prev = gen.NextAt(1795000000000);
  // More than the 12-bit counter holds: the generator must borrow a millisecond.
  for (int i = 0; i < 10000; ++i) {
    EventId next = gen.NextAt(1795000000000);
    ASSERT_LT(prev, next) << "at " << i;
    ASSERT_TRUE(next.IsV7());
    prev = next;
  }
}

TEST(EventIdTest, ClockGoingBackwardsNeverProducesASmallerId) {
  EventIdGenerator gen;
  EventId late = gen.NextAt(1795000005000);
  EventId after = gen.NextAt(1795000000000);
  EXPECT_LT(late, after);
}

TEST(EventIdTest, TextFormRoundTrips) {
  EventIdGenerator gen;
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    EventId id = gen.Next();
    std::string text = id.ToString();
    ASSERT_EQ(text.size(), 36u);
    EXPECT_EQ(text[14], '7');
    auto parsed = EventId::Parse(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(*parsed, id);
    seen.insert(text);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(EventIdTest, ParseRefusesMalformedText) {
  EXPECT_FALSE(EventId::Parse("").ok());
  EXPECT_FALSE(EventId::Parse("0190b8d4-7a2c-7def-8123-45678").ok());
  EXPECT_FALSE(EventId::Parse("0190b8d4x7a2c-7def-8123-456789abcdef").ok());
  EXPECT_FALSE(EventId::Parse("0190b8d4-7a2c-7def-8123-456789abcdeg").ok());
}

TEST(EventIdTest, FlatBuffersStructRoundTrips) {
  EventIdGenerator gen;
  EventId id = gen.Next();
  EXPECT_EQ(EventId::FromFb(id.ToFb()), id);
}

}  // namespace
}  // namespace lintas::wire
