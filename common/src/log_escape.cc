// Escaping of log messages: one line per record, whatever a peer sent.
#include "lintas/common/log_escape.h"

#include <cstdio>

namespace lintas {
namespace {

void Hex(std::string* out, const char* prefix, unsigned value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%s%0*X", prefix, digits, value);
  out->append(buf);
}

// The length of a bidi control or C1 control starting at s[i] (UTF-8), or 0.
size_t InvisibleControl(std::string_view s, size_t i, unsigned* code) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (i + 1 < s.size() && b(0) == 0xC2 && b(1) >= 0x80 && b(1) <= 0x9F) {
    *code = b(1);  // C1: U+0080..U+009F
    return 2;
  }
  if (i + 2 < s.size() && b(0) == 0xE2) {
    unsigned cp = ((b(0) & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
        cp == 0x2029) {
      *code = cp;  // bidi embeddings, overrides and isolates; line and paragraph separators
      return 3;
    }
  }
  return 0;
}

// The length of the well-formed UTF-8 sequence at s[i] (c >= 0x80), or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

void AppendEscaped(std::string_view s, bool json, std::string* out) {
  out->reserve(out->size() + s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    unsigned code = 0;
    if (size_t n = InvisibleControl(s, i, &code); n > 0) {
      Hex(out, "\\u", code, 4);
      i += n - 1;
      continue;
    }
    switch (c) {
      case '\n': out->append("\\n"); continue;
      case '\r': out->append("\\r"); continue;
      case '\t': out->append("\\t"); continue;
      case '\\': out->append(json ? "\\\\" : "\\"); continue;
      case '"': out->append(json ? "\\\"" : "\""); continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7F) {
      Hex(out, json ? "\\u" : "\\x", c, json ? 4 : 2);
      continue;
    }
    if (c >= 0x80) {
      size_t n = Utf8Length(s, i);
      if (n == 0) {  // not UTF-8: shown as a byte, and the JSON stays valid
        Hex(out, json ? "\\u" : "\\x", c, json ? 4 : 2);
        continue;
      }
      out->append(s.substr(i, n));
      i += n - 1;
      continue;
    }
    out->push_back(static_cast<char>(c));
  }
}

std::string Escaped(std::string_view s, bool json) {
  std::string out;
  AppendEscaped(s, json, &out);
  return out;
}

}  // namespace lintas
