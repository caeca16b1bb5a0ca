// Event ids: UUIDv7 layout, ordering, text form.
#include "lintas/wire/event_id.h"

#include <set>

#include <sys/wait.h>
#include <unistd.h>

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

TEST(EventIdTest, RandomBitsDoNotRepeatAcrossManyIds) {
  // Past several refills of the generator's pool of random bytes.
  EventIdGenerator gen;
  std::set<std::array<uint8_t, 8>> tails;
  for (int i = 0; i < 2000; ++i) {
    EventId id = gen.NextAt(1795000000000 + i);  // a new millisecond each: a fresh random counter too
    std::array<uint8_t, 8> tail;
    std::copy(id.bytes().begin() + 8, id.bytes().end(), tail.begin());
    ASSERT_TRUE(tails.insert(tail).second) << "random bits repeated at id " << i;
  }
}

TEST(EventIdTest, AForkedChildDoesNotRepeatItsParentsIds) {
  // Parent and child share the generator's state (millisecond, counter) at
  // the fork; only fresh random bits keep their next ids apart.
  EventIdGenerator gen;
  (void)gen.NextAt(1795000000000);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    for (int i = 0; i < 4; ++i) {
      EventId id = gen.NextAt(1795000001000);
      if (write(fds[1], id.bytes().data(), id.bytes().size()) != static_cast<ssize_t>(id.bytes().size())) _exit(1);
    }
    _exit(0);
  }
  close(fds[1]);
  std::set<EventId> parents;
  for (int i = 0; i < 4; ++i) parents.insert(gen.NextAt(1795000001000));
  int received = 0;
  std::array<uint8_t, EventId::kSize> bytes;
  while (read(fds[0], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size())) {
    ++received;
    EXPECT_EQ(parents.count(EventId(bytes)), 0u) << "the child repeated its parent's id " << EventId(bytes).ToString();
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(received, 4);
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
