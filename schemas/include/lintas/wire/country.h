// Country codes: ISO 3166-1 alpha-3, plus the regional pseudo-codes.
#pragma once

#include <string_view>

namespace lintas::wire {

// Regional oversight body (agencies.csv); not an ISO code.
inline constexpr std::string_view kRegionalCode = "ASE";

// True for an assigned ISO 3166-1 alpha-3 code ("THA", "KHM"). Thread-safe.
bool IsCountryCode(std::string_view code);

// True for a country code or a regional pseudo-code: who may be a party.
inline bool IsPartyCode(std::string_view code) {
  return code == kRegionalCode || IsCountryCode(code);
}

}  // namespace lintas::wire
