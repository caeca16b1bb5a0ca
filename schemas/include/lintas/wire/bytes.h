// Byte views of string buffers.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace lintas::wire {

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace lintas::wire
