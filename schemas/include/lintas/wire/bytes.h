// Byte views of string buffers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace lintas::wire {

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Lower-case hex of `bytes` (two digits a byte).
inline std::string ToHex(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}
inline std::string ToHex(std::string_view bytes) { return ToHex(AsBytes(bytes)); }

}  // namespace lintas::wire
