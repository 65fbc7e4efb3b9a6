#include "fakes/generic/fake_generic_sms.hpp"

#include <condition_variable>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/log.hpp"
#include "fakes/http/admin_json.hpp"
#include "fakes/http/codec.hpp"
#include "fakes/http/json_text.hpp"

namespace candor::fakes::generic {
namespace {

using nlohmann::json;

spdlog::logger& logger() {
  static auto& instance = log::get("fake.generic");
  return instance;
}

http::Response error(int status, std::string message) {
  return http::Response::json(status, http::json_text(json{{"error", std::move(message)}}));
}

// Follows "a.b.c" through nested objects; nullptr when any step is missing.
json const* find_path(json const& root, std::string const& dotted) {
  json const* node = &root;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    auto const end = std::min(dotted.find('.', start), dotted.size());
    auto const key = dotted.substr(start, end - start);
    if (!node->is_object() || !node->contains(key)) {
      return nullptr;
    }
    node = &(*node)[key];
    start = end + 1;
  }
  return node;
}

}  // namespace

struct FakeGenericSms::Impl {
  Impl(FakeGenericSmsConfig c, clock::Clock& k, clock::WorkTracker* t)
      : config(std::move(c)), clock(k), server(k, config.server, t) {}

  http::Response send(http::Request const& request);
  http::Response admin(http::Request const& request);

  FakeGenericSmsConfig const config;
  clock::Clock& clock;
  http::HttpServer server;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<GenericMessage> messages;
  bool stopped = false;
};

http::Response FakeGenericSms::Impl::send(http::Request const& request) {
  if (config.basic_auth) {
    auto const credentials = http::parse_basic_auth(request.header("Authorization").value_or(""));
    if (!credentials || credentials->user != config.basic_auth->username ||
        credentials->password != config.basic_auth->password) {
      auto refused = error(401, "missing or wrong Basic credentials");
      refused.headers.emplace_back("WWW-Authenticate", R"(Basic realm="sms")");
      return refused;
    }
  }

  auto const body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return error(400, "the body must be a JSON object");
  }

  GenericMessage message{
      .raw_body = request.body, .headers = request.headers, .received_at = request.received_at};
  if (!config.recipient_field.empty()) {
    auto const* recipient = find_path(body, config.recipient_field);
    if (recipient != nullptr && recipient->is_string()) {
      message.recipients.push_back(recipient->get<std::string>());
    } else if (recipient != nullptr && recipient->is_array()) {
      for (auto const& item : *recipient) {
        if (item.is_string()) {
          message.recipients.push_back(item.get<std::string>());
        }
      }
    }
    if (message.recipients.empty() || message.recipients.front().empty()) {
      return error(
          400, fmt::format("field '{}' must hold the recipient's number", config.recipient_field));
    }
  }
  if (!config.text_field.empty()) {
    if (auto const* text = find_path(body, config.text_field); text && text->is_string()) {
      message.text = text->get<std::string>();
    }
  }

  std::string id;
  {
    std::lock_guard lock(mutex);
    id = fmt::format("gen-{:08}", messages.size() + 1);
    message.id = id;
    messages.push_back(std::move(message));
  }
  changed.notify_all();
  logger().debug("accepted id={}", id);
  return http::Response::json(200,
                              http::json_text(json{{config.id_field, id}, {"status", "accepted"}}));
}

http::Response FakeGenericSms::Impl::admin(http::Request const& request) {
  auto const& path = request.path;
  if (request.method == "GET" && path == "/__admin/messages") {
    json out = json::array();
    std::lock_guard lock(mutex);
    for (auto const& m : messages) {
      out.push_back({{"id", m.id},
                     {"recipients", m.recipients},
                     {"text", m.text},
                     {"body", m.raw_body},
                     {"received_at_ms", clock::to_unix_ms(m.received_at)}});
    }
    return http::Response::json(200, http::json_text(out));
  }
  if (request.method == "GET" && path == "/__admin/journal") {
    json out = json::array();
    for (auto const& entry : server.journal()) {
      out.push_back({{"number", entry.number},
                     {"method", entry.method},
                     {"target", entry.target},
                     {"status", entry.status},
                     {"fault", entry.fault},
                     {"received_at_ms", clock::to_unix_ms(entry.received_at)}});
    }
    return http::Response::json(200, http::json_text(out));
  }
  if (request.method != "POST") {
    return error(404, "unknown admin resource " + path);
  }

  // Every field is checked; a wrong type or range is refused, never replaced by a
  // default that would script something else than was asked.
  try {
    auto const body = http::admin_body(request);
    constexpr std::int64_t kMaxCount = 1'000'000;
    constexpr std::int64_t kHourMs = 3'600'000;
    if (path == "/__admin/faults") {
      auto const kind = http::text_field(body, "kind");
      auto const count = http::integer_field(body, "count", 1, 1, kMaxCount);
      http::Fault fault;
      if (kind == "status") {
        fault = http::Fault::with_status(
            static_cast<int>(http::integer_field(body, "status", 500, 400, 599)),
            http::text_field(body, "body"));
      } else if (kind == "drop") {
        fault = http::Fault::drop();
      } else if (kind == "reset") {
        fault = http::Fault::reset();
      } else if (kind == "delay") {
        fault = http::Fault::delayed(
            std::chrono::milliseconds(http::integer_field(body, "delay_ms", 0, 0, kHourMs)));
      } else {
        throw http::AdminError("kind: must be status, drop, reset or delay");
      }
      server.fail_next(static_cast<std::size_t>(count), std::move(fault));
      return http::Response::json(200, "{}");
    }
    if (path == "/__admin/latency") {
      server.set_latency(std::chrono::milliseconds(http::integer_field(body, "ms", 0, 0, kHourMs)));
      return http::Response::json(200, "{}");
    }
  } catch (http::AdminError const& refused) {
    return http::admin_error(refused.what());
  }
  if (path == "/__admin/reset") {
    server.clear_faults();
    return http::Response::json(200, "{}");
  }
  return error(404, "unknown admin action " + path);
}

FakeGenericSms::FakeGenericSms(FakeGenericSmsConfig config, clock::Clock& clock,
                               clock::WorkTracker* tracker)
    : impl_(std::make_unique<Impl>(std::move(config), clock, tracker)) {
  auto& s = *impl_;
  s.server.route(s.config.method, s.config.path,
                 [&s](http::Request const& r) { return s.send(r); });
  for (auto const* method : {"GET", "POST"}) {
    s.server.route(method, "/__admin/{what}", [&s](http::Request const& r) { return s.admin(r); });
  }
}

FakeGenericSms::~FakeGenericSms() {
  stop();
}

Status FakeGenericSms::start() {
  CANDOR_RETURN_IF_ERROR(impl_->server.start());
  logger().info("listening on {}", url());
  return ok_status();
}

void FakeGenericSms::stop() {
  impl_->server.stop();
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
  }
  impl_->changed.notify_all();
}

void FakeGenericSms::wait_until_stopped() {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait(lock, [this] { return impl_->stopped; });
}

std::uint16_t FakeGenericSms::port() const {
  return impl_->server.port();
}
std::string FakeGenericSms::base_url() const {
  return impl_->server.base_url();
}
std::string FakeGenericSms::url() const {
  return base_url() + impl_->config.path;
}
FakeGenericSmsConfig const& FakeGenericSms::config() const {
  return impl_->config;
}
http::HttpServer& FakeGenericSms::server() {
  return impl_->server;
}

std::vector<GenericMessage> FakeGenericSms::messages() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->messages;
}

bool FakeGenericSms::wait_for_messages(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout,
                                 [this, count] { return impl_->messages.size() >= count; });
}

}  // namespace candor::fakes::generic
