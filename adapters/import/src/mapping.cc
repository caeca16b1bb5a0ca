// Loading a mapping file and mapping one record to the API's JSON body.
#include "mapping.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <set>

#include "lintas/common/toml_reader.h"

namespace lintas::importer {
namespace {

using nlohmann::json;

// The fields of POST /v1/referrals and /v1/requests (docs/API.md) that a
// mapping may fill; client_ref is the adapter's own.
const std::set<std::string> kReferralFields = {"to",
                                               "case_id",
                                               "reference",
                                               "victim.pseudonym",
                                               "victim.sex",
                                               "victim.age",
                                               "victim.age_is_estimate",
                                               "victim.minor",
                                               "victim.guardian",
                                               "victim.guardian_relationship",
                                               "victim.nationality",
                                               "victim.languages",
                                               "victim.needs",
                                               "consent",
                                               "exploitation",
                                               "summary",
                                               "priority",
                                               "due",
                                               "handling",
                                               "handling_text",
                                               "language",
                                               "readdresses"};
const std::set<std::string> kRequestFields = {"to",        "case_id",       "reference", "subject",
                                              "questions", "legal_basis",   "priority",  "due",
                                              "handling",  "handling_text", "language"};

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

json TomlToJson(const toml::node& n, const std::string& where) {
  if (auto s = n.value<std::string>(); s && n.is_string()) return *s;
  if (n.is_integer()) return n.value<int64_t>().value_or(0);
  if (n.is_boolean()) return n.value<bool>().value_or(false);
  if (n.is_floating_point()) return n.value<double>().value_or(0.0);
  if (const auto* a = n.as_array()) {
    json out = json::array();
    for (const auto& item : *a) out.push_back(TomlToJson(item, where));
    return out;
  }
  config::Fail(where + ": use a string, number, boolean or list");
}

ValueType TypeNamed(const std::string& name, const std::string& where) {
  if (name == "string") return ValueType::kString;
  if (name == "integer") return ValueType::kInteger;
  if (name == "boolean") return ValueType::kBoolean;
  if (name == "list") return ValueType::kList;
  config::Fail(where + ": must be one of string, integer, boolean, list");
}

FieldRule ParseRule(const std::string& api_field, const toml::node& node,
                    const std::string& where) {
  FieldRule r;
  r.api_field = api_field;
  if (node.is_string()) {  // shorthand: the column's name
    r.column = *node.value<std::string>();
    return r;
  }
  const toml::table* t = node.as_table();
  if (t == nullptr) config::Fail(where + ": use a column name or a table { column = ..., ... }");
  config::CheckKeys(*t, where,
                    {"column", "value", "type", "split", "map", "unmapped", "date_format",
                     "date_offset", "required", "default"});
  r.column = config::Get<std::string>(*t, where, "column", "");
  if (const toml::node* v = t->get("value")) r.value = TomlToJson(*v, where + ".value");
  if (r.column.empty() == !r.value.has_value())
    config::Fail(where + ": give exactly one of column and value");
  if (t->contains("split")) {
    r.split = config::Get<std::string>(*t, where, "split", ",");
    if (r.split.empty()) config::Fail(where + ".split: must not be empty");
    r.type = ValueType::kList;
  }
  if (t->contains("type"))
    r.type = TypeNamed(config::Get<std::string>(*t, where, "type", "string"), where + ".type");
  if (const toml::node* m = t->get("map")) {
    const toml::table* mt = m->as_table();
    if (mt == nullptr)
      config::Fail(where + ".map: must be a table { \"source value\" = \"API value\" }");
    for (const auto& [k, v] : *mt) {
      auto s = v.value<std::string>();
      if (!s || !v.is_string())
        config::Fail(fmt::format("{}.map.{}: must be a string", where, k.str()));
      r.map[std::string(k.str())] = *s;
    }
  }
  std::string unmapped = config::Get<std::string>(*t, where, "unmapped", "error");
  if (unmapped != "error" && unmapped != "keep")
    config::Fail(where + ".unmapped: must be \"error\" or \"keep\"");
  r.keep_unmapped = unmapped == "keep";
  r.date_format = config::Get<std::string>(*t, where, "date_format", "");
  r.date_offset = config::Get<std::string>(*t, where, "date_offset", "");
  if (!r.date_offset.empty() &&
      (r.date_offset.size() != 6 || (r.date_offset[0] != '+' && r.date_offset[0] != '-') ||
       r.date_offset[3] != ':')) {
    config::Fail(where + ".date_offset: use +HH:MM or -HH:MM");
  }
  r.required = config::Get<bool>(*t, where, "required", true);
  if (t->contains("default")) r.fallback = config::Get<std::string>(*t, where, "default", "");
  return r;
}

// A cell (or JSON value) as text; lists are for kList.
std::optional<std::string> AsText(const json& v) {
  if (v.is_null()) return std::string();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  return std::nullopt;
}

// strptime's `format` -> ISO 8601 for the node; nullopt if it does not match.
std::optional<std::string> ConvertDate(const std::string& text, const FieldRule& r) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), r.date_format.c_str(), &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  std::tm check = tm;
  time_t t = timegm(&check);
  if (t == static_cast<time_t>(-1) || check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon)
    return std::nullopt;
  bool timed = false;
  for (const char* spec : {"%H", "%I", "%M", "%S", "%T", "%R"})
    timed = timed || r.date_format.find(spec) != std::string::npos;
  if (!timed && r.date_offset.empty()) {
    return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, r.date_offset);
}

// One item through the value map, the date format and the type.
std::optional<json> Convert(const std::string& item, const FieldRule& r, std::string* problem) {
  std::string v = item;
  if (!r.map.empty()) {
    auto it = r.map.find(v);
    if (it == r.map.end()) {
      for (auto m = r.map.begin(); m != r.map.end() && it == r.map.end(); ++m) {
        if (std::equal(m->first.begin(), m->first.end(), v.begin(), v.end(), [](char a, char b) {
              return std::tolower(static_cast<unsigned char>(a)) ==
                     std::tolower(static_cast<unsigned char>(b));
            })) {
          it = m;
        }
      }
    }
    if (it != r.map.end()) {
      v = it->second;
    } else if (!r.keep_unmapped) {
      std::string keys;
      for (const auto& [k, _] : r.map) keys += (keys.empty() ? "" : ", ") + k;
      *problem = "not one of the mapping's values (" + keys + ")";
      return std::nullopt;
    }
  }
  if (!r.date_format.empty()) {
    auto date = ConvertDate(v, r);
    if (!date) {
      *problem = "not a date in the format \"" + r.date_format + "\"";
      return std::nullopt;
    }
    v = *date;
  }
  if (r.type == ValueType::kInteger) {
    errno = 0;
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || end == nullptr || *end != '\0' || errno == ERANGE) {
      *problem = "not a number";
      return std::nullopt;
    }
    return json(n);
  }
  if (r.type == ValueType::kBoolean) {
    std::string low;
    for (char c : v) low.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (low == "true" || low == "yes" || low == "y" || low == "1") return json(true);
    if (low == "false" || low == "no" || low == "n" || low == "0") return json(false);
    *problem = "not true or false (true/false, yes/no, y/n, 1/0)";
    return std::nullopt;
  }
  return json(v);
}

void Put(json& body, const std::string& dotted, json value) {
  json* at = &body;
  size_t start = 0;
  for (size_t dot = dotted.find('.'); dot != std::string::npos; dot = dotted.find('.', start)) {
    at = &(*at)[dotted.substr(start, dot - start)];
    start = dot + 1;
  }
  (*at)[dotted.substr(start)] = std::move(value);
}

// The items of a cell: one, or the pieces of a list.
std::optional<std::vector<std::string>> Items(const json& raw, const FieldRule& r) {
  std::vector<std::string> items;
  if (raw.is_array()) {
    if (r.type != ValueType::kList) return std::nullopt;
    for (const auto& e : raw) {
      auto t = AsText(e);
      if (!t) return std::nullopt;
      if (!Trim(*t).empty()) items.push_back(Trim(*t));
    }
    return items;
  }
  auto text = AsText(raw);
  if (!text) return std::nullopt;
  if (r.type != ValueType::kList) {
    if (!Trim(*text).empty()) items.push_back(Trim(*text));
    return items;
  }
  size_t start = 0;
  while (start <= text->size()) {
    size_t sep = text->find(r.split, start);
    std::string piece = Trim(std::string_view(*text).substr(
        start, sep == std::string::npos ? std::string::npos : sep - start));
    if (!piece.empty()) items.push_back(piece);
    if (sep == std::string::npos) break;
    start = sep + r.split.size();
  }
  return items;
}

void ApplyRule(const FieldRule& r, const json& record, Mapped& out) {
  if (r.value) return Put(out.body, r.api_field, *r.value);
  auto fail = [&](std::string message) {
    out.errors.push_back(CellError{r.column, r.api_field, std::move(message)});
  };
  const json* cell = Lookup(record, r.column);
  json raw = cell ? *cell : json(nullptr);
  auto items = Items(raw, r);
  if (!items)
    return fail(raw.is_array() ? "is a list (set type = \"list\")" : "is not a plain value");
  if (items->empty() && r.fallback) items = Items(json(*r.fallback), r);
  if (items->empty()) {
    if (r.required) fail("is empty");
    return;
  }
  json converted = json::array();
  for (const auto& item : *items) {
    std::string problem;
    auto v = Convert(item, r, &problem);
    if (!v) return fail(problem);
    converted.push_back(std::move(*v));
  }
  Put(out.body, r.api_field, r.type == ValueType::kList ? converted : converted[0]);
}

}  // namespace

const json* Lookup(const json& record, const std::string& column) {
  if (!record.is_object()) return nullptr;
  if (auto it = record.find(column); it != record.end()) return &*it;
  const json* at = &record;
  size_t start = 0;
  while (true) {
    size_t dot = column.find('.', start);
    std::string key =
        column.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
    if (dot == std::string::npos) return at;
    start = dot + 1;
  }
}

const FieldRule* Mapping::RuleFor(std::string api_field) const {
  if (auto bracket = api_field.find('['); bracket != std::string::npos) api_field.resize(bracket);
  for (const auto& r : fields) {
    if (r.api_field == api_field) return &r;
  }
  for (const auto& r : fields) {  // "victim" when a nested field is to blame
    if (r.api_field.rfind(api_field + ".", 0) == 0) return &r;
  }
  return nullptr;
}

Mapping ParseMapping(const std::string& text, const std::string& where) {
  toml::table t = config::Parse(text);
  config::CheckKeys(t, where,
                    {"kind", "format", "id", "id_prefix", "delimiter", "records", "fields"});
  Mapping m;
  m.kind = config::Get<std::string>(t, where, "kind", "");
  if (m.kind == "referral") {
    m.route = "/v1/referrals";
  } else if (m.kind == "request") {
    m.route = "/v1/requests";
  } else {
    config::Fail(where + ": kind: must be \"referral\" or \"request\"");
  }
  m.format = config::Get<std::string>(t, where, "format", "");
  if (!m.format.empty() && m.format != "csv" && m.format != "json")
    config::Fail(where + ": format: must be csv or json");
  m.id_column = config::Get<std::string>(t, where, "id", "");
  if (m.id_column.empty())
    config::Fail(where + ": id: required (the column that holds each row's stable id)");
  m.id_prefix = config::Get<std::string>(t, where, "id_prefix", "");
  std::string delimiter = config::Get<std::string>(t, where, "delimiter", ",");
  if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n") {
    config::Fail(where + ": delimiter: one character (not a quote or a line break)");
  }
  m.delimiter = delimiter[0];
  m.records = config::Get<std::string>(t, where, "records", "");
  const toml::table* fields = t["fields"].as_table();
  if (fields == nullptr || fields->empty())
    config::Fail(where + ": [fields]: required (API field = column)");
  const auto& known = m.kind == "referral" ? kReferralFields : kRequestFields;
  for (const auto& [key, node] : *fields) {
    std::string api_field(key.str());
    std::string at = where + ": fields." + api_field;
    if (!known.count(api_field)) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      config::Fail(at + ": not a field of POST " + m.route + " (" + list + ")");
    }
    m.fields.push_back(ParseRule(api_field, node, at));
  }
  return m;
}

Mapping LoadMapping(const std::string& path) { return ParseMapping(config::ReadFile(path), path); }

Mapped ApplyMapping(const Mapping& mapping, const json& record) {
  Mapped out;
  const json* id = Lookup(record, mapping.id_column);
  auto id_text = id ? AsText(*id) : std::optional<std::string>();
  if (!id_text || Trim(*id_text).empty()) {
    out.errors.push_back(
        CellError{mapping.id_column, "client_ref", "is empty (the row's stable id is required)"});
  } else {
    out.row_id = Trim(*id_text);
    if (mapping.id_prefix.size() + out.row_id.size() > 128) {
      out.errors.push_back(
          CellError{mapping.id_column, "client_ref", "is longer than 128 bytes with its prefix"});
    }
    out.body["client_ref"] = mapping.id_prefix + out.row_id;
  }
  for (const auto& r : mapping.fields) ApplyRule(r, record, out);
  return out;
}

}  // namespace lintas::importer
