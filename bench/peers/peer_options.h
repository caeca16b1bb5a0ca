// Command-line options shared by the peer clients ("--name value" pairs; no
// dependency on CLI11, so the peers build on their own).
#pragma once

#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

namespace lintas::bench {

// Parses --key value and --flag arguments. A value type.
class PeerOptions {
 public:
  PeerOptions(int argc, char** argv, const std::map<std::string, std::string>& defaults)
      : values_(defaults) {
    for (int i = 1; i < argc; ++i) {
      std::string key = argv[i];
      if (key.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument " + key);
      key = key.substr(2);
      if (!values_.count(key)) throw std::invalid_argument("unknown option --" + key);
      if (values_[key] == "false" || values_[key] == "true") {
        values_[key] = "true";
      } else if (i + 1 < argc) {
        values_[key] = argv[++i];
      } else {
        throw std::invalid_argument("--" + key + " needs a value");
      }
    }
  }
  std::string Str(const std::string& key) const { return values_.at(key); }
  double Num(const std::string& key) const { return std::strtod(values_.at(key).c_str(), nullptr); }
  bool Flag(const std::string& key) const { return values_.at(key) == "true"; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace lintas::bench
