// Node API error names and HTTP statuses.
#include "lintas/node/errc.h"

#include <string>

namespace lintas::node {
namespace {

class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "lintas.node"; }
  std::string message(int value) const override { return std::string(ErrcName(static_cast<errc>(value))); }
};

}  // namespace

std::string_view ErrcName(errc code) {
  switch (code) {
    case errc::success: return "success";
    case errc::unauthenticated: return "unauthenticated";
    case errc::forbidden: return "forbidden";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::locked_out: return "locked_out";
    case errc::rate_limited: return "rate_limited";
    case errc::bad_input: return "bad_input";
    case errc::limit_exceeded: return "limit_exceeded";
    case errc::justification_required: return "justification_required";
    case errc::storage: return "storage";
    case errc::unavailable: return "unavailable";
    case errc::unreadable: return "unreadable";
    case errc::outside_consent: return "outside_consent";
    case errc::erased: return "erased";
  }
  return "unknown";
}

int HttpStatus(errc code) {
  switch (code) {
    case errc::success: return 200;
    case errc::unauthenticated: return 401;
    case errc::forbidden: return 403;
    case errc::not_found: return 404;
    case errc::conflict: return 409;
    case errc::locked_out: return 429;
    case errc::rate_limited: return 429;
    case errc::bad_input: return 400;
    case errc::limit_exceeded: return 409;
    case errc::justification_required: return 400;
    case errc::storage: return 500;
    case errc::unavailable: return 503;
    case errc::unreadable: return 410;
    case errc::outside_consent: return 403;
    case errc::erased: return 410;
  }
  return 500;
}

const std::error_category& NodeCategory() {
  static const Category category;
  return category;
}

}  // namespace lintas::node
