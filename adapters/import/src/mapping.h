// The mapping file: which column (CSV) or field (JSON) of a case system's
// export fills which field of POST /v1/referrals or /v1/requests, with
// constants and simple transforms (value maps, list splits, date formats),
// and which column holds each row's stable id. README.md documents every
// key and its default. Loading throws ConfigError; applying is pure and
// thread-safe.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lintas::importer {

enum class ValueType { kString, kInteger, kBoolean, kList };

// One API field and where its value comes from.
struct FieldRule {
  std::string api_field;                // "priority", "victim.age" (dotted: nested object)
  std::string column;                   // the source column / JSON field; empty for a constant
  std::optional<nlohmann::json> value;  // a constant instead of a column
  // Default: "string", or "list" when `split` is set.
  ValueType type = ValueType::kString;
  // The separator of a list held in one cell. Default: "," (for type "list")
  std::string split = ",";
  // Source value -> API value (each item of a list). Default: none
  std::map<std::string, std::string> map;
  // A value the map lacks: an error ("error") or kept as it is ("keep").
  // Default: "error"
  bool keep_unmapped = false;
  // strptime(3) format of a date or time cell ("%d/%m/%Y"), rewritten as
  // ISO 8601. Default: "" (the cell is passed as written)
  std::string date_format;
  // UTC offset appended to a converted date-time ("+07:00"). Default: "" (UTC)
  std::string date_offset;
  // An empty cell is an error (true) or leaves the field out (false).
  // Default: true
  bool required = true;
  // The value used for an empty cell. Default: none
  std::optional<std::string> fallback;
};

struct Mapping {
  std::string kind;   // "referral" or "request" (required)
  std::string route;  // derived: /v1/referrals or /v1/requests
  // "csv" or "json". Default: "" (from the file's extension)
  std::string format;
  // The column / JSON field that holds each row's stable id (required).
  std::string id_column;
  // Put before every row id to form the client_ref (to keep two exports'
  // ids apart). Default: ""
  std::string id_prefix;
  // CSV field separator (one character). Default: ","
  char delimiter = ',';
  // JSON: the dotted path of the array of records. Default: "" (the
  // document itself is the array)
  std::string records;
  std::vector<FieldRule> fields;

  // The source column of an API field the node names in an error
  // ("to[1]" -> the rule of "to"); nullptr when no rule matches.
  const FieldRule* RuleFor(std::string api_field) const;
};

// Reads and checks a mapping file (unknown keys, unknown API fields, a rule
// with both or neither of column and value). Throws ConfigError.
Mapping LoadMapping(const std::string& path);
Mapping ParseMapping(const std::string& text, const std::string& where);

// One cell that could not be mapped.
struct CellError {
  std::string column;     // source column; empty for a row-level problem
  std::string api_field;  // the API field it was meant for
  std::string message;    // without the value (it may be victim data)
};

// A record mapped to the API's JSON body.
struct Mapped {
  nlohmann::json body = nlohmann::json::object();
  std::string row_id;  // the stable id, as written
  std::vector<CellError> errors;
};

// Maps one record (a JSON object: a CSV row is an object of strings keyed by
// the header). Every problem of the row is collected, not only the first.
Mapped ApplyMapping(const Mapping& mapping, const nlohmann::json& record);

// The field of `record` at `column`: the key itself, else a dotted path
// into nested objects. nullptr when absent.
const nlohmann::json* Lookup(const nlohmann::json& record, const std::string& column);

}  // namespace lintas::importer
