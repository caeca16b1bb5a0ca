// Escaping of log messages, so that text a peer sent (an Error's message, a
// node id, a subscription name) can never start a log line of its own or
// hide what follows it.
#pragma once

#include <string>
#include <string_view>

namespace lintas {

// Appends `s` to `out` with line breaks, C0 and C1 controls, DEL, and the
// Unicode bidi controls and line/paragraph separators written as escapes
// (\n, \x1B or \u001B, \u202E). With `json`, the result is also a valid JSON
// string body (quotes and backslashes escaped). Other bytes, UTF-8 included,
// pass through unchanged. Thread-safe (pure).
void AppendEscaped(std::string_view s, bool json, std::string* out);
std::string Escaped(std::string_view s, bool json);

}  // namespace lintas
