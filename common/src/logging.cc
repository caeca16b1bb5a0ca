// Logger registry on top of spdlog's.
#include "lintas/common/logging.h"

#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "lintas/common/log_escape.h"

namespace lintas {
namespace {

// %* is the message, escaped (EscapedMessage): a peer's text never makes a
// line of its own, and a JSON line stays one valid JSON object.
constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ [%n] %*";
constexpr const char* kJsonPattern =
    R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","msg":"%*"})";

class EscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  explicit EscapedMessage(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string out;
    AppendEscaped(std::string_view(msg.payload.data(), msg.payload.size()), json_, &out);
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>(json_);
  }

 private:
  bool json_;
};

std::unique_ptr<spdlog::formatter> MakeFormatter(bool json) {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  f->add_flag<EscapedMessage>('*', json).set_pattern(json ? kJsonPattern : kTextPattern);
  return f;
}

std::mutex g_mu;
bool g_json = false;  // Guarded by g_mu.

}  // namespace

std::shared_ptr<spdlog::logger> GetLogger(const std::string& name) {
  std::lock_guard lock(g_mu);
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_formatter(MakeFormatter(g_json));
  logger->set_level(spdlog::get_level());
  return logger;
}

void ConfigureLogging(const std::string& level, bool json) {
  std::lock_guard lock(g_mu);
  g_json = json;
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_formatter(MakeFormatter(json));
}

}  // namespace lintas
