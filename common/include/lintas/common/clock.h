// Wall-clock time as the wire carries it: Unix microseconds, UTC.
#pragma once

#include <cstdint>
#include <string>

namespace lintas {

// Microseconds since the Unix epoch, UTC. Thread-safe.
int64_t NowMicros();

// "2026-11-28T19:04:05.123456Z". Thread-safe.
std::string FormatMicros(int64_t micros);

}  // namespace lintas
