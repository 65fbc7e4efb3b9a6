#include "tests/support/json_schema_check.hpp"

#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace candor::testing_support {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> errors(json schema, json const& value) {
  return JsonSchemaCheck(std::move(schema)).check(value);
}

TEST(JsonSchemaCheck, TypeTakesOneNameOrAList) {
  EXPECT_THAT(errors({{"type", "integer"}}, 3), IsEmpty());
  EXPECT_THAT(errors({{"type", "integer"}}, 3.5), ElementsAre("$: not of type \"integer\""));
  EXPECT_THAT(errors({{"type", {"string", "null"}}}, nullptr), IsEmpty());
  EXPECT_THAT(errors({{"type", {"string", "null"}}}, true),
              ElementsAre("$: not of type [\"string\",\"null\"]"));
  EXPECT_THAT(errors({{"type", "number"}}, 3), IsEmpty());
}

TEST(JsonSchemaCheck, ConstEnumPatternAndBounds) {
  EXPECT_THAT(errors({{"const", "a"}}, "b"), ElementsAre("$: not \"a\""));
  EXPECT_THAT(errors({{"enum", {"a", "b"}}}, "c"), ElementsAre("$: not one of [\"a\",\"b\"]"));
  EXPECT_THAT(errors({{"pattern", "^[0-9]+$"}}, "12"), IsEmpty());
  EXPECT_THAT(errors({{"pattern", "^[0-9]+$"}}, "1a"),
              ElementsAre("$: \"1a\" does not match its pattern"));
  EXPECT_THAT(errors({{"minLength", 1}}, ""), ElementsAre("$: too short"));
  EXPECT_THAT(errors({{"minimum", 0}, {"maximum", 1}}, -1), ElementsAre("$: below minimum"));
  EXPECT_THAT(errors({{"minimum", 0}, {"maximum", 1}}, 1.5), ElementsAre("$: above maximum"));
  EXPECT_THAT(errors({{"minimum", 0}, {"maximum", 1}}, 0.5), IsEmpty());
}

TEST(JsonSchemaCheck, ObjectKeywords) {
  json const schema = {{"required", {"a"}},
                       {"properties", {{"a", {{"type", "integer"}}}}},
                       {"additionalProperties", false},
                       {"maxProperties", 2}};
  EXPECT_THAT(errors(schema, {{"a", 1}}), IsEmpty());
  EXPECT_THAT(errors(schema, json::object()), ElementsAre("$: missing a"));
  EXPECT_THAT(errors(schema, {{"a", "x"}, {"b", 1}}),
              ElementsAre("$.a: not of type \"integer\"", "$.b: not allowed"));
  EXPECT_THAT(errors(schema, {{"a", 1}, {"b", 1}, {"c", 1}}),
              ElementsAre("$: too many keys", "$.b: not allowed", "$.c: not allowed"));

  json const map = {{"additionalProperties", {{"type", "string"}}},
                    {"propertyNames", {{"pattern", "^[a-z]+$"}}},
                    {"minProperties", 1}};
  EXPECT_THAT(errors(map, json::object()), ElementsAre("$: too few keys"));
  EXPECT_THAT(
      errors(map, {{"B", "x"}, {"c", 2}}),
      ElementsAre("$.B (key): \"B\" does not match its pattern", "$.c: not of type \"string\""));
}

TEST(JsonSchemaCheck, ArrayKeywords) {
  json const schema = {
      {"items", {{"type", "integer"}}}, {"minItems", 1}, {"maxItems", 3}, {"uniqueItems", true}};
  EXPECT_THAT(errors(schema, {1, 2}), IsEmpty());
  EXPECT_THAT(errors(schema, json::array()), ElementsAre("$: too few items"));
  EXPECT_THAT(errors(schema, {1, 2, 3, 4}), ElementsAre("$: too many items"));
  EXPECT_THAT(errors(schema, {1, "x", 1}),
              ElementsAre("$: repeats 1", "$[1]: not of type \"integer\""));
}

TEST(JsonSchemaCheck, OneOfWantsExactlyOneMatch) {
  json const schema = {{"oneOf", {{{"type", "integer"}}, {{"minimum", 0}}}}};
  EXPECT_THAT(errors(schema, -1), IsEmpty());
  EXPECT_THAT(errors(schema, "x"), IsEmpty());
  EXPECT_THAT(errors(schema, 1), ElementsAre("$: matches 2 of oneOf"));
  EXPECT_THAT(errors(schema, -0.5), ElementsAre("$: matches 0 of oneOf"));
}

TEST(JsonSchemaCheck, IfChoosesThenOrElse) {
  json const schema = {{"if", {{"properties", {{"kind", {{"const", "pool"}}}}}}},
                       {"then", {{"required", {"id"}}}},
                       {"else", {{"required", {"name"}}}}};
  EXPECT_THAT(errors(schema, {{"kind", "pool"}, {"id", 1}}), IsEmpty());
  EXPECT_THAT(errors(schema, {{"kind", "pool"}}), ElementsAre("$: missing id"));
  EXPECT_THAT(errors(schema, {{"kind", "search"}}), ElementsAre("$: missing name"));
}

TEST(JsonSchemaCheck, RefIsAPointerIntoTheSchema) {
  json const schema = {{"$defs", {{"id", {{"type", "integer"}}}}},
                       {"properties", {{"id", {{"$ref", "#/$defs/id"}}}}}};
  EXPECT_THAT(errors(schema, {{"id", 7}}), IsEmpty());
  EXPECT_THAT(errors(schema, {{"id", "7"}}), ElementsAre("$.id: not of type \"integer\""));

  json const dangling = {{"properties", {{"id", {{"$ref", "#/$defs/missing"}}}}}};
  EXPECT_THROW(errors(dangling, {{"id", 7}}), std::invalid_argument);
  json const remote = {{"$ref", "other.json#/x"}};
  EXPECT_THROW(errors(remote, 1), std::invalid_argument);
}

TEST(JsonSchemaCheck, NamesKeywordsItDoesNotCheck) {
  EXPECT_THAT(errors({{"description", "d"}, {"format", "email"}}, "x"),
              ElementsAre("$: schema keyword format is not checked"));
}

}  // namespace
}  // namespace candor::testing_support
