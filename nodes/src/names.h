// Schema names as people write them: "SocialWelfare" -> "social_welfare".
// Private to lintas::node; pure.
#pragma once

#include <string>
#include <string_view>

namespace lintas::node {

inline std::string SnakeCase(std::string_view camel) {
  std::string out;
  for (char c : camel) {
    if (c >= 'A' && c <= 'Z') {
      if (!out.empty()) out.push_back('_');
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace lintas::node
