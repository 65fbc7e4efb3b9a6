#include "core/common/result.hpp"

#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <gtest/gtest.h>

namespace candor {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') {
    return make_error(Errc::kInvalidArgument, std::string("not a digit: ") + c);
  }
  return c - '0';
}

Status check_positive(int value) {
  if (value <= 0) {
    return make_error(Errc::kFailedPrecondition, "must be positive");
  }
  return ok_status();
}

Result<int> double_digit(char c) {
  auto digit = parse_digit(c);
  if (!digit) {
    return std::move(digit).error();
  }
  return *digit * 2;
}

Status positive_digit(char c) {
  auto digit = parse_digit(c);
  if (!digit) {
    return digit.error();
  }
  CANDOR_RETURN_IF_ERROR(check_positive(*digit));
  return ok_status();
}

TEST(Result, HoldsAValue) {
  auto result = parse_digit('7');

  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(static_cast<bool>(result));
  EXPECT_EQ(result.value(), 7);
  EXPECT_EQ(*result, 7);
}

TEST(Result, HoldsAnError) {
  auto result = parse_digit('x');

  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(static_cast<bool>(result));
  EXPECT_EQ(result.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(result.error().message, "not a digit: x");
}

TEST(Result, PassesAnErrorUp) {
  EXPECT_EQ(double_digit('4').value(), 8);
  EXPECT_EQ(double_digit('z').error().code, Errc::kInvalidArgument);
}

TEST(Result, MovesAValueOut) {
  Result<std::unique_ptr<int>> result(std::make_unique<int>(5));

  auto owned = std::move(result).value();

  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, 5);
}

TEST(Result, ArrowReachesMembers) {
  Result<std::string> result(std::string("abc"));
  EXPECT_EQ(result->size(), 3u);
}

TEST(Status, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_TRUE(ok_status().ok());
}

TEST(Status, HoldsAnError) {
  auto status = check_positive(0);

  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::kFailedPrecondition);
  EXPECT_EQ(status.error().to_string(), "FailedPrecondition: must be positive");
}

TEST(Status, ReturnIfErrorStopsAtTheFirstError) {
  EXPECT_TRUE(positive_digit('3').ok());
  EXPECT_EQ(positive_digit('0').error().code, Errc::kFailedPrecondition);
  EXPECT_EQ(positive_digit('-').error().code, Errc::kInvalidArgument);
}

TEST(Errc, NamesDropTheKPrefix) {
  EXPECT_STREQ(errc_name(Errc::kOk), "Ok");
  EXPECT_STREQ(errc_name(Errc::kInvalidArgument), "InvalidArgument");
  EXPECT_STREQ(errc_name(Errc::kNotFound), "NotFound");
  EXPECT_STREQ(errc_name(Errc::kAlreadyExists), "AlreadyExists");
  EXPECT_STREQ(errc_name(Errc::kFailedPrecondition), "FailedPrecondition");
  EXPECT_STREQ(errc_name(Errc::kPermissionDenied), "PermissionDenied");
  EXPECT_STREQ(errc_name(Errc::kUnavailable), "Unavailable");
  EXPECT_STREQ(errc_name(Errc::kDeadlineExceeded), "DeadlineExceeded");
  EXPECT_STREQ(errc_name(Errc::kResourceExhausted), "ResourceExhausted");
  EXPECT_STREQ(errc_name(Errc::kDataLoss), "DataLoss");
  EXPECT_STREQ(errc_name(Errc::kInternal), "Internal");
}

TEST(Errc, UnknownValueHasAName) {
  EXPECT_STREQ(errc_name(static_cast<Errc>(200)), "Unknown");
}

TEST(Errc, ConvertsToAStdErrorCode) {
  std::error_code const code = Errc::kUnavailable;

  EXPECT_EQ(code.category(), candor_category());
  EXPECT_STREQ(code.category().name(), "candor");
  EXPECT_EQ(code.value(), static_cast<int>(Errc::kUnavailable));
  EXPECT_EQ(code.message(), "Unavailable");
  EXPECT_EQ(code, make_error_code(Errc::kUnavailable));
  EXPECT_NE(code, make_error_code(Errc::kInternal));
}

TEST(Error, DefaultsToInternal) {
  Error error;
  EXPECT_EQ(error.code, Errc::kInternal);
  EXPECT_EQ(error.to_string(), "Internal: ");
}

}  // namespace
}  // namespace candor
