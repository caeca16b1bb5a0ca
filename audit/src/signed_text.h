// The signed texts' common form (checkpoints, receipt statements): a header
// line, then one "key value" line per field in a fixed order, every line
// ending in a newline. Internal to lintas::audit.
#pragma once

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "lintas/common/result.h"

namespace lintas::audit::internal {

inline Error Bad(const std::string& message) {
  return Error{std::make_error_code(std::errc::invalid_argument), message};
}

inline bool ParseU64(std::string_view text, uint64_t* out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && p == text.data() + text.size() && !text.empty();
}

// The values of `keys` (each followed by one space) in `body` after the line
// `header`; errors name `what` ("checkpoint", "receipt") and the line.
inline Result<std::vector<std::string_view>> ParseFields(std::string_view body, std::string_view what,
                                                         std::string_view header,
                                                         std::initializer_list<std::string_view> keys) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < body.size()) {
    size_t nl = body.find('\n', start);
    if (nl == std::string_view::npos) return Bad(fmt::format("{}: the last line does not end in a newline", what));
    lines.push_back(body.substr(start, nl - start));
    start = nl + 1;
  }
  if (lines.size() != keys.size() + 1 || lines[0] != header) {
    return Bad(fmt::format("{}: not a {} of {} lines", what, header, keys.size() + 1));
  }
  std::vector<std::string_view> values;
  size_t i = 1;
  for (std::string_view key : keys) {
    std::string_view line = lines[i];
    if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ' ') {
      return Bad(fmt::format("{} line {}: expected '{} '", what, i + 1, key));
    }
    values.push_back(line.substr(key.size() + 1));
    ++i;
  }
  return values;
}

}  // namespace lintas::audit::internal
