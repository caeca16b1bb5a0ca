// CSV parsing (RFC 4180) and the UTF-8 check.
#include "csv.h"

#include <fmt/format.h>

#include "errc.h"

namespace lintas::importer {
namespace {

Error At(size_t line, const std::string& what) {
  return MakeError(errc::bad_input, fmt::format("line {}: {}", line, what));
}

}  // namespace

Result<std::vector<CsvRecord>> ParseCsv(std::string_view text, char delimiter) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<CsvRecord> out;
  CsvRecord record;
  std::string field;
  size_t line = 1;
  size_t i = 0;
  bool quoted = false;      // inside a quoted field
  bool was_quoted = false;  // the current field was quoted (and is closed)
  bool any = false;         // the record has content (not a blank line)
  size_t quote_line = 0;
  record.line = 1;
  auto end_field = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
    was_quoted = false;
  };
  auto end_record = [&] {
    if (any) {
      end_field();
      out.push_back(std::move(record));
    }
    record = CsvRecord{};
    field.clear();
    was_quoted = false;
    any = false;
  };
  while (i < text.size()) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          i += 2;
          continue;
        }
        quoted = false;
        was_quoted = true;
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      ++i;
      continue;
    }
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (c == '\n' || c == '\r') {
      end_record();
      ++line;
      record.line = line;
      ++i;
      continue;
    }
    any = true;
    if (c == delimiter) {
      end_field();
    } else if (c == '"') {
      if (!field.empty())
        return At(
            line,
            "a quote inside an unquoted field (quote the whole field, doubling inner quotes)");
      if (was_quoted)
        return At(line, "a quote after a closing quote (write \"\" for a quote inside a field)");
      quoted = true;
      quote_line = line;
    } else {
      if (was_quoted) return At(line, "text after a closing quote (put the whole field in quotes)");
      field.push_back(c);
    }
    ++i;
  }
  if (quoted) return At(quote_line, "a quoted field is never closed");
  end_record();
  return out;
}

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      n = 1;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace lintas::importer
