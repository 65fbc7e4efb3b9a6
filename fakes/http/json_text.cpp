#include "fakes/http/json_text.hpp"

namespace candor::fakes::http {

std::string json_text(nlohmann::json const& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace candor::fakes::http
