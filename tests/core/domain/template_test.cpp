#include "core/domain/template.hpp"

#include <gtest/gtest.h>

namespace candor::domain {
namespace {

Candidate jane() {
  Candidate c;
  c.id = 7;
  c.candidate_number = "CAND-7";
  c.first_name = "Jane";
  c.last_name = "Doe";
  c.email = "jane@example.com";
  c.phone = "+14155550100";
  return c;
}

TEST(MessageTemplate, RendersCandidateTokens) {
  auto t = MessageTemplate::parse("Hi {{FirstName}} ({{CandidateNumber}}), {{FullName}}!");
  ASSERT_TRUE(t) << t.error().to_string();
  auto text = t->render(jane());
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "Hi Jane (CAND-7), Jane Doe!");
}

TEST(MessageTemplate, RendersRequestVariables) {
  auto t = MessageTemplate::parse("About {{RequisitionTitle}}", {{"RequisitionTitle", "Chef"}});
  ASSERT_TRUE(t);
  EXPECT_EQ(*t->render(jane()), "About Chef");
}

TEST(MessageTemplate, UnknownTokenFailsNamingIt) {
  auto t = MessageTemplate::parse("Hi {{Firstname}}");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::kInvalidArgument);
  EXPECT_NE(t.error().message.find("Firstname"), std::string::npos);
  EXPECT_NE(t.error().message.find("offset 3"), std::string::npos);
}

TEST(MessageTemplate, UnclosedTokenFails) {
  EXPECT_FALSE(MessageTemplate::parse("Hi {{FirstName"));
  EXPECT_FALSE(MessageTemplate::parse("Hi {{First Name}}"));
}

TEST(MessageTemplate, MissingValueFailsNamingCandidate) {
  auto t = MessageTemplate::parse("Hi {{LastName}}");
  ASSERT_TRUE(t);
  auto c = jane();
  c.last_name.clear();
  auto text = t->render(c);
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("CAND-7"), std::string::npos);
}

TEST(MessageTemplate, PlainTextPassesThrough) {
  auto t = MessageTemplate::parse("No tokens { here } at all");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t->render(jane()), "No tokens { here } at all");
  EXPECT_TRUE(t->tokens().empty());
}

}  // namespace
}  // namespace candor::domain
