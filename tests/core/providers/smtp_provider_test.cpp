#include "core/providers/smtp_provider.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "core/clock/manual_clock.hpp"

namespace candor::providers {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::Not;

clock::TimePoint const kNow = clock::from_unix_ms(1'754'000'000'000);

/// What the test server answers at each step; each string is a complete reply.
struct Script {
  std::string greeting = "220 mx.test ESMTP ready\r\n";
  std::string ehlo = "250-mx.test greets you\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n";
  std::string helo = "250 mx.test\r\n";
  std::string auth = "235 2.7.0 Authentication successful\r\n";
  std::string mail = "250 2.1.0 Ok\r\n";
  std::string rcpt = "250 2.1.5 Ok\r\n";
  std::string data = "354 End data with <CR><LF>.<CR><LF>\r\n";
  std::string end_of_data = "250 2.0.0 Ok: queued as 4BqZ1x2Y\r\n";
  std::string quit = "221 2.0.0 Bye\r\n";
  /// Accept connections but never say anything.
  bool silent = false;
};

/// A raw SMTP server on 127.0.0.1:0, one connection at a time, answering from a
/// Script and recording every command line and the message data it received.
class ScriptedSmtpServer {
 public:
  explicit ScriptedSmtpServer(Script script) : script_(std::move(script)) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }

  ~ScriptedSmtpServer() {
    stopping_ = true;
    // Wakes the blocking accept.
    asio::io_context io;
    tcp::socket poke(io);
    boost::system::error_code ignored;
    poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ignored);
    thread_.join();
  }

  std::uint16_t port() const { return port_; }

  std::vector<std::string> commands() const {
    std::lock_guard lock(mutex_);
    return commands_;
  }
  std::string data() const {
    std::lock_guard lock(mutex_);
    return data_;
  }
  int connections() const { return connections_; }

 private:
  void serve() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) {
        return;
      }
      ++connections_;
      converse(socket);
    }
  }

  void converse(tcp::socket& socket) {
    boost::system::error_code ec;
    std::string buffer;
    auto read_line = [&]() -> std::optional<std::string> {
      auto const size = asio::read_until(socket, asio::dynamic_buffer(buffer), "\r\n", ec);
      if (ec) {
        return std::nullopt;
      }
      auto line = buffer.substr(0, size - 2);
      buffer.erase(0, size);
      return line;
    };
    auto say = [&](std::string const& reply) { asio::write(socket, asio::buffer(reply), ec); };
    auto record = [&](std::string const& line) {
      std::lock_guard lock(mutex_);
      commands_.push_back(line);
    };

    if (script_.silent) {
      read_line();
      return;
    }
    say(script_.greeting);
    while (auto line = read_line()) {
      record(*line);
      auto const verb = line->substr(0, 4);
      if (verb == "EHLO") {
        say(script_.ehlo);
      } else if (verb == "HELO") {
        say(script_.helo);
      } else if (*line == "AUTH LOGIN") {
        say("334 VXNlcm5hbWU6\r\n");
        if (auto user = read_line()) {
          record(*user);
          say("334 UGFzc3dvcmQ6\r\n");
        }
        if (auto password = read_line()) {
          record(*password);
          say(script_.auth);
        }
      } else if (verb == "AUTH") {
        say(script_.auth);
      } else if (verb == "MAIL") {
        say(script_.mail);
      } else if (verb == "RCPT") {
        say(script_.rcpt);
      } else if (verb == "DATA") {
        say(script_.data);
        if (script_.data.front() == '3') {
          read_data(socket, buffer);
          say(script_.end_of_data);
        }
      } else if (verb == "QUIT") {
        say(script_.quit);
        return;
      } else {
        say("500 5.5.2 unknown command\r\n");
      }
      if (ec) {
        return;
      }
    }
  }

  void read_data(tcp::socket& socket, std::string& buffer) {
    boost::system::error_code ec;
    auto const size = asio::read_until(socket, asio::dynamic_buffer(buffer), "\r\n.\r\n", ec);
    if (ec) {
      return;
    }
    std::lock_guard lock(mutex_);
    data_ = buffer.substr(0, size);
    buffer.erase(0, size);
  }

  Script script_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> commands_;
  std::string data_;
  std::thread thread_;
};

class SmtpProviderTest : public testing::Test {
 protected:
  SmtpProviderTest() : thread_([this] { io_.run(); }) {}

  ~SmtpProviderTest() override {
    work_.reset();
    thread_.join();
  }

  SmtpConfig config_for(ScriptedSmtpServer const& server) {
    return SmtpConfig{.port = server.port(),
                      .helo_name = "candor.test",
                      .from_address = "jobs@example.com",
                      .from_display_name = "Acme Recruiting",
                      .command_timeout = std::chrono::seconds(10)};
  }

  std::unique_ptr<SmtpProvider> make(SmtpConfig config) {
    auto provider = SmtpProvider::create(std::move(config), io_, clock_);
    EXPECT_TRUE(provider) << provider.error().to_string();
    return provider ? std::move(*provider) : nullptr;
  }

  static OutboundMessage message(std::string body = "Hello Jane,\nsee you soon.") {
    return OutboundMessage{.message_id = 42,
                           .channel = domain::Channel::kEmail,
                           .to = "jane@example.org",
                           .subject = "Your interview",
                           .body = std::move(body)};
  }

  static SendOutcome send_and_wait(SmtpProvider& provider, OutboundMessage m) {
    std::promise<SendOutcome> promise;
    auto future = promise.get_future();
    provider.send(std::move(m), [&promise](SendOutcome outcome) { promise.set_value(outcome); });
    // A safety net against a hung test, not a timing assertion.
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      ADD_FAILURE() << "no outcome";
      return {};
    }
    return future.get();
  }

  clock::ManualClock clock_{kNow};
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread thread_;
};

TEST_F(SmtpProviderTest, FullDialogueTranscript) {
  ScriptedSmtpServer server({});
  auto provider = make(config_for(server));

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  EXPECT_EQ(outcome.provider_message_id, "4BqZ1x2Y");
  EXPECT_EQ(outcome.raw_status, "250");
  // The message is 7-bit, so MAIL FROM needs no BODY=8BITMIME though it is offered.
  EXPECT_THAT(server.commands(), ElementsAre("EHLO candor.test", "MAIL FROM:<jobs@example.com>",
                                             "RCPT TO:<jane@example.org>", "DATA", "QUIT"));
  EXPECT_EQ(server.data(),
            "From: Acme Recruiting <jobs@example.com>\r\n"
            "To: <jane@example.org>\r\n"
            "Subject: Your interview\r\n"
            "Date: Thu, 31 Jul 2025 22:13:20 +0000\r\n"
            "Message-ID: <candor.42.1@example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n"
            "Hello Jane,\r\n"
            "see you soon.\r\n"
            ".\r\n");
  EXPECT_FALSE(provider->has_delivery_callbacks());
  EXPECT_EQ(provider->channel(), domain::Channel::kEmail);
}

TEST_F(SmtpProviderTest, DotStuffsLinesStartingWithADot) {
  ScriptedSmtpServer server({});
  auto provider = make(config_for(server));

  auto const outcome = send_and_wait(*provider, message(".first\r\nmiddle\n..two\r.\nlast"));

  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  EXPECT_THAT(server.data(),
              HasSubstr("\r\n\r\n..first\r\nmiddle\r\n...two\r\n..\r\nlast\r\n.\r\n"));
}

TEST_F(SmtpProviderTest, RejectedAtRcptKeepsCodeAndText) {
  ScriptedSmtpServer server({.rcpt = "550 5.1.1 <jane@example.org>: user unknown\r\n"});
  auto provider = make(config_for(server));

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kRejected);
  EXPECT_EQ(outcome.error_code, "550");
  EXPECT_EQ(outcome.error_message, "RCPT TO: 5.1.1 <jane@example.org>: user unknown");
  EXPECT_THAT(server.commands(), Not(testing::Contains("DATA")));
  EXPECT_EQ(server.commands().back(), "QUIT");
}

TEST_F(SmtpProviderTest, RejectedAfterData) {
  ScriptedSmtpServer server({.end_of_data = "554 5.7.1 message refused as spam\r\n"});
  auto provider = make(config_for(server));

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kRejected);
  EXPECT_EQ(outcome.error_code, "554");
  EXPECT_THAT(outcome.error_message, HasSubstr("end of data: 5.7.1 message refused as spam"));
  EXPECT_TRUE(outcome.provider_message_id.empty());
}

TEST_F(SmtpProviderTest, TemporaryFailureIsTransient) {
  ScriptedSmtpServer server({.mail = "451 4.3.0 try again later\r\n"});
  auto provider = make(config_for(server));

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kTransient);
  EXPECT_EQ(outcome.error_code, "451");
  EXPECT_THAT(outcome.error_message, HasSubstr("MAIL FROM"));
}

TEST_F(SmtpProviderTest, MultiLineEhloIsParsedAndStartTlsIgnored) {
  // Limitation pinned: STARTTLS is offered but not used.
  ScriptedSmtpServer server({.ehlo =
                                 "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                                 "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n"});
  auto provider = make(config_for(server));

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  EXPECT_THAT(server.commands(), ElementsAre("EHLO candor.test", "MAIL FROM:<jobs@example.com>",
                                             "RCPT TO:<jane@example.org>", "DATA", "QUIT"));
}

TEST_F(SmtpProviderTest, FallsBackToHeloWhenEhloIsRefused) {
  ScriptedSmtpServer server({.ehlo = "502 5.5.1 command not implemented\r\n"});
  auto provider = make(config_for(server));

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  EXPECT_THAT(server.commands(),
              ElementsAre("EHLO candor.test", "HELO candor.test", "MAIL FROM:<jobs@example.com>",
                          "RCPT TO:<jane@example.org>", "DATA", "QUIT"));
}

TEST_F(SmtpProviderTest, AuthPlain) {
  ScriptedSmtpServer server({});
  auto config = config_for(server);
  config.username = "jobs@example.com";
  config.password = "s3cret";
  auto provider = make(config);

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  auto const commands = server.commands();
  ASSERT_GE(commands.size(), 2u);
  EXPECT_EQ(commands[1], "AUTH PLAIN AGpvYnNAZXhhbXBsZS5jb20AczNjcmV0");
}

TEST_F(SmtpProviderTest, AuthLogin) {
  ScriptedSmtpServer server({.ehlo = "250-mx.test\r\n250 AUTH LOGIN\r\n"});
  auto config = config_for(server);
  config.username = "jobs@example.com";
  config.password = "s3cret";
  auto provider = make(config);

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  auto const commands = server.commands();
  ASSERT_GE(commands.size(), 4u);
  EXPECT_EQ(commands[1], "AUTH LOGIN");
  EXPECT_EQ(commands[2], "am9ic0BleGFtcGxlLmNvbQ==");
  EXPECT_EQ(commands[3], "czNjcmV0");
}

TEST_F(SmtpProviderTest, FailedAuthIsRejected) {
  ScriptedSmtpServer server({.auth = "535 5.7.8 authentication failed\r\n"});
  auto config = config_for(server);
  config.username = "jobs@example.com";
  config.password = "wrong";
  auto provider = make(config);

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kRejected);
  EXPECT_EQ(outcome.error_code, "535");
}

TEST_F(SmtpProviderTest, SilentServerTimesOut) {
  ScriptedSmtpServer server({.silent = true});
  auto config = config_for(server);
  config.command_timeout = std::chrono::milliseconds(100);
  auto provider = make(config);

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kTransient);
  EXPECT_EQ(outcome.error_code, "timeout");
}

TEST_F(SmtpProviderTest, RefusedConnectionIsTransient) {
  std::uint16_t port = 0;
  {
    ScriptedSmtpServer closed({});
    port = closed.port();
  }
  auto config = SmtpConfig{.port = port, .from_address = "jobs@example.com"};
  auto provider = make(config);

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kTransient);
  EXPECT_EQ(outcome.error_code, "connect");
}

TEST_F(SmtpProviderTest, WithoutQueueIdUsesOurMessageId) {
  ScriptedSmtpServer server({.end_of_data = "250 OK\r\n"});
  auto provider = make(config_for(server));

  auto const outcome = send_and_wait(*provider, message());

  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  EXPECT_EQ(outcome.provider_message_id, "candor.42.1@example.com");
}

TEST_F(SmtpProviderTest, BadRecipientIsRejectedWithoutConnecting) {
  ScriptedSmtpServer server({});
  auto provider = make(config_for(server));
  auto bad = message();
  bad.to = "jane@example.org>\r\nRCPT TO:<other@example.org";

  auto const outcome = send_and_wait(*provider, bad);

  EXPECT_EQ(outcome.kind, OutcomeKind::kRejected);
  EXPECT_EQ(outcome.error_code, "invalid_address");
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(SmtpProviderTest, QueuedSendsBeyondMaxSessionsAllComplete) {
  ScriptedSmtpServer server({});
  auto config = config_for(server);
  config.max_sessions = 1;
  auto provider = make(config);

  std::vector<std::future<SendOutcome>> futures;
  std::vector<std::promise<SendOutcome>> promises(3);
  for (int i = 0; i < 3; ++i) {
    futures.push_back(promises[i].get_future());
    auto m = message();
    m.message_id = 100 + i;
    provider->send(m, [&promises, i](SendOutcome outcome) { promises[i].set_value(outcome); });
  }

  for (auto& future : futures) {
    ASSERT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(future.get().kind, OutcomeKind::kAccepted);
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST(SmtpMessage, EncodesNonAsciiSubjectAndDisplayName) {
  SmtpConfig const config{.from_address = "jobs@example.com",
                          .from_display_name = "Émilie Recrutement"};
  OutboundMessage m{.message_id = 7, .to = "a@b.example", .subject = "Entretien – étape 2"};

  auto const text = format_smtp_message(config, m, kNow);

  EXPECT_THAT(text,
              HasSubstr("From: =?UTF-8?B?w4ltaWxpZSBSZWNydXRlbWVudA==?= <jobs@example.com>\r\n"));
  EXPECT_THAT(text, HasSubstr("Subject: =?UTF-8?B?RW50cmV0aWVuIOKAkyDDqXRhcGUgMg==?=\r\n"));
}

TEST(SmtpMessage, LongEncodedTextSplitsBetweenCharacters) {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    text += "\xC3\xA9";  // é, two bytes: 45 bytes would cut one in half
  }
  EXPECT_EQ(encode_header_text(text),
            "=?UTF-8?B?w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6k=?=\r\n"
            " =?UTF-8?B?w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOp?=");
}

TEST(SmtpMessage, AsciiTextStaysAsItIs) {
  EXPECT_EQ(encode_header_text("Interview on Monday"), "Interview on Monday");
}

TEST(SmtpMessage, SubjectLineBreaksCannotInjectHeaders) {
  OutboundMessage m{.to = "a@b.example", .subject = "Hi\r\nBcc: evil@example.com"};
  auto const text = format_smtp_message({.from_address = "jobs@example.com"}, m, kNow);
  EXPECT_THAT(text, HasSubstr("Subject: Hi  Bcc: evil@example.com\r\n"));
  EXPECT_THAT(text, Not(HasSubstr("\r\nBcc:")));
}

TEST(SmtpMessage, QuotesDisplayNameWithSpecials) {
  auto const text = format_smtp_message(
      {.from_address = "jobs@example.com", .from_display_name = "Acme, Inc. \"Jobs\""},
      {.to = "a@b.example"}, kNow);
  EXPECT_THAT(text, HasSubstr(R"(From: "Acme, Inc. \"Jobs\"" <jobs@example.com>)"));
}

/// Decodes quoted-printable for the checks below; the fake SMTP server has its own.
std::string decode_qp(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 3) == "=\r\n") {
      i += 2;
    } else if (text[i] == '=') {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    auto const end = text.find("\r\n");
    lines.emplace_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 2);
  }
  return lines;
}

TEST(SmtpMessage, QuotedPrintableKeepsPlainTextAndEscapesTheRest) {
  EXPECT_EQ(encode_quoted_printable("Hello Jane,\r\nsee you.\r\n"), "Hello Jane,\r\nsee you.\r\n");
  EXPECT_EQ(encode_quoted_printable("1+1=2\r\n"), "1+1=3D2\r\n");
  EXPECT_EQ(encode_quoted_printable("Caf\xC3\xA9 \xE2\x80\x93 ok\r\n"),
            "Caf=C3=A9 =E2=80=93 ok\r\n");
  // Blanks that end a line are encoded, so a relay cannot strip them.
  EXPECT_EQ(encode_quoted_printable("tab\t\r\nspace \r\n\r\n"), "tab=09\r\nspace=20\r\n\r\n");
  EXPECT_EQ(encode_quoted_printable("no break"), "no break");
  EXPECT_EQ(encode_quoted_printable(std::string("nul\0", 4)), "nul=00");
}

TEST(SmtpMessage, QuotedPrintableBreaksLongLinesSoftly) {
  std::string paragraph;
  while (paragraph.size() < 5000) {
    paragraph += "Entretien pr\xC3\xA9vu = lundi. ";
  }

  auto const encoded = encode_quoted_printable(paragraph + "\r\n");

  auto const lines = lines_of(encoded);
  EXPECT_GT(lines.size(), 60U);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_LE(lines[i].size(), 76U) << i;
    if (i + 1 < lines.size()) {
      EXPECT_EQ(lines[i].back(), '=') << i;
    }
    // A soft break never splits an =XX escape: what precedes it is whole.
    auto const soft = i + 1 < lines.size();
    auto const kept = std::string_view(lines[i]).substr(0, lines[i].size() - (soft ? 1 : 0));
    EXPECT_FALSE(kept.ends_with('=')) << lines[i];
    EXPECT_FALSE(kept.size() >= 2 && kept[kept.size() - 2] == '=') << lines[i];
  }
  EXPECT_EQ(decode_qp(encoded), paragraph + "\r\n");
}

TEST(SmtpMessage, BodyIsQuotedPrintableAndNoLineIsLong) {
  std::string const long_line(5000, 'x');
  auto const text = format_smtp_message(
      {.from_address = "jobs@example.com"},
      {.to = "a@b.example", .body = long_line + "\n.starts with a dot\n\xC3\xA9t\xC3\xA9"}, kNow);

  EXPECT_THAT(text, HasSubstr("Content-Transfer-Encoding: quoted-printable\r\n"));
  for (auto const& line : lines_of(text)) {
    EXPECT_LE(line.size(), 998U);
  }
  auto const body = text.substr(text.find("\r\n\r\n") + 4);
  for (auto const& line : lines_of(body)) {
    EXPECT_LE(line.size(), 76U);
  }
  EXPECT_EQ(decode_qp(body), long_line + "\r\n.starts with a dot\r\n\xC3\xA9t\xC3\xA9\r\n");
  EXPECT_TRUE(std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  })) << "the whole message is 7-bit";
}

TEST(SmtpMessage, LongOrAmbiguousAsciiSubjectsAreEncodedWords) {
  std::string const long_subject(2000, 's');
  auto const encoded = encode_header_text(long_subject);
  EXPECT_THAT(encoded, ::testing::StartsWith("=?UTF-8?B?"));
  for (auto const& line : lines_of(encoded)) {
    EXPECT_LE(line.size(), 76U);
  }
  EXPECT_THAT(encode_header_text("Use =?UTF-8?B?x?= here"), ::testing::StartsWith("=?UTF-8?B?"));
  std::string const fits(900, 'f');
  EXPECT_EQ(encode_header_text(fits), fits);
}

TEST(SmtpMessage, DateIsRfc5322) {
  EXPECT_EQ(rfc5322_date(kNow), "Thu, 31 Jul 2025 22:13:20 +0000");
  EXPECT_EQ(rfc5322_date(clock::from_unix_ms(0)), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(SmtpMessage, DotStuffAddsTerminator) {
  EXPECT_EQ(dot_stuff(".a\r\nb\r\n"), "..a\r\nb\r\n.\r\n");
  EXPECT_EQ(dot_stuff("no newline"), "no newline\r\n.\r\n");
}

TEST(SmtpConfig, ValidateNamesTheField) {
  EXPECT_TRUE(SmtpConfig{.from_address = "jobs@example.com"}.validate());
  auto check = [](SmtpConfig const& config, std::string_view field) {
    auto status = config.validate();
    ASSERT_FALSE(status);
    EXPECT_THAT(status.error().message, HasSubstr(field));
  };
  check({}, "smtp.from_address");
  check({.from_address = "not-an-address"}, "smtp.from_address");
  check({.host = "", .from_address = "jobs@example.com"}, "smtp.host");
  check({.port = 0, .from_address = "jobs@example.com"}, "smtp.port");
  check({.helo_name = "two words", .from_address = "jobs@example.com"}, "smtp.helo_name");
  check({.from_address = "jobs@example.com", .username = "u"}, "smtp.password");
  check({.from_address = "jobs@example.com", .max_sessions = 0}, "smtp.max_sessions");
}

}  // namespace
}  // namespace candor::providers
