#include "core/common/result.hpp"

#include <string>

namespace candor {
namespace {

class CandorCategory final : public std::error_category {
 public:
  char const* name() const noexcept override { return "candor"; }
  std::string message(int value) const override { return errc_name(static_cast<Errc>(value)); }
};

}  // namespace

std::error_category const& candor_category() noexcept {
  static CandorCategory const kCategory;
  return kCategory;
}

std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), candor_category()};
}

char const* errc_name(Errc e) noexcept {
  switch (e) {
    case Errc::kOk:
      return "Ok";
    case Errc::kInvalidArgument:
      return "InvalidArgument";
    case Errc::kNotFound:
      return "NotFound";
    case Errc::kAlreadyExists:
      return "AlreadyExists";
    case Errc::kFailedPrecondition:
      return "FailedPrecondition";
    case Errc::kPermissionDenied:
      return "PermissionDenied";
    case Errc::kUnavailable:
      return "Unavailable";
    case Errc::kDeadlineExceeded:
      return "DeadlineExceeded";
    case Errc::kResourceExhausted:
      return "ResourceExhausted";
    case Errc::kDataLoss:
      return "DataLoss";
    case Errc::kInternal:
      return "Internal";
  }
  return "Unknown";
}

std::string Error::to_string() const {
  return std::string(errc_name(code)) + ": " + message;
}

}  // namespace candor
