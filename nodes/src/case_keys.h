// Key layout of the case model in the node's "cases" column family. Private.
//   c/<case>                      case header (parties, references, item ids)
//   i/<case>\x1f<item>            one item
//   e/<case>\x1f<be64 n>          the case's n-th event (a summary)
//   x/<event id>                  the item an event belongs to
//   d/<be64 due>\x1f<case>\x1f<item>   items awaiting an answer, by deadline
//   u/<be64 updated>\x1f<case>    cases by last update
//   m/<case>\x1f<item>\x1f<be64 due>   a missed deadline (kept for ever)
//   p/<country>/<agency>          cases opened here by one partner agency
//   a/<alert id>                  an alert; ai/<be64 created>\x1f<id> its index
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lintas::node::keys {

inline std::string Be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
  return out;
}
inline uint64_t FromBe64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}
inline uint64_t Clamp(int64_t v) { return v < 0 ? 0 : static_cast<uint64_t>(v); }

constexpr char kSep = '\x1f';
inline std::string Case(const std::string& c) { return "c/" + c; }
inline std::string Item(const std::string& c, const std::string& i) { return "i/" + c + kSep + i; }
inline std::string ItemPrefix(const std::string& c) { return "i/" + c + kSep; }
inline std::string Event(const std::string& c, uint64_t n) { return "e/" + c + kSep + Be64(n); }
inline std::string EventPrefix(const std::string& c) { return "e/" + c + kSep; }
inline std::string EventItem(const std::string& id) { return "x/" + id; }
inline std::string Due(int64_t due, const std::string& c, const std::string& i) {
  return "d/" + Be64(Clamp(due)) + kSep + c + kSep + i;
}
inline std::string Updated(int64_t at, const std::string& c) { return "u/" + Be64(Clamp(at)) + kSep + c; }
inline std::string Missed(const std::string& c, const std::string& i, int64_t due) {
  return "m/" + c + kSep + i + kSep + Be64(Clamp(due));
}
inline std::string Partner(const std::string& country, const std::string& agency) {
  return "p/" + country + "/" + agency;
}
inline std::string Alert(const std::string& id) { return "a/" + id; }
inline std::string AlertIndex(int64_t created, const std::string& id) {
  return "ai/" + Be64(Clamp(created)) + kSep + id;
}

}  // namespace lintas::node::keys
