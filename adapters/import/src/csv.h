// RFC 4180 CSV: quoted fields with doubled quotes, delimiters and line breaks
// inside quotes, CRLF or LF line ends, a UTF-8 byte order mark. Pure
// functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lintas/common/result.h"

namespace lintas::importer {

struct CsvRecord {
  size_t line = 0;  // the line of the file where the record starts (1-based)
  std::vector<std::string> fields;
};

// Every record of `text` (a leading BOM is skipped; blank lines are
// skipped). Errors name the line: a quote that is never closed, a quote in
// the middle of an unquoted field, text after a closing quote.
[[nodiscard]] Result<std::vector<CsvRecord>> ParseCsv(std::string_view text, char delimiter = ',');

// Whether `s` is well-formed UTF-8 (no overlong forms, no surrogates).
bool IsUtf8(std::string_view s);

}  // namespace lintas::importer
