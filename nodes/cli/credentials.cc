// The CLI's stored tokens.
#include "credentials.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lintas::cli {

std::string ConfigDir() {
  if (const char* d = std::getenv("LINTAS_CONFIG_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/lintas";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.config/lintas";
}

std::string CredentialsPath(const std::string& node_url) {
  std::string name;
  for (char c : node_url) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    name.push_back(plain ? c : '_');
  }
  return ConfigDir() + "/token-" + name;
}

std::string ResolveToken(const std::string& node_url) {
  if (const char* t = std::getenv("LINTAS_TOKEN"); t && *t) return t;
  std::ifstream in(CredentialsPath(node_url));
  std::string token;
  if (in >> token) return token;
  return {};
}

bool StoreToken(const std::string& node_url, const std::string& token) {
  std::string dir = ConfigDir();
  // mkdir -p with 0700 for the last component.
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos == dir.size() || dir[pos] == '/') {
      std::string part = dir.substr(0, pos);
      if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
        std::cerr << "lintas: cannot create " << part << ": " << std::strerror(errno) << "\n";
        return false;
      }
    }
  }
  std::string path = CredentialsPath(node_url);
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    std::cerr << "lintas: cannot write " << tmp << ": " << std::strerror(errno) << "\n";
    return false;
  }
  fchmod(fd, 0600);
  std::string text = token + "\n";
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = fsync(fd) == 0 && ok;
  close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::cerr << "lintas: cannot store the token in " << path << "\n";
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

bool ForgetToken(const std::string& node_url) { return unlink(CredentialsPath(node_url).c_str()) == 0; }

}  // namespace lintas::cli
