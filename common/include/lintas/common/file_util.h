// Small start-up file helpers shared by the daemons.
#pragma once

#include <string>

namespace lintas {

// Writes `content` and a newline to `path` through `path`.tmp and a rename, so
// that a reader sees the old file or the whole new one. Throws
// std::runtime_error naming the path and the system's reason on any failure
// (start-up only: an endpoint or port file a script waits for).
void WriteFileAtomically(const std::string& path, const std::string& content);

}  // namespace lintas
