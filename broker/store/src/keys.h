// Key encodings shared by the store implementations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lintas::store::keys {

inline void AppendBe64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

inline std::string Be64(uint64_t v) {
  std::string out;
  out.reserve(8);
  AppendBe64(&out, v);
  return out;
}

inline uint64_t DecodeBe64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

// Signed time as an order-preserving unsigned value.
inline uint64_t TimeOrder(int64_t us) { return static_cast<uint64_t>(us) ^ (1ULL << 63); }
inline int64_t TimeFromOrder(uint64_t v) { return static_cast<int64_t>(v ^ (1ULL << 63)); }

// A key prefix that cannot be a prefix of another key: one length byte, then
// the key (at most 255 bytes; longer keys are cut, which only widens a scan
// that then filters on the record).
inline std::string Prefix(std::string_view key) {
  if (key.size() > 255) key = key.substr(0, 255);
  std::string out;
  out.reserve(1 + key.size() + 8);
  out.push_back(static_cast<char>(key.size()));
  out.append(key);
  return out;
}

}  // namespace lintas::store::keys
