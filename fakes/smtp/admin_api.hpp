#pragma once

// The fake SMTP server's admin HTTP API (routes listed in fake_smtp.hpp), served on
// its own port because SMTP has no room for it. It steers the fake through its public
// C++ API only; bad input is answered 400 with {"error": "<field>: <problem>"}.

namespace candor::fakes::http {
class HttpServer;
}  // namespace candor::fakes::http

namespace candor::fakes::smtp {

class FakeSmtp;

/// Adds the /__admin routes for `fake` to `server`. Called by FakeSmtp::start().
void install_admin_routes(FakeSmtp& fake, http::HttpServer& server);

}  // namespace candor::fakes::smtp
