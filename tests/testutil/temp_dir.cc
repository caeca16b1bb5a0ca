// Temporary directories for tests.
#include "testutil/temp_dir.h"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace lintas::testutil {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "lintas-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace lintas::testutil
