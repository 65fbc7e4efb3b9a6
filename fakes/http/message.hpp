#pragma once

// Plain request and response values that the fake servers' handlers see, so that
// Beast stays inside the server's and the client's .cpp files.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock/clock.hpp"

namespace candor::fakes::http {

/// Ordered name/value pairs; a name may repeat (form fields, query parameters,
/// header lines). Order is kept as received.
using Fields = std::vector<std::pair<std::string, std::string>>;

/// The first value of `name` in `fields`, compared exactly; nullopt when absent.
std::optional<std::string> find_field(Fields const& fields, std::string_view name);

/// The first value of header `name`, compared case-insensitively; nullopt when absent.
std::optional<std::string> find_header(Fields const& headers, std::string_view name);

/// One request as received by an HttpServer.
struct Request {
  /// 1-based arrival number among journaled requests (see ServerOptions::unjournaled_prefixes);
  /// 0 for unjournaled ones.
  std::uint64_t number = 0;
  /// Clock time at which the request was fully read.
  clock::TimePoint received_at{};
  /// Upper-case method name, e.g. "POST".
  std::string method;
  /// The request target exactly as sent, e.g. "/a/b.json?x=1".
  std::string target;
  /// The percent-decoded path of the target, without the query.
  std::string path;
  /// Percent-decoded query parameters, in order.
  Fields query;
  /// Header lines as received, names in their original case.
  Fields headers;
  std::string body;
  /// Values of the `{name}` placeholders of the matched route pattern.
  std::map<std::string, std::string> path_params;

  std::optional<std::string> header(std::string_view name) const {
    return find_header(headers, name);
  }
  std::optional<std::string> query_param(std::string_view name) const {
    return find_field(query, name);
  }
  /// The path parameter `name`, or "" when the route has none of that name.
  std::string path_param(std::string const& name) const;
};

/// A handler's answer. Content-Length is set by the server.
struct Response {
  int status = 200;
  Fields headers;
  std::string body;

  /// A response with `Content-Type: application/json; charset=utf-8`.
  static Response json(int status, std::string body);
  /// A response with `Content-Type: text/plain; charset=utf-8`.
  static Response text(int status, std::string body);
};

}  // namespace candor::fakes::http
