// Revoked node keys: the CURVE public keys listed in security.revoked_keys_file
// (one Z85 key per line, as the first word; other lines starting with '#' are comments). If the file becomes unreadable the keys stay revoked. The broker re-reads the file
// when it changes, refuses those keys at the handshake and ends the sessions
// of nodes whose key is revoked at their next message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace lintas::broker {

// Thread safety: IsRevoked and size may be called from any thread (the ZAP
// handler's and the loop's); Refresh from one thread at a time (the loop).
class Revocations {
 public:
  // `path` empty: nothing is ever revoked. A missing file is an empty list.
  explicit Revocations(std::string path);

  // Re-reads the file if its modification time or size changed since the
  // last read. Returns true if the set of keys changed. Lines that are not
  // a 40-character Z85 key are skipped with a warning.
  bool Refresh();

  bool IsRevoked(std::string_view z85_public_key) const;
  size_t size() const;
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> keys_;  // guarded by mu_
  // Of the last read; used by Refresh only.
  std::filesystem::file_time_type mtime_{};
  uintmax_t size_ = UINTMAX_MAX;
  bool ever_read_ = false;
};

}  // namespace lintas::broker
