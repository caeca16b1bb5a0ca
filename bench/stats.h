// Latency samples, percentiles and a flat JSON writer shared by the load
// generator and the peer clients (header-only: the peers build without the
// rest of Lintas).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace lintas::bench {

// Latency samples in milliseconds. A value type; thread-compatible (one
// owner at a time; merge the per-thread ones at the end).
class Latencies {
 public:
  void Reserve(size_t n) { ms_.reserve(n); }
  void Add(double ms) { ms_.push_back(static_cast<float>(ms)); }
  void Merge(const Latencies& other) { ms_.insert(ms_.end(), other.ms_.begin(), other.ms_.end()); }
  size_t count() const { return ms_.size(); }

  // The p-quantile (0..1) by nearest rank; 0 when there are no samples.
  // Sorts the samples on first use after an Add or Merge.
  double Percentile(double p) {
    if (ms_.empty()) return 0;
    if (!sorted_ || sorted_size_ != ms_.size()) {
      std::sort(ms_.begin(), ms_.end());
      sorted_ = true;
      sorted_size_ = ms_.size();
    }
    size_t k = static_cast<size_t>(p * static_cast<double>(ms_.size() - 1) + 0.5);
    return ms_[std::min(k, ms_.size() - 1)];
  }
  double Max() { return Percentile(1.0); }

 private:
  std::vector<float> ms_;
  bool sorted_ = false;
  size_t sorted_size_ = 0;
};

// A flat JSON object printed one key per line, in insertion order, so that
// scripts can read it with awk as well as with jq. Values are numbers or
// strings (strings must not need escaping beyond '"' and '\\').
class FlatJson {
 public:
  void Number(const std::string& key, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", value);
    items_.emplace_back(key, buf);
  }
  void Integer(const std::string& key, uint64_t value) {
    items_.emplace_back(key, std::to_string(value));
  }
  void String(const std::string& key, const std::string& value) {
    std::string quoted = "\"";
    for (char c : value) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(c);
    }
    quoted.push_back('"');
    items_.emplace_back(key, quoted);
  }
  std::string Render() const {
    std::string out = "{\n";
    for (size_t i = 0; i < items_.size(); ++i) {
      out += "  \"" + items_[i].first + "\": " + items_[i].second;
      out += i + 1 < items_.size() ? ",\n" : "\n";
    }
    return out + "}\n";
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace lintas::bench
