// Temporary directories for tests.
#include "testutil/temp_dir.h"

#include <fcntl.h>
#include <unistd.h>

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

bool TempDir::SupportsDirectIo() const {
  std::string probe = Sub(".direct-io-probe");
  int fd = ::open(probe.c_str(), O_CREAT | O_WRONLY | O_DIRECT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  std::error_code ec;
  std::filesystem::remove(probe, ec);
  return fd >= 0;
}

}  // namespace lintas::testutil
