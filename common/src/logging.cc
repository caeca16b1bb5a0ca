// Logger registry on top of spdlog's.
#include "lintas/common/logging.h"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace lintas {
namespace {

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ [%n] %v";
constexpr const char* kJsonPattern =
    R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","msg":"%v"})";

std::mutex g_mu;
std::string g_pattern = kTextPattern;  // Guarded by g_mu.

}  // namespace

std::shared_ptr<spdlog::logger> GetLogger(const std::string& name) {
  std::lock_guard lock(g_mu);
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_pattern(g_pattern, spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::get_level());
  return logger;
}

void ConfigureLogging(const std::string& level, bool json) {
  std::lock_guard lock(g_mu);
  g_pattern = json ? kJsonPattern : kTextPattern;
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_pattern(g_pattern, spdlog::pattern_time_type::utc);
}

}  // namespace lintas
