#include "fakes/smtp/fake_smtp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock/manual_clock.hpp"
#include "fakes/http/client.hpp"
#include "fakes/smtp/smtp_text.hpp"

namespace candor::fakes::smtp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using namespace std::chrono_literals;

// A blocking client on plain POSIX sockets, so the test depends on nothing the fake
// uses. Reads give up after five seconds, so a silent server fails the test instead
// of hanging it.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      throw std::runtime_error("connect failed");
    }
  }
  ~RawClient() { ::close(fd_); }
  RawClient(RawClient const&) = delete;
  RawClient& operator=(RawClient const&) = delete;

  void send(std::string const& bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

  /// One whole reply (all "NNN-" lines and the final "NNN " line), CRLFs kept;
  /// "" when the server closed the connection or said nothing in time.
  std::string read_reply() {
    std::string reply;
    for (;;) {
      auto line = read_line();
      if (!line) {
        return "";
      }
      reply += *line + "\r\n";
      if (line->size() < 4 || (*line)[3] != '-') {
        return reply;
      }
    }
  }

  std::string command(std::string const& line) {
    send(line + "\r\n");
    return read_reply();
  }

  /// True when the server closed the connection (recv returns 0 or reset).
  bool closed_by_peer() {
    if (!buffer_.empty()) {
      return false;
    }
    char c = 0;
    auto const n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  /// True when bytes are waiting to be read right now.
  bool has_bytes_now() {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    return !buffer_.empty() || ::poll(&p, 1, 0) > 0;
  }

 private:
  std::optional<std::string> read_line() {
    for (;;) {
      auto const end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        auto line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return line;
      }
      char chunk[1024];
      auto const n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        return std::nullopt;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int fd_ = -1;
  std::string buffer_;
};

std::string code_of(std::string const& reply) {
  return reply.substr(0, 3);
}

// Polls a condition that another thread makes true; a wait helper, not a timing assert.
bool eventually(std::function<bool()> const& condition) {
  auto const deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(1ms);
  }
  return condition();
}

clock::TimePoint start_time() {
  return clock::from_unix_ms(1'700'000'000'000);
}

class Fixture {
 public:
  explicit Fixture(FakeSmtpConfig config = {})
      : clock_(start_time(), {.tracker = &tracker_, .settle_timeout = 5s}),
        smtp_(std::move(config), clock_, &tracker_) {
    auto const started = smtp_.start();
    if (!started) {
      throw std::runtime_error(started.error().to_string());
    }
  }

  /// Connects and reads the greeting.
  std::unique_ptr<RawClient> connect(std::string* greeting = nullptr) {
    auto client = std::make_unique<RawClient>(smtp_.port());
    auto reply = client->read_reply();
    if (greeting != nullptr) {
      *greeting = reply;
    }
    return client;
  }

  /// Connects, greets with EHLO and opens a transaction to `to`.
  std::unique_ptr<RawClient> ready_for_data(std::string const& to = "ann@example.com") {
    auto client = connect();
    EXPECT_EQ(code_of(client->command("EHLO client.example")), "250");
    EXPECT_EQ(code_of(client->command("MAIL FROM:<jobs@acme.example>")), "250");
    EXPECT_EQ(code_of(client->command("RCPT TO:<" + to + ">")), "250");
    EXPECT_EQ(code_of(client->command("DATA")), "354");
    return client;
  }

  clock::WorkTracker tracker_;
  clock::ManualClock clock_;
  FakeSmtp smtp_;
};

TEST(FakeSmtp, FullDialogueStoresTheMessage) {
  Fixture f;
  std::string greeting;
  auto client = f.connect(&greeting);
  EXPECT_THAT(greeting, StartsWith("220 smtp.fake.candor.test"));

  auto const ehlo = client->command("EHLO client.example");
  EXPECT_THAT(ehlo, StartsWith("250-smtp.fake.candor.test"));
  EXPECT_THAT(ehlo, HasSubstr("250-PIPELINING\r\n"));
  EXPECT_THAT(ehlo, HasSubstr("250-SIZE 10485760\r\n"));
  EXPECT_THAT(ehlo, HasSubstr("8BITMIME"));
  EXPECT_THAT(ehlo, Not(HasSubstr("AUTH")));
  EXPECT_EQ(client->command("MAIL FROM:<jobs@acme.example> BODY=8BITMIME"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(client->command("RCPT TO:<ann@example.com>"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(code_of(client->command("RCPT TO:<bob@example.org>")), "250");
  EXPECT_THAT(client->command("DATA"), StartsWith("354 "));
  auto const queued = client->command(
      "Subject: Interview\r\nFrom: Acme Jobs <jobs@acme.example>\r\nTo: ann@example.com\r\n"
      "Message-ID: <m1@acme.example>\r\n\r\nHello Ann,\r\nsee you.\r\n.");
  EXPECT_THAT(queued, StartsWith("250 2.0.0 Ok: queued as "));
  EXPECT_THAT(client->command("QUIT"), StartsWith("221 "));
  EXPECT_TRUE(client->closed_by_peer());

  auto const messages = f.smtp_.messages();
  ASSERT_EQ(messages.size(), 1u);
  auto const& m = messages[0];
  EXPECT_EQ(queued, "250 2.0.0 Ok: queued as " + m.queue_id + "\r\n");
  EXPECT_EQ(m.mail_from, "jobs@acme.example");
  EXPECT_EQ(m.recipients, (std::vector<std::string>{"ann@example.com", "bob@example.org"}));
  EXPECT_EQ(m.subject, "Interview");
  EXPECT_EQ(m.from, "Acme Jobs <jobs@acme.example>");
  EXPECT_EQ(m.to, "ann@example.com");
  EXPECT_EQ(m.message_id, "<m1@acme.example>");
  EXPECT_EQ(m.body, "Hello Ann,\r\nsee you.\r\n");
  EXPECT_EQ(m.helo, "client.example");
  EXPECT_EQ(m.session, 1u);
  EXPECT_EQ(m.received_at, start_time());
  EXPECT_EQ(f.smtp_.find_message(m.queue_id)->subject, "Interview");
  EXPECT_EQ(f.smtp_.stats().messages, 1u);
}

TEST(FakeSmtp, HeloAndTwoMessagesInOneSession) {
  Fixture f;
  auto client = f.connect();

  EXPECT_EQ(client->command("HELO client.example"), "250 smtp.fake.candor.test\r\n");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(code_of(client->command("MAIL FROM:<>")), "250");
    EXPECT_EQ(code_of(client->command("RCPT TO:<ann@example.com>")), "250");
    EXPECT_EQ(code_of(client->command("DATA")), "354");
    EXPECT_EQ(code_of(client->command("Subject: n\r\n\r\nx\r\n.")), "250");
  }

  auto const messages = f.smtp_.messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].mail_from, "");
  EXPECT_NE(messages[0].queue_id, messages[1].queue_id);
}

TEST(FakeSmtp, UndoesDotStuffing) {
  Fixture f;
  auto client = f.ready_for_data();

  auto const reply = client->command("Subject: dots\r\n\r\n..\r\n..leading\r\n...\r\nmid.dle\r\n.");

  EXPECT_EQ(code_of(reply), "250");
  ASSERT_EQ(f.smtp_.messages().size(), 1u);
  EXPECT_EQ(f.smtp_.messages()[0].body, ".\r\n.leading\r\n..\r\nmid.dle\r\n");
}

TEST(FakeSmtp, AcceptsPipelinedCommands) {
  Fixture f;
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");

  client->send(
      "MAIL FROM:<a@acme.example>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\n"
      "DATA\r\n");

  EXPECT_EQ(code_of(client->read_reply()), "250");
  EXPECT_EQ(code_of(client->read_reply()), "250");
  EXPECT_EQ(code_of(client->read_reply()), "250");
  EXPECT_EQ(code_of(client->read_reply()), "354");
  EXPECT_EQ(code_of(client->command("x\r\n.")), "250");
  EXPECT_EQ(f.smtp_.messages().at(0).recipients.size(), 2u);
}

TEST(FakeSmtp, RefusesCommandsOutOfOrder) {
  Fixture f;
  auto client = f.connect();

  EXPECT_THAT(client->command("MAIL FROM:<a@acme.example>"), StartsWith("503 "));
  EXPECT_THAT(client->command("EHLO"), StartsWith("501 "));
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");
  EXPECT_THAT(client->command("RCPT TO:<b@example.com>"), StartsWith("503 "));
  EXPECT_THAT(client->command("DATA"), StartsWith("503 "));
  EXPECT_EQ(code_of(client->command("MAIL FROM:<a@acme.example>")), "250");
  EXPECT_THAT(client->command("MAIL FROM:<a@acme.example>"), StartsWith("503 5.5.1 Nested"));
  EXPECT_THAT(client->command("DATA"), StartsWith("503 5.5.1 Need RCPT"));
  EXPECT_THAT(client->command("DATA now"), StartsWith("501 "));
  EXPECT_EQ(code_of(client->command("RCPT TO:<b@example.com>")), "250");
  EXPECT_EQ(client->command("RSET"), "250 2.0.0 Ok\r\n");
  EXPECT_THAT(client->command("RCPT TO:<b@example.com>"), StartsWith("503 "));
  EXPECT_THAT(client->command("RSET now"), StartsWith("501 "));
  EXPECT_EQ(client->command("NOOP"), "250 2.0.0 Ok\r\n");
  EXPECT_THAT(client->command("VRFY ann"), StartsWith("500 "));
  EXPECT_THAT(client->command(""), StartsWith("500 "));
  EXPECT_TRUE(f.smtp_.messages().empty());
}

TEST(FakeSmtp, RefusesBadSyntax) {
  Fixture f;
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");

  EXPECT_THAT(client->command("MAIL FROM:a@acme.example"), StartsWith("501 "));
  EXPECT_THAT(client->command("MAIL TO:<a@acme.example>"), StartsWith("501 "));
  EXPECT_THAT(client->command("MAIL FROM:<a@acme.example> SIZE=lots"), StartsWith("501 "));
  EXPECT_THAT(client->command("MAIL FROM:<a@acme.example> COLOR=red"), StartsWith("555 "));
  EXPECT_EQ(code_of(client->command("MAIL FROM:<a@acme.example>")), "250");
  EXPECT_THAT(client->command("RCPT TO:<>"), StartsWith("501 "));
  EXPECT_THAT(client->command("RCPT TO:<not-an-address>"), StartsWith("501 "));
}

TEST(FakeSmtp, RefusesOverlongCommandLineAndCarriesOn) {
  Fixture f({.max_line_length = 64});
  auto client = f.connect();

  EXPECT_EQ(client->command("NOOP " + std::string(200, 'x')), "500 5.5.2 Line too long\r\n");
  EXPECT_EQ(code_of(client->command("NOOP")), "250");
}

TEST(FakeSmtp, RefusesMessageWithOverlongLine) {
  Fixture f({.max_line_length = 64});
  auto client = f.ready_for_data();

  auto const reply = client->command("Subject: x\r\n\r\n" + std::string(100, 'y') + "\r\n.");

  EXPECT_EQ(reply, "500 5.5.2 Line too long\r\n");
  EXPECT_TRUE(f.smtp_.messages().empty());
  EXPECT_EQ(code_of(client->command("NOOP")), "250");
}

TEST(FakeSmtp, EnforcesMessageSize) {
  Fixture f({.max_message_size = 100});
  auto client = f.connect();
  EXPECT_THAT(client->command("EHLO c.example"), HasSubstr("250-SIZE 100\r\n"));

  EXPECT_THAT(client->command("MAIL FROM:<a@acme.example> SIZE=101"), StartsWith("552 "));
  EXPECT_EQ(code_of(client->command("MAIL FROM:<a@acme.example> SIZE=100")), "250");
  EXPECT_EQ(code_of(client->command("RCPT TO:<b@example.com>")), "250");
  EXPECT_EQ(code_of(client->command("DATA")), "354");
  auto const reply = client->command("Subject: big\r\n\r\n" + std::string(50, 'z') + "\r\n" +
                                     std::string(50, 'z') + "\r\n.");

  EXPECT_THAT(reply, StartsWith("552 5.3.4 "));
  EXPECT_TRUE(f.smtp_.messages().empty());
  EXPECT_EQ(f.smtp_.stats().rejected_messages, 1u);
  EXPECT_THAT(client->command("RCPT TO:<b@example.com>"), StartsWith("503 "));
}

TEST(FakeSmtp, LimitsRecipients) {
  Fixture f({.max_recipients = 2});
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");
  EXPECT_EQ(code_of(client->command("MAIL FROM:<a@acme.example>")), "250");

  EXPECT_EQ(code_of(client->command("RCPT TO:<b@example.com>")), "250");
  EXPECT_EQ(code_of(client->command("RCPT TO:<c@example.com>")), "250");
  EXPECT_THAT(client->command("RCPT TO:<d@example.com>"), StartsWith("452 "));
}

FakeSmtpConfig with_auth() {
  return {.auth = SmtpCredentials{"app", "s3cret"}};
}

TEST(FakeSmtp, AuthPlainWithInitialResponse) {
  Fixture f(with_auth());
  auto client = f.connect();
  EXPECT_THAT(client->command("EHLO c.example"), HasSubstr("250 AUTH PLAIN LOGIN\r\n"));
  EXPECT_THAT(client->command("MAIL FROM:<a@acme.example>"), StartsWith("530 "));

  auto const token = base64_encode(std::string("\0app\0s3cret", 11));
  EXPECT_THAT(client->command("AUTH PLAIN " + token), StartsWith("235 2.7.0 "));
  EXPECT_THAT(client->command("AUTH PLAIN " + token), StartsWith("503 "));
  EXPECT_EQ(code_of(client->command("MAIL FROM:<a@acme.example>")), "250");
  EXPECT_EQ(code_of(client->command("RCPT TO:<b@example.com>")), "250");
  EXPECT_EQ(code_of(client->command("DATA")), "354");
  EXPECT_EQ(code_of(client->command("x\r\n.")), "250");

  EXPECT_EQ(f.smtp_.messages().at(0).auth_user, "app");
}

TEST(FakeSmtp, AuthPlainWithChallenge) {
  Fixture f(with_auth());
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");

  EXPECT_EQ(client->command("AUTH PLAIN"), "334 \r\n");
  EXPECT_THAT(client->command(base64_encode(std::string("\0app\0s3cret", 11))), StartsWith("235 "));
}

TEST(FakeSmtp, AuthLogin) {
  Fixture f(with_auth());
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");

  EXPECT_EQ(client->command("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(client->command(base64_encode("app")), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_THAT(client->command(base64_encode("s3cret")), StartsWith("235 "));
}

TEST(FakeSmtp, AuthRefusesWrongPasswordAndBadInput) {
  Fixture f(with_auth());
  auto client = f.connect();
  EXPECT_THAT(client->command("AUTH PLAIN x"), StartsWith("503 "));  // before EHLO
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");

  EXPECT_THAT(client->command("AUTH PLAIN " + base64_encode(std::string("\0app\0wrong", 10))),
              StartsWith("535 5.7.8 "));
  EXPECT_EQ(code_of(client->command("AUTH LOGIN " + base64_encode("app"))), "334");
  EXPECT_THAT(client->command(base64_encode("nope")), StartsWith("535 "));
  EXPECT_THAT(client->command("AUTH PLAIN !!!"), StartsWith("501 "));
  EXPECT_THAT(client->command("AUTH PLAIN " + base64_encode("no separators")), StartsWith("501 "));
  EXPECT_EQ(code_of(client->command("AUTH LOGIN")), "334");
  EXPECT_THAT(client->command("*"), StartsWith("501 5.7.0 "));
  EXPECT_THAT(client->command("AUTH CRAM-MD5"), StartsWith("504 "));
  EXPECT_THAT(client->command("MAIL FROM:<a@acme.example>"), StartsWith("530 "));
  EXPECT_EQ(f.smtp_.stats().auth_failures, 2u);
}

TEST(FakeSmtp, AuthWithoutCredentialsConfiguredIsNotSupported) {
  Fixture f;
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");

  EXPECT_THAT(client->command("AUTH PLAIN " + base64_encode(std::string("\0a\0b", 4))),
              StartsWith("502 "));
}

TEST(FakeSmtp, RejectsRecipientsByDomainAtRcpt) {
  Fixture f({.reject_rules = {{.domain = "Blocked.example"}}});
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");
  EXPECT_EQ(code_of(client->command("MAIL FROM:<a@acme.example>")), "250");

  EXPECT_EQ(client->command("RCPT TO:<x@blocked.EXAMPLE>"),
            "550 5.1.1 <x@blocked.EXAMPLE>: Recipient address rejected\r\n");
  EXPECT_EQ(code_of(client->command("RCPT TO:<y@ok.example>")), "250");
  EXPECT_EQ(code_of(client->command("DATA")), "354");
  EXPECT_EQ(code_of(client->command("x\r\n.")), "250");

  EXPECT_EQ(f.smtp_.messages().at(0).recipients, std::vector<std::string>{"y@ok.example"});
  EXPECT_EQ(f.smtp_.stats().rejected_recipients, 1u);
}

TEST(FakeSmtp, RejectsByPatternWithCustomReply) {
  Fixture f;
  f.smtp_.add_reject_rule(
      {.address_pattern = "bounce-.*@.*", .code = 553, .text = "5.1.3 go away"});
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");
  EXPECT_EQ(code_of(client->command("MAIL FROM:<a@acme.example>")), "250");

  EXPECT_EQ(client->command("RCPT TO:<Bounce-1@x.example>"), "553 5.1.3 go away\r\n");
  EXPECT_EQ(code_of(client->command("RCPT TO:<nobounce-1@x.example>")), "250");

  f.smtp_.clear_reject_rules();
  EXPECT_EQ(code_of(client->command("RCPT TO:<bounce-2@x.example>")), "250");
}

TEST(FakeSmtp, RejectsAfterDataWhenConfigured) {
  Fixture f({.reject_rules = {{.domain = "late.example", .stage = RejectStage::kData}}});
  auto client = f.ready_for_data("ann@late.example");

  auto const reply = client->command("Subject: x\r\n\r\nbody\r\n.");

  EXPECT_EQ(reply, "554 5.7.1 Message rejected for <ann@late.example>\r\n");
  EXPECT_TRUE(f.smtp_.messages().empty());
  EXPECT_EQ(f.smtp_.stats().rejected_messages, 1u);
}

TEST(FakeSmtp, InvalidPatternIsAConfigurationError) {
  clock::ManualClock clock(start_time());

  EXPECT_THROW(FakeSmtp({.reject_rules = {{.address_pattern = "(unclosed"}}}, clock),
               std::invalid_argument);
}

TEST(FakeSmtp, TemporaryFailure421ForNextSessions) {
  Fixture f;
  f.smtp_.fail_next_sessions(2, 421);

  for (int i = 0; i < 2; ++i) {
    std::string greeting;
    auto client = f.connect(&greeting);
    EXPECT_THAT(greeting, StartsWith("421 4.3.2 "));
    EXPECT_TRUE(client->closed_by_peer());
  }
  std::string greeting;
  auto client = f.connect(&greeting);

  EXPECT_EQ(code_of(greeting), "220");
  EXPECT_EQ(f.smtp_.stats().temporary_failures, 2u);
}

TEST(FakeSmtp, TemporaryFailure451AtMail) {
  Fixture f;
  f.smtp_.fail_next_sessions(1, 451);
  {
    auto client = f.connect();
    EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");
    EXPECT_THAT(client->command("MAIL FROM:<a@acme.example>"), StartsWith("451 4.3.0 "));
  }

  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");
  EXPECT_EQ(code_of(client->command("MAIL FROM:<a@acme.example>")), "250");
}

TEST(FakeSmtp, DropsOnConnect) {
  Fixture f;
  f.smtp_.drop_next_sessions(1, DropPoint::kOnConnect);

  std::string greeting;
  auto client = f.connect(&greeting);

  EXPECT_EQ(greeting, "");
  EXPECT_TRUE(eventually([&] { return f.smtp_.stats().dropped_sessions == 1; }));
  std::string second;
  auto next = f.connect(&second);
  EXPECT_EQ(code_of(second), "220");
}

TEST(FakeSmtp, DropsAfterMailFrom) {
  Fixture f;
  f.smtp_.drop_next_sessions(1, DropPoint::kAfterMailFrom);
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");

  EXPECT_EQ(client->command("MAIL FROM:<a@acme.example>"), "");
  EXPECT_EQ(f.smtp_.stats().dropped_sessions, 1u);
}

TEST(FakeSmtp, DropAfterDataKeepsTheMessageButSendsNoReply) {
  Fixture f;
  f.smtp_.drop_next_sessions(1, DropPoint::kAfterData);
  auto client = f.ready_for_data();

  EXPECT_EQ(client->command("Subject: lost reply\r\n\r\nx\r\n."), "");

  ASSERT_TRUE(f.smtp_.wait_for_messages(1, 5s));
  EXPECT_EQ(f.smtp_.messages()[0].subject, "lost reply");
}

TEST(FakeSmtp, RepliesAfterLatencyOnTheInjectedClock) {
  Fixture f({.reply_latency = 2s});
  RawClient client(f.smtp_.port());

  ASSERT_TRUE(eventually([&] { return f.clock_.pending_timers() == 1; }));
  EXPECT_FALSE(client.has_bytes_now());
  EXPECT_TRUE(f.clock_.advance(1s));
  EXPECT_FALSE(client.has_bytes_now());
  EXPECT_TRUE(f.clock_.advance(1s));

  // advance() waited for the tracked reply, so it is on the wire already.
  EXPECT_TRUE(client.has_bytes_now());
  EXPECT_EQ(code_of(client.read_reply()), "220");
  EXPECT_EQ(f.tracker_.pending(), 0);
}

TEST(FakeSmtp, DataLatencyDelaysOnlyTheFinalReply) {
  Fixture f;
  auto client = f.ready_for_data();
  f.smtp_.set_latency(clock::Duration::zero(), std::chrono::seconds(30));

  client->send("Subject: slow\r\n\r\nx\r\n.\r\n");
  ASSERT_TRUE(eventually([&] { return f.clock_.pending_timers() == 1; }));
  EXPECT_FALSE(client->has_bytes_now());
  EXPECT_TRUE(f.clock_.advance(30s));

  EXPECT_THAT(client->read_reply(), StartsWith("250 2.0.0 Ok: queued as "));
  EXPECT_EQ(f.smtp_.messages().at(0).received_at, start_time());
}

TEST(FakeSmtp, StopClosesSessionsAndCancelsClockTimers) {
  Fixture f({.reply_latency = 5s});
  RawClient waiting(f.smtp_.port());
  ASSERT_TRUE(eventually([&] { return f.clock_.pending_timers() == 1; }));

  f.smtp_.stop();

  EXPECT_TRUE(waiting.closed_by_peer());
  EXPECT_EQ(f.clock_.pending_timers(), 0u);
  EXPECT_TRUE(f.clock_.advance(10s));
  f.smtp_.stop();  // idempotent
  f.smtp_.wait_until_stopped();
}

TEST(FakeSmtp, StartTwiceFails) {
  Fixture f;

  auto const again = f.smtp_.start();

  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kFailedPrecondition);
  EXPECT_EQ(f.smtp_.url(), "smtp://127.0.0.1:" + std::to_string(f.smtp_.port()));
}

TEST(FakeSmtp, BadBindAddressIsReported) {
  clock::ManualClock clock(start_time());
  FakeSmtp smtp({.bind_address = "not an address"}, clock);

  auto const started = smtp.start();

  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.error().message, HasSubstr("bind_address"));
}

TEST(FakeSmtp, ClearForgetsMessagesAndCounters) {
  Fixture f;
  auto client = f.ready_for_data();
  EXPECT_EQ(code_of(client->command("x\r\n.")), "250");

  f.smtp_.clear();

  EXPECT_TRUE(f.smtp_.messages().empty());
  EXPECT_EQ(f.smtp_.stats().messages, 0u);
}

TEST(FakeSmtp, RefusesACommandEndedByABareLineFeed) {
  Fixture f;
  auto client = f.connect();

  client->send("NOOP\n");
  EXPECT_EQ(client->read_reply(), "500 5.5.2 Bare LF received: lines must end with CRLF\r\n");

  // The session goes on for a client that mends its ways.
  EXPECT_EQ(code_of(client->command("NOOP")), "250");
}

TEST(FakeSmtp, RefusesMessageDataWithABareLineFeedAndCloses) {
  Fixture f;
  auto client = f.ready_for_data();

  // "\n.\n" inside CRLF data is how SMTP smuggling hides a second message.
  client->send("Subject: x\r\n\r\nfirst\n.\nMAIL FROM:<evil@x.example>\r\n");

  EXPECT_EQ(client->read_reply(),
            "554 5.5.2 Bare LF in message data: lines must end with CRLF\r\n");
  EXPECT_TRUE(client->closed_by_peer());
  EXPECT_TRUE(f.smtp_.messages().empty());
  EXPECT_EQ(f.smtp_.stats().rejected_messages, 1u);
}

TEST(FakeSmtp, PresentsQuotedPrintableBodiesAndEncodedSubjectsDecoded) {
  Fixture f;
  auto client = f.ready_for_data();
  std::string const long_line(5000, 'a');
  std::string encoded;
  for (std::size_t i = 0; i < long_line.size(); i += 75) {
    encoded += long_line.substr(i, 75) + (i + 75 < long_line.size() ? "=\r\n" : "\r\n");
  }

  auto const reply = client->command(
      "Subject: =?UTF-8?B?RW50cmV0aWVuIOKAkyDDqXRhcGUgMg==?=\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "Bonjour Z=C3=A9lie,\r\n" +
      encoded + "..leading dot\r\n.");

  ASSERT_EQ(code_of(reply), "250");
  auto const m = f.smtp_.messages().at(0);
  EXPECT_EQ(m.subject, "Entretien \xE2\x80\x93 \xC3\xA9tape 2");
  EXPECT_EQ(m.body, "Bonjour Z\xC3\xA9lie,\r\n" + long_line + "\r\n.leading dot\r\n");
  EXPECT_THAT(m.raw_body, StartsWith("Bonjour Z=C3=A9lie,\r\n"));
  EXPECT_THAT(m.raw, HasSubstr("Subject: =?UTF-8?B?"));
  EXPECT_THAT(m.headers,
              ::testing::Contains(std::make_pair(std::string("Content-Transfer-Encoding"),
                                                 std::string("quoted-printable"))));
}

TEST(FakeSmtp, JournalsSessionsWithTranscriptsAndFaults) {
  Fixture f({.auth = SmtpCredentials{"app", "secret"}});
  f.smtp_.fail_next_sessions(1, 421);
  { auto refused = f.connect(); }
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO client.example")), "250");
  EXPECT_EQ(
      code_of(client->command("AUTH PLAIN " + base64_encode(std::string("\0app\0secret", 11)))),
      "235");
  EXPECT_EQ(code_of(client->command("MAIL FROM:<jobs@acme.example>")), "250");
  EXPECT_EQ(code_of(client->command("RCPT TO:<ann@example.com>")), "250");
  EXPECT_EQ(code_of(client->command("DATA")), "354");
  auto const queued = client->command("Subject: hi\r\n\r\nx\r\n.");
  EXPECT_THAT(client->command("QUIT"), StartsWith("221 "));
  EXPECT_TRUE(client->closed_by_peer());
  ASSERT_TRUE(eventually([&] {
    auto const sessions = f.smtp_.sessions();
    return sessions.size() == 2 && sessions[1].closed_at.has_value();
  }));

  auto const sessions = f.smtp_.sessions();
  EXPECT_EQ(sessions[0].number, 1u);
  EXPECT_EQ(sessions[0].fault, "421");
  ASSERT_EQ(sessions[0].transcript.size(), 1u);
  EXPECT_THAT(sessions[0].transcript[0].reply, StartsWith("421 4.3.2 "));
  auto const& s = sessions[1];
  EXPECT_EQ(s.fault, "");
  EXPECT_EQ(s.helo, "client.example");
  EXPECT_EQ(s.auth_user, "app");
  EXPECT_EQ(s.opened_at, start_time());
  ASSERT_EQ(s.queue_ids.size(), 1u);
  EXPECT_EQ(queued, "250 2.0.0 Ok: queued as " + s.queue_ids[0] + "\r\n");
  std::vector<std::string> commands;
  for (auto const& e : s.transcript) {
    commands.push_back(e.command + " -> " + e.reply.substr(0, 3));
  }
  EXPECT_THAT(commands, ::testing::ElementsAre(" -> 220", "EHLO client.example -> 250",
                                               "AUTH PLAIN *** -> 235",
                                               "MAIL FROM:<jobs@acme.example> -> 250",
                                               "RCPT TO:<ann@example.com> -> 250", "DATA -> 354",
                                               "<message data: 18 octets> -> 250", "QUIT -> 221"));
  for (auto const& e : s.transcript) {
    EXPECT_THAT(e.command, Not(HasSubstr(base64_encode(std::string("\0app\0secret", 11)))));
  }

  f.smtp_.clear();
  EXPECT_TRUE(f.smtp_.sessions().empty());
}

TEST(FakeSmtp, JournalsDroppedSessions) {
  Fixture f;
  f.smtp_.drop_next_sessions(1, DropPoint::kAfterMailFrom);
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");
  EXPECT_EQ(client->command("MAIL FROM:<a@acme.example>"), "");

  ASSERT_TRUE(eventually([&] { return f.smtp_.sessions().at(0).closed_at.has_value(); }));
  auto const session = f.smtp_.sessions().at(0);
  EXPECT_EQ(session.fault, "drop:after_mail_from");
  ASSERT_EQ(session.transcript.size(), 3u);
  EXPECT_EQ(session.transcript[2].command, "MAIL FROM:<a@acme.example>");
  EXPECT_EQ(session.transcript[2].reply, "");
}

TEST(FakeSmtp, TranscriptIsBounded) {
  Fixture f;
  auto client = f.connect();
  for (std::size_t i = 0; i < kMaxTranscript + 5; ++i) {
    EXPECT_EQ(code_of(client->command("NOOP")), "250");
  }

  auto const session = f.smtp_.sessions().at(0);
  EXPECT_EQ(session.transcript.size(), kMaxTranscript);
  EXPECT_TRUE(session.truncated);
}

// ---------------------------------------------------------------------------
// Admin HTTP API

struct AdminAnswer {
  int status = 0;
  nlohmann::json body;
};

class AdminFixture : public Fixture {
 public:
  AdminFixture() : Fixture({.admin_api = true}) {}

  AdminAnswer call(std::string const& method, std::string const& path, std::string body = "") {
    std::promise<http::ClientResult> done;
    auto result = done.get_future();
    client_.send({.method = method,
                  .url = smtp_.admin_url() + path,
                  .body = std::move(body),
                  .content_type = "application/json"},
                 [&done](http::ClientResult const& r) { done.set_value(r); });
    auto const r = result.get();
    return {.status = r.status, .body = nlohmann::json::parse(r.body, nullptr, false)};
  }

  http::HttpClient client_{clock_};
};

TEST(FakeSmtpAdmin, ServesOnItsOwnPort) {
  AdminFixture f;

  EXPECT_NE(f.smtp_.admin_port(), 0);
  EXPECT_NE(f.smtp_.admin_port(), f.smtp_.port());
  EXPECT_EQ(f.smtp_.admin_url(), "http://127.0.0.1:" + std::to_string(f.smtp_.admin_port()));
  EXPECT_EQ(Fixture().smtp_.admin_url(), "");
}

TEST(FakeSmtpAdmin, RejectRulesWithAChosenReply) {
  AdminFixture f;

  EXPECT_EQ(f.call("POST", "/__admin/reject_rules",
                   R"({"domain":"full.example","code":452,"text":"4.2.2 Mailbox full"})")
                .status,
            200);
  EXPECT_EQ(f.call("POST", "/__admin/reject_rules",
                   R"({"address_pattern":"late@.*","stage":"data","code":554})")
                .status,
            200);
  auto client = f.connect();
  EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");
  EXPECT_EQ(code_of(client->command("MAIL FROM:<a@acme.example>")), "250");
  EXPECT_EQ(client->command("RCPT TO:<ann@full.example>"), "452 4.2.2 Mailbox full\r\n");
  EXPECT_EQ(code_of(client->command("RCPT TO:<late@ok.example>")), "250");
  EXPECT_EQ(code_of(client->command("DATA")), "354");
  EXPECT_THAT(client->command("Subject: x\r\n\r\nx\r\n."), StartsWith("554 5.7.1 "));

  EXPECT_EQ(f.call("POST", "/__admin/reject_rules/clear").status, 200);
  EXPECT_EQ(code_of(client->command("MAIL FROM:<a@acme.example>")), "250");
  EXPECT_EQ(code_of(client->command("RCPT TO:<ann@full.example>")), "250");
}

TEST(FakeSmtpAdmin, RefusesBadInputNamingTheField) {
  AdminFixture f;
  auto const error = [&f](std::string const& path, std::string const& body) {
    auto const answer = f.call("POST", path, body);
    EXPECT_EQ(answer.status, 400) << path << " " << body;
    return answer.body.value("error", "");
  };

  EXPECT_THAT(error("/__admin/reject_rules", R"({"code":250})"), StartsWith("code:"));
  EXPECT_THAT(error("/__admin/reject_rules", R"({"code":"550"})"), StartsWith("code:"));
  EXPECT_THAT(error("/__admin/reject_rules", R"({"stage":"helo"})"), StartsWith("stage:"));
  EXPECT_THAT(error("/__admin/reject_rules", R"({"address_pattern":"(unclosed"})"),
              HasSubstr("address_pattern"));
  EXPECT_THAT(error("/__admin/reject_rules", R"({"text":"a\r\nb"})"), StartsWith("text:"));
  EXPECT_THAT(error("/__admin/faults", R"({"kind":"temporary","code":450})"), StartsWith("code:"));
  EXPECT_THAT(error("/__admin/faults", R"({"kind":"temporary","sessions":100000000000})"),
              StartsWith("sessions:"));
  EXPECT_THAT(error("/__admin/faults", R"({"kind":"temporary","sessions":0})"),
              StartsWith("sessions:"));
  EXPECT_THAT(error("/__admin/faults", R"({"kind":"drop","point":"later"})"), StartsWith("point:"));
  EXPECT_THAT(error("/__admin/faults", R"({"kind":"explode"})"), StartsWith("kind:"));
  EXPECT_THAT(error("/__admin/latency", R"({"reply_ms":-1})"), StartsWith("reply_ms:"));
  EXPECT_THAT(error("/__admin/latency", "[1]"), StartsWith("body:"));
  EXPECT_EQ(f.call("GET", "/__admin/messages/nope").status, 404);
}

TEST(FakeSmtpAdmin, ScriptsTemporaryFailuresAndDrops) {
  AdminFixture f;

  EXPECT_EQ(
      f.call("POST", "/__admin/faults", R"({"kind":"temporary","code":421,"sessions":2})").status,
      200);
  for (int i = 0; i < 2; ++i) {
    std::string greeting;
    auto client = f.connect(&greeting);
    EXPECT_THAT(greeting, StartsWith("421 ")) << i;
  }
  EXPECT_EQ(f.call("POST", "/__admin/faults", R"({"kind":"temporary","code":451})").status, 200);
  {
    auto client = f.connect();
    EXPECT_EQ(code_of(client->command("EHLO c.example")), "250");
    EXPECT_THAT(client->command("MAIL FROM:<a@acme.example>"), StartsWith("451 "));
  }
  EXPECT_EQ(
      f.call("POST", "/__admin/faults", R"({"kind":"drop","point":"on_connect","sessions":1})")
          .status,
      200);
  {
    std::string greeting;
    auto client = f.connect(&greeting);
    EXPECT_EQ(greeting, "");
  }
  EXPECT_EQ(f.call("POST", "/__admin/faults", R"({"kind":"temporary","sessions":5})").status, 200);
  EXPECT_EQ(f.call("POST", "/__admin/faults/clear").status, 200);
  std::string greeting;
  auto client = f.connect(&greeting);
  EXPECT_EQ(code_of(greeting), "220");

  auto const stats = f.call("GET", "/__admin/stats").body;
  EXPECT_EQ(stats["temporary_failures"], 3);
  EXPECT_EQ(stats["dropped_sessions"], 1);
}

TEST(FakeSmtpAdmin, JournalOfMailAndSessions) {
  AdminFixture f;
  auto client = f.ready_for_data("ann@example.com");
  EXPECT_EQ(code_of(client->command("Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"
                                    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                                    "na=C3=AFve\r\n.")),
            "250");

  auto const all = f.call("GET", "/__admin/messages");
  ASSERT_EQ(all.status, 200);
  ASSERT_EQ(all.body["messages"].size(), 1u);
  auto const& m = all.body["messages"][0];
  EXPECT_EQ(m["subject"], "caf\xC3\xA9");
  EXPECT_EQ(m["body"], "na\xC3\xAFve\r\n");
  EXPECT_EQ(m["raw_body"], "na=C3=AFve\r\n");
  EXPECT_EQ(m["recipients"], nlohmann::json::array({"ann@example.com"}));
  EXPECT_EQ(m["received_at_ms"], clock::to_unix_ms(start_time()));
  EXPECT_EQ(f.call("GET", "/__admin/messages?to=bob@example.com").body["messages"].size(), 0u);
  EXPECT_EQ(f.call("GET", "/__admin/messages?to=ann@example.com").body["messages"].size(), 1u);
  auto const one = f.call("GET", "/__admin/messages/" + m["queue_id"].get<std::string>());
  EXPECT_EQ(one.body["queue_id"], m["queue_id"]);

  auto const sessions = f.call("GET", "/__admin/sessions").body["sessions"];
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0]["helo"], "client.example");
  EXPECT_EQ(sessions[0]["queue_ids"], nlohmann::json::array({m["queue_id"]}));
  EXPECT_EQ(sessions[0]["transcript"][1]["command"], "EHLO client.example");

  EXPECT_EQ(f.call("POST", "/__admin/latency", R"({"reply_ms":0,"data_ms":0})").status, 200);
  EXPECT_EQ(f.call("POST", "/__admin/clear").status, 200);
  EXPECT_EQ(f.call("GET", "/__admin/messages").body["messages"].size(), 0u);
}

}  // namespace
}  // namespace candor::fakes::smtp
