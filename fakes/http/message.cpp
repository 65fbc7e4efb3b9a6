#include "fakes/http/message.hpp"

#include <algorithm>
#include <cctype>

namespace candor::fakes::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<std::string> find_field(Fields const& fields, std::string_view name) {
  for (auto const& [key, value] : fields) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

std::optional<std::string> find_header(Fields const& headers, std::string_view name) {
  for (auto const& [key, value] : headers) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

std::string Request::path_param(std::string const& name) const {
  auto const it = path_params.find(name);
  return it == path_params.end() ? std::string() : it->second;
}

Response Response::json(int status, std::string body) {
  return Response{.status = status,
                  .headers = {{"Content-Type", "application/json; charset=utf-8"}},
                  .body = std::move(body)};
}

Response Response::text(int status, std::string body) {
  return Response{.status = status,
                  .headers = {{"Content-Type", "text/plain; charset=utf-8"}},
                  .body = std::move(body)};
}

}  // namespace candor::fakes::http
