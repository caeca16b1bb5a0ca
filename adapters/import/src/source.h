// An export file read into rows: a CSV file (its header names the columns)
// or a JSON file (an array of objects, or one found at the mapping's
// `records` path). Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lintas/common/result.h"
#include "mapping.h"

namespace lintas::importer {

struct Row {
  size_t number = 0;      // 1-based, the header not counted
  size_t line = 0;        // CSV: the line it starts on; JSON: 0
  nlohmann::json record;  // CSV: {column: cell}; JSON: the record
};

// A problem with one row, for the report.
struct RowError {
  size_t row = 0;   // 0: the file as a whole
  size_t line = 0;  // 0: not known
  std::string column;
  std::string api_field;
  std::string message;
};

// "row 7 (line 8), column "victim_age": not a number".
std::string Describe(const RowError& e);

struct Source {
  std::vector<std::string> columns;  // the CSV header; empty for JSON
  std::vector<Row> rows;
  std::vector<RowError> errors;  // rows that could not be read (wrong field count, not UTF-8)
};

// "csv" or "json": the mapping's format, else the file's extension.
[[nodiscard]] Result<std::string> FormatOf(const std::string& path, const Mapping& mapping);

// Reads `text` (the file's contents) as the mapping says. An error is about
// the whole file (not CSV, not JSON, no header, a column the mapping names
// missing from the header); a bad row is listed in Source::errors.
[[nodiscard]] Result<Source> ReadSource(const std::string& text, const std::string& format,
                                        const Mapping& mapping);

}  // namespace lintas::importer
