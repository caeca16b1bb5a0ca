// The web console's files (nodes/console/), compiled into the node so that it
// serves them with no install tree and no network (cmake/EmbedAssets.cmake).
// Private to lintas::node.
#pragma once

#include <span>
#include <string_view>

namespace lintas::node::console {

struct Asset {
  std::string_view path;          // "/index.html", "/js/app.js", ...
  std::string_view content_type;  // from the file's extension
  std::string_view body;
};

// Every file, in a fixed order. Thread safety: immutable.
std::span<const Asset> Assets();

}  // namespace lintas::node::console
