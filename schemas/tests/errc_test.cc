// The wire error codes: stable numbers, a name for each, and which ones a
// sender may retry unchanged (docs/PROTOCOL.md section 7).
#include "lintas/wire/errc.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace lintas::wire {
namespace {

// The last code; raise it when a code is appended.
constexpr uint16_t kLastCode = 22;

TEST(ErrcTest, NumbersOnTheWireNeverChange) {
  // Appended codes only: each number means one thing forever.
  EXPECT_EQ(static_cast<uint16_t>(errc::malformed_message), 1);
  EXPECT_EQ(static_cast<uint16_t>(errc::wrong_identifier), 5);
  EXPECT_EQ(static_cast<uint16_t>(errc::event_invalid), 7);
  EXPECT_EQ(static_cast<uint16_t>(errc::overloaded), 14);
  EXPECT_EQ(static_cast<uint16_t>(errc::not_found), 20);
  EXPECT_EQ(static_cast<uint16_t>(errc::too_many_subscriptions), 21);
  EXPECT_EQ(static_cast<uint16_t>(errc::log_damaged), kLastCode);
}

TEST(ErrcTest, EveryCodeHasItsOwnName) {
  std::set<std::string> names;
  for (uint16_t code = 0; code <= kLastCode; ++code) {
    std::string name(ErrcName(static_cast<errc>(code)));
    EXPECT_NE(name, "unknown") << code;
    EXPECT_TRUE(names.insert(name).second) << name << " twice";
  }
  EXPECT_EQ(ErrcName(static_cast<errc>(kLastCode + 1)), "unknown");
  EXPECT_EQ(ErrcName(errc::too_many_subscriptions), "too_many_subscriptions");
}

// A refusal that can never succeed must not be marked retryable, or a node
// would retry it forever.
TEST(ErrcTest, TheSubscriptionCapIsNotRetryable) {
  EXPECT_FALSE(IsRetryable(errc::too_many_subscriptions));
  EXPECT_TRUE(IsRetryable(errc::overloaded));
  EXPECT_TRUE(IsRetryable(errc::storage_error));
  EXPECT_FALSE(IsRetryable(errc::event_invalid));
  // A damaged log refuses until an operator acts; the node keeps the event.
  EXPECT_TRUE(IsRetryable(errc::log_damaged));
}

}  // namespace
}  // namespace lintas::wire
