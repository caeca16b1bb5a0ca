// The revocation list file.
#include "lintas/broker/revocations.h"

#include <fstream>

#include "lintas/broker/logger.h"

namespace lintas::broker {

namespace fs = std::filesystem;

Revocations::Revocations(std::string path) : path_(std::move(path)) {}

bool Revocations::Refresh() {
  if (path_.empty()) return false;
  std::error_code ec;
  fs::file_time_type mtime = fs::last_write_time(path_, ec);
  uintmax_t size = ec ? 0 : fs::file_size(path_, ec);
  if (ec) {
    mtime = {};
    size = 0;
  }
  if (mtime == mtime_ && size == size_) return false;
  mtime_ = mtime;
  size_ = size;
  std::set<std::string, std::less<>> keys;
  std::ifstream in(path_);
  if (!in) {
    // Missing or unreadable after it was read once (an editor's save by
    // rename, a permission change): keep what is revoked, never lift it.
    std::lock_guard lock(mu_);
    if (!keys_.empty() || ever_read_) {
      SecurityLog()->critical("revoked_keys_file {} cannot be read; keeping the {} revoked keys",
                              path_, keys_.size());
    }
    return false;
  }
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    // The first word is a key if it has a key's length (Z85 keys may start
    // with '#'); otherwise a line starting with '#' is a comment. Anything
    // after the key is a comment.
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    auto end = line.find_first_of(" \t\r", first);
    std::string key = line.substr(first, end == std::string::npos ? std::string::npos : end - first);
    if (key.size() != 40) {
      if (line[first] != '#') {
        SecurityLog()->warn("revoked_keys_file {}:{}: not a 40-character Z85 key; skipped", path_,
                            line_no);
      }
      continue;
    }
    keys.insert(std::move(key));
  }
  ever_read_ = true;
  std::lock_guard lock(mu_);
  if (keys == keys_) return false;
  SecurityLog()->warn("revocation list loaded: {} revoked keys (was {})", keys.size(), keys_.size());
  keys_ = std::move(keys);
  return true;
}

bool Revocations::IsRevoked(std::string_view key) const {
  std::lock_guard lock(mu_);
  return keys_.find(key) != keys_.end();
}

size_t Revocations::size() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

}  // namespace lintas::broker
