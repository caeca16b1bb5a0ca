// The wire error category.
#include "lintas/wire/errc.h"

#include <string>

namespace lintas::wire {
namespace {

class WireErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "lintas.wire"; }
  std::string message(int value) const override {
    return std::string(ErrcName(static_cast<errc>(value)));
  }
};

}  // namespace

std::string_view ErrcName(errc code) {
  switch (code) {
    case errc::success: return "success";
    case errc::malformed_message: return "malformed_message";
    case errc::unsupported_version: return "unsupported_version";
    case errc::message_too_large: return "message_too_large";
    case errc::not_ready: return "not_ready";
    case errc::wrong_identifier: return "wrong_identifier";
    case errc::event_unverifiable: return "event_unverifiable";
    case errc::event_invalid: return "event_invalid";
    case errc::origin_mismatch: return "origin_mismatch";
    case errc::policy_denied: return "policy_denied";
    case errc::permission_denied: return "permission_denied";
    case errc::unknown_destination: return "unknown_destination";
    case errc::unknown_subscription: return "unknown_subscription";
    case errc::batch_too_large: return "batch_too_large";
    case errc::overloaded: return "overloaded";
    case errc::storage_error: return "storage_error";
    case errc::shutting_down: return "shutting_down";
    case errc::justification_required: return "justification_required";
    case errc::json_invalid: return "json_invalid";
    case errc::internal: return "internal";
    case errc::not_found: return "not_found";
    case errc::too_many_subscriptions: return "too_many_subscriptions";
    case errc::log_damaged: return "log_damaged";
  }
  return "unknown";
}

bool IsRetryable(errc code) {
  return code == errc::overloaded || code == errc::storage_error ||
         code == errc::shutting_down || code == errc::not_ready || code == errc::log_damaged;
}

const std::error_category& WireCategory() {
  static const WireErrorCategory category;
  return category;
}

}  // namespace lintas::wire
