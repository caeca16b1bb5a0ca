// A temporary directory removed (recursively) when the object dies.
#pragma once

#include <filesystem>
#include <string>

namespace lintas::testutil {

// Owns a fresh directory under $TMPDIR. Not thread-safe; one owner.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }
  // Whether its file system takes O_DIRECT (tmpfs before Linux 6.6 does not):
  // tests of direct writes skip where they would silently run buffered.
  bool SupportsDirectIo() const;

 private:
  std::filesystem::path path_;
};

}  // namespace lintas::testutil
