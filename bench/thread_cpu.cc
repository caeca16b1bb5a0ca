// See thread_cpu.h.
#include "thread_cpu.h"

#include <unistd.h>

#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lintas::bench {

namespace {

// utime + stime, in seconds, from a stat line (the name in parentheses may
// hold spaces: fields count from the last ')'; utime and stime are 14 and 15).
double StatCpuSeconds(const std::string& stat) {
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

double ProcessCpuSeconds(pid_t pid) {
  return StatCpuSeconds(ReadAll("/proc/" + std::to_string(pid) + "/stat"));
}

std::map<std::string, double> ThreadCpuSeconds(pid_t pid) {
  std::map<std::string, double> out;
  std::error_code ec;
  std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::string name;
    std::ifstream comm(task.path() / "comm");
    std::getline(comm, name);
    if (name.empty()) continue;
    out[name] += StatCpuSeconds(ReadAll(task.path() / "stat"));
  }
  return out;
}

std::map<std::string, double> CpuSince(const std::map<std::string, double>& before,
                                       const std::map<std::string, double>& after) {
  std::map<std::string, double> out;
  for (const auto& [name, seconds] : after) {
    auto it = before.find(name);
    out[name] = seconds - (it == before.end() ? 0 : it->second);
  }
  return out;
}

double CallingThreadCpuSeconds() {
  timespec ts{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string ThreadRole(const std::string& name) {
  if (name == "lintas-broker") return "loop";
  if (name == "lintas-commit") return "commit";
  if (name == "lintas-index") return "index";
  if (name == "lintas-hash") return "hash";
  if (name == "lintas-sync") return "segment_sync";
  if (name == "lintas-trim") return "trim";
  if (name == "lintas-reader") return "reader";
  if (name.rfind("ZMQbg/IO", 0) == 0) return "zmq_io";
  if (name == "rocksdb:high") return "rocksdb_flush";
  if (name == "rocksdb:low") return "rocksdb_compaction";
  if (name.rfind("civetweb", 0) == 0) return "metrics";
  std::string role;
  for (char c : name) role.push_back(std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_');
  return role;
}

}  // namespace lintas::bench
