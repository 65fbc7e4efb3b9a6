// load_csv_values(), declared in send_policy.hpp: the one-column CSV files that
// hold blocked numbers, blocked patterns and allowed countries.

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/policy/send_policy.hpp"

namespace candor::policy {
namespace {

constexpr std::string_view kBlank = " \t";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// A million E.164 numbers fit in 16 MiB; anything larger is not a block list.
constexpr std::uintmax_t kMaxCsvBytes = 16U << 20U;

std::string_view trim(std::string_view text) {
  auto const first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) {
    return {};
  }
  auto const last = text.find_last_not_of(kBlank);
  return text.substr(first, last - first + 1);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto const x = static_cast<unsigned char>(a[i]);
    auto const y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) {
      return false;
    }
  }
  return true;
}

// Reads the value of one non-blank line, or says why it cannot.
Result<std::string> parse_line(std::string_view line) {
  auto const field = trim(line);
  if (field.front() != '"') {
    if (field.find(',') != std::string_view::npos) {
      return make_error(Errc::kInvalidArgument,
                        "more than one column (quote a value that holds a comma)");
    }
    if (field.find('"') != std::string_view::npos) {
      return make_error(Errc::kInvalidArgument,
                        "stray double quote in an unquoted value (quote the value and write \"\")");
    }
    return std::string(field);
  }

  // Limitation: a quoted value cannot span lines — the values are numbers,
  // patterns and region codes, none of which holds a line break.
  std::string value;
  std::size_t i = 1;
  for (;;) {
    if (i >= field.size()) {
      return make_error(Errc::kInvalidArgument, "unterminated quote");
    }
    if (field[i] != '"') {
      value.push_back(field[i++]);
      continue;
    }
    if (i + 1 < field.size() && field[i + 1] == '"') {
      value.push_back('"');
      i += 2;
      continue;
    }
    break;
  }
  if (!trim(field.substr(i + 1)).empty()) {
    return make_error(Errc::kInvalidArgument, "text after the closing quote");
  }
  if (value.empty()) {
    return make_error(Errc::kInvalidArgument, "empty quoted value");
  }
  return value;
}

}  // namespace

Result<std::vector<std::string>> load_csv_values(std::string const& path, std::string_view header) {
  // Devices and pipes (/dev/zero, a FIFO) would never end; refuse them up front.
  std::error_code ec;
  auto const status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    return make_error(Errc::kInvalidArgument, fmt::format("{}: not a regular file", path));
  }
  if (auto const size = std::filesystem::file_size(path, ec); !ec && size > kMaxCsvBytes) {
    return make_error(
        Errc::kInvalidArgument,
        fmt::format("{}: {} bytes; a CSV list may have at most {}", path, size, kMaxCsvBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(Errc::kNotFound,
                      fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto const content = buffer.str();
  std::string_view rest = content;
  if (rest.starts_with(kUtf8Bom)) {
    rest.remove_prefix(kUtf8Bom.size());
  }

  std::vector<std::string> values;
  bool first_value = true;
  for (std::size_t line_number = 1; !rest.empty(); ++line_number) {
    auto const end = rest.find('\n');
    auto line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (trim(line).empty()) {
      continue;
    }

    auto value = parse_line(line);
    if (!value) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("{}:{}: {}", path, line_number, value.error().message));
    }
    auto const is_header = first_value && !header.empty() && equals_ignoring_case(*value, header);
    first_value = false;
    if (!is_header) {
      values.push_back(std::move(*value));
    }
  }
  return values;
}

}  // namespace candor::policy
