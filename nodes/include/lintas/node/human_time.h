// Times and durations as people write them: "3d", "8h", "90m", "1w",
// "2026-12-09", "2026-12-09T10:00", "2026-12-09T10:00+07:00", "...Z".
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace lintas::node {

// "3d" -> microseconds (units ms, s, m, h, d, w, y = 365 d; "1d12h" combines). nullopt if
// malformed or not positive.
std::optional<int64_t> ParseDuration(const std::string& text);

// An absolute time: a duration from `now_us` ("3d"), or an ISO 8601 date or
// date-time (without an offset: UTC). nullopt if malformed.
std::optional<int64_t> ParseWhen(const std::string& text, int64_t now_us);

// What ParseWhen accepts, for error messages.
inline constexpr const char* kWhenHelp =
    "a duration (8h, 3d, 1w) or a date and time (2026-12-09, 2026-12-09T10:00+07:00)";

}  // namespace lintas::node
