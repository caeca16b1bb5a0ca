// Store error category.
#include "lintas/store/errc.h"

#include <string>

namespace lintas::store {
namespace {

class StoreErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "lintas.store"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::success: return "success";
      case errc::io_error: return "io_error";
      case errc::corruption: return "corruption";
      case errc::invalid_append: return "invalid_append";
      case errc::busy: return "busy";
      case errc::other: return "other";
      case errc::would_block: return "would_block";
      case errc::unavailable: return "unavailable";
      case errc::conflict: return "conflict";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& StoreCategory() {
  static const StoreErrorCategory category;
  return category;
}

}  // namespace lintas::store
