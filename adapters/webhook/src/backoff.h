// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
// Backoff And Jitter"): the wait before retry n is uniform in
// [0, min(max, initial * 2^(n-1))], so that many adapters retrying against
// one recovering endpoint spread out. Thread-safe (thread-local generator).
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>

namespace lintas::webhook {

// The wait before retry `retry` (1 = the first retry), in microseconds.
inline int64_t BackoffUs(uint32_t retry, int64_t initial_us, int64_t max_us) {
  int64_t ceiling = initial_us;
  for (uint32_t i = 1; i < retry && ceiling < max_us; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_us);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // Never less than a tenth of the first wait, so that retries are not a burst.
  return std::uniform_int_distribution<int64_t>(initial_us / 10, std::max(ceiling, initial_us / 10))(rng);
}

}  // namespace lintas::webhook
