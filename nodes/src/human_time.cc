// Human durations and ISO 8601 times.
#include "lintas/node/human_time.h"

#include <cctype>
#include <ctime>

namespace lintas::node {
namespace {

// Longer than anything a deadline or an expiry needs; keeps sums far from
// overflow.
constexpr int64_t kMaxDurationUs = 100LL * 366 * 86400 * 1000000;

bool Digits(const std::string& s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<int64_t> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (n > 1000000) return std::nullopt;
      ++i;
    }
    if (i == start || i == text.size()) return std::nullopt;
    int64_t unit_us = 0;  // microseconds
    switch (text[i]) {
      case 's': unit_us = 1000000; break;
      case 'm': unit_us = 60 * 1000000LL; break;
      case 'h': unit_us = 3600 * 1000000LL; break;
      case 'd': unit_us = 86400 * 1000000LL; break;
      case 'w': unit_us = 7 * 86400 * 1000000LL; break;
      case 'y': unit_us = 365 * 86400 * 1000000LL; break;  // a retention period: 365 days
      default: return std::nullopt;
    }
    if (text[i] == 'm' && i + 1 < text.size() && text[i + 1] == 's') {  // "500ms"
      unit_us = 1000;
      ++i;
    }
    ++i;
    total += n * unit_us;
    if (total > kMaxDurationUs) return std::nullopt;
  }
  if (total <= 0) return std::nullopt;
  return total;
}

std::optional<int64_t> ParseWhen(const std::string& text, int64_t now_us) {
  if (auto d = ParseDuration(text)) return now_us + *d;
  std::tm tm{};
  int year = 0, month = 0, day = 0;
  if (!Digits(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' || !Digits(text, 5, 2, &month) ||
      text[7] != '-' || !Digits(text, 8, 2, &day)) {
    return std::nullopt;
  }
  int hour = 0, minute = 0, second = 0;
  size_t pos = 10;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    if (!Digits(text, pos + 1, 2, &hour) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, &minute)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (!Digits(text, pos + 1, 2, &second)) return std::nullopt;
      pos += 3;
    }
  }
  int64_t offset_s = 0;
  if (pos < text.size()) {
    if (text[pos] == 'Z' && pos + 1 == text.size()) {
      pos += 1;
    } else if ((text[pos] == '+' || text[pos] == '-') && pos + 6 == text.size() && text[pos + 3] == ':') {
      int oh = 0, om = 0;
      if (!Digits(text, pos + 1, 2, &oh) || !Digits(text, pos + 4, 2, &om) || oh > 14 || om > 59) {
        return std::nullopt;
      }
      offset_s = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
      pos += 6;
    } else {
      return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t t = timegm(&tm);
  std::tm check{};
  gmtime_r(&t, &check);
  if (check.tm_mday != day) return std::nullopt;  // 2026-02-30
  return (static_cast<int64_t>(t) - offset_s) * 1000000;
}

}  // namespace lintas::node
