// Errors of sealed content. Stable names, for logs and the node's API.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace lintas::seal {

enum class errc : uint16_t {
  success = 0,
  key_unusable = 1,           // a key file or key is missing, malformed or too open
  not_a_recipient = 2,        // the event holds no copy of its key for this node's keys
  tampered = 3,               // a key copy or the content does not decrypt (altered or forged)
  inconsistent = 4,           // the sealed event differs from its clear envelope (names the field)
  directory_unavailable = 5,  // no signed directory from the broker yet; retry once connected
  no_recipient_key = 6,       // an addressee's node has announced no seal key
  directory_invalid = 7,      // the directory document or its signature does not verify
};

std::string_view ErrcName(errc code);
const std::error_category& SealCategory();

inline std::error_code make_error_code(errc e) {  // NOLINT(readability-identifier-naming)
  return {static_cast<int>(e), SealCategory()};
}

}  // namespace lintas::seal

template <>
struct std::is_error_code_enum<lintas::seal::errc> : std::true_type {};
