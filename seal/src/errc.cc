// The seal error category.
#include "lintas/seal/errc.h"

#include <string>

namespace lintas::seal {

std::string_view ErrcName(errc code) {
  switch (code) {
    case errc::success: return "success";
    case errc::key_unusable: return "key_unusable";
    case errc::not_a_recipient: return "not_a_recipient";
    case errc::tampered: return "tampered";
    case errc::inconsistent: return "inconsistent";
    case errc::directory_unavailable: return "directory_unavailable";
    case errc::no_recipient_key: return "no_recipient_key";
    case errc::directory_invalid: return "directory_invalid";
  }
  return "unknown";
}

namespace {

class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "lintas.seal"; }
  std::string message(int c) const override { return std::string(ErrcName(static_cast<errc>(c))); }
};

}  // namespace

const std::error_category& SealCategory() {
  static const Category category;
  return category;
}

}  // namespace lintas::seal
