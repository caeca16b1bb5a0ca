// Named spdlog loggers, one per module, and the process-wide log set-up.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace lintas {

// Returns the logger called `name`, creating it on first use (stderr sink,
// the process-wide level and format). Thread-safe.
std::shared_ptr<spdlog::logger> GetLogger(const std::string& name);

// Sets the level ("trace".."critical", "off") and the format (JSON lines when
// `json` is true) for every logger, existing and future. Call at start-up.
void ConfigureLogging(const std::string& level, bool json);

}  // namespace lintas
