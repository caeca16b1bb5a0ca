// The import adapter's error category.
#include "errc.h"

namespace lintas::importer {
namespace {

class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "lintas.import"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::success:
        return "success";
      case errc::bad_input:
        return "bad_input";
      case errc::rejected:
        return "rejected";
      case errc::unreachable:
        return "unreachable";
      case errc::node_failed:
        return "node_failed";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& ImportCategory() {
  static const Category category;
  return category;
}

}  // namespace lintas::importer
