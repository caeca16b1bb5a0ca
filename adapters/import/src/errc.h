// The import adapter's error codes (lintas::importer::errc).
#pragma once

#include <string>
#include <system_error>

#include "lintas/common/result.h"

namespace lintas::importer {

enum class errc {
  success = 0,
  bad_input = 1,    // a file or a row that cannot be read or mapped
  rejected = 2,     // the node refused a row (4xx)
  unreachable = 3,  // no answer from the node
  node_failed = 4,  // the node answered 5xx or something unreadable
};

const std::error_category& ImportCategory();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), ImportCategory()}; }

inline Error MakeError(errc code, std::string message, std::string field = {}) {
  return Error{make_error_code(code), std::move(message), std::move(field)};
}

}  // namespace lintas::importer

template <>
struct std::is_error_code_enum<lintas::importer::errc> : std::true_type {};
