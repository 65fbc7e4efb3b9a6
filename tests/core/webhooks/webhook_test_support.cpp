#include "tests/core/webhooks/webhook_test_support.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace candor::webhooks::testing_support {

namespace asio = boost::asio;

std::string form_encode(FormParams const& params) {
  auto encode = [](std::string const& text) {
    std::string out;
    for (unsigned char c : text) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else if (c == ' ') {
        out.push_back('+');
      } else {
        out += fmt::format("%{:02X}", c);
      }
    }
    return out;
  };
  std::string body;
  for (auto const& [name, value] : params) {
    body += fmt::format("{}{}={}", body.empty() ? "" : "&", encode(name), encode(value));
  }
  return body;
}

std::string make_request(std::string const& method, std::string const& target,
                         std::vector<std::pair<std::string, std::string>> const& headers,
                         std::string const& body) {
  std::string raw =
      fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", method, target);
  for (auto const& [name, value] : headers) {
    raw += fmt::format("{}: {}\r\n", name, value);
  }
  raw += fmt::format("Content-Length: {}\r\n\r\n", body.size());
  raw += body;
  return raw;
}

HttpResult exchange(std::uint16_t port, std::string const& raw) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) {
    return {};
  }
  asio::write(socket, asio::buffer(raw), ec);

  // The server may close before reading everything it was sent (413); what it
  // wrote is still readable.
  std::string received;
  asio::read(socket, asio::dynamic_buffer(received), ec);

  HttpResult result;
  auto const head_end = received.find("\r\n\r\n");
  if (received.size() < 12 || head_end == std::string::npos) {
    return result;
  }
  result.status = std::stoi(received.substr(9, 3));
  auto const first_line_end = received.find("\r\n");
  result.headers = received.substr(first_line_end + 2, head_end - first_line_end);
  std::transform(result.headers.begin(), result.headers.end(), result.headers.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  result.body = received.substr(head_end + 4);
  return result;
}

}  // namespace candor::webhooks::testing_support
