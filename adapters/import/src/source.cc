// Reading CSV and JSON exports into rows.
#include "source.h"

#include <fmt/format.h>

#include <cctype>
#include <set>

#include "csv.h"
#include "errc.h"

namespace lintas::importer {
namespace {

using nlohmann::json;

Result<Source> ReadCsv(const std::string& text, const Mapping& mapping) {
  auto records = ParseCsv(text, mapping.delimiter);
  if (!records.ok()) return std::move(records).error();
  if (records->empty())
    return MakeError(errc::bad_input, "no header line (the first line names the columns)");
  Source out;
  const CsvRecord& header = records->front();
  std::set<std::string> seen;
  for (const auto& name : header.fields) {
    if (!IsUtf8(name))
      return MakeError(errc::bad_input, "line 1: a column name is not valid UTF-8");
    if (!seen.insert(name).second)
      return MakeError(errc::bad_input, fmt::format("line 1: column \"{}\" appears twice", name));
    out.columns.push_back(name);
  }
  std::vector<std::string> needed = {mapping.id_column};
  for (const auto& r : mapping.fields) {
    if (!r.column.empty()) needed.push_back(r.column);
  }
  for (const auto& c : needed) {
    if (!seen.count(c))
      return MakeError(errc::bad_input,
                       fmt::format("the header has no column \"{}\" (the mapping names it)", c));
  }
  for (size_t i = 1; i < records->size(); ++i) {
    const CsvRecord& rec = (*records)[i];
    Row row{i, rec.line, json::object()};
    if (rec.fields.size() != header.fields.size()) {
      out.errors.push_back(RowError{
          i, rec.line, "", "",
          fmt::format("{} fields, the header has {}", rec.fields.size(), header.fields.size())});
      continue;
    }
    bool utf8 = true;
    for (size_t c = 0; c < rec.fields.size(); ++c) {
      if (!IsUtf8(rec.fields[c])) {
        out.errors.push_back(RowError{i, rec.line, header.fields[c], "",
                                      "not valid UTF-8 (save the export as UTF-8)"});
        utf8 = false;
        continue;
      }
      row.record[header.fields[c]] = rec.fields[c];
    }
    if (utf8) out.rows.push_back(std::move(row));
  }
  return out;
}

Result<Source> ReadJson(const std::string& text, const Mapping& mapping) {
  std::string_view body = text;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return MakeError(errc::bad_input, "not valid JSON (or not UTF-8)");
  const json* records = &doc;
  if (!mapping.records.empty()) {
    records = Lookup(doc, mapping.records);
    if (records == nullptr)
      return MakeError(errc::bad_input,
                       "no \"" + mapping.records + "\" in the document (mapping: records)");
  }
  if (!records->is_array()) {
    return MakeError(errc::bad_input,
                     mapping.records.empty()
                         ? "the document is not an array of records (set records in the mapping)"
                         : "\"" + mapping.records + "\" is not an array of records");
  }
  Source out;
  for (size_t i = 0; i < records->size(); ++i) {
    const json& rec = (*records)[i];
    if (!rec.is_object()) {
      out.errors.push_back(RowError{i + 1, 0, "", "", "not an object"});
      continue;
    }
    out.rows.push_back(Row{i + 1, 0, rec});
  }
  return out;
}

}  // namespace

std::string Describe(const RowError& e) {
  std::string out = e.row == 0 ? "file" : fmt::format("row {}", e.row);
  if (e.line > 0) out += fmt::format(" (line {})", e.line);
  if (!e.column.empty()) {
    out += fmt::format(", column \"{}\"", e.column);
    if (!e.api_field.empty() && e.api_field != e.column) out += fmt::format(" ({})", e.api_field);
  } else if (!e.api_field.empty()) {
    out += fmt::format(", field \"{}\"", e.api_field);
  }
  return out + ": " + e.message;
}

Result<std::string> FormatOf(const std::string& path, const Mapping& mapping) {
  if (!mapping.format.empty()) return mapping.format;
  auto ends = [&](const char* ext) {
    std::string e = ext;
    if (path.size() < e.size()) return false;
    std::string tail = path.substr(path.size() - e.size());
    for (auto& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return tail == e;
  };
  if (ends(".csv")) return std::string("csv");
  if (ends(".json")) return std::string("json");
  return MakeError(errc::bad_input, path + ": neither .csv nor .json (set format in the mapping)");
}

Result<Source> ReadSource(const std::string& text, const std::string& format,
                          const Mapping& mapping) {
  return format == "csv" ? ReadCsv(text, mapping) : ReadJson(text, mapping);
}

}  // namespace lintas::importer
