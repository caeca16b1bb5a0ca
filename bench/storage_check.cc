// See storage_check.h.
#include "storage_check.h"

#include <chrono>
#include <exception>
#include <filesystem>

namespace lintas::bench {

StorageFigures MeasureStorageAndRestart(const std::string& binary, const std::string& dir,
                                        const std::vector<BenchNode>& nodes, bool curve,
                                        uint64_t events) {
  StorageFigures f;
  f.events = events;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/data", ec)) {
    if (!e.is_regular_file(ec)) continue;
    uint64_t size = e.file_size(ec);
    f.data_bytes += size;
    if (e.path().extension() == ".log") f.wal_bytes += size;
  }
  try {
    auto start = std::chrono::steady_clock::now();
    BrokerChild again(binary, dir, nodes, BrokerChildOptions{.curve = curve, .require_sealed = false, .enforce_policy = false, .extra_toml = {}});
    f.restart_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    f.restart_rss_bytes = again.PeakRssBytes();
    again.Terminate();
  } catch (const std::exception& e) {
    f.error = e.what();
  }
  return f;
}

}  // namespace lintas::bench
