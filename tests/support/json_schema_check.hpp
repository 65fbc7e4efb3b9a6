#pragma once

#include <algorithm>
#include <cstddef>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace candor::testing_support {

/// Checks JSON documents against the subset of JSON Schema 2020-12 that candor's
/// schemas (the scenario schema, the report schema) are written in:
/// - references: $ref, a JSON pointer into the same schema ("#/$defs/name");
/// - any value: type (one name or a list), const, enum, oneOf, if/then/else;
/// - strings: pattern (searched, as JSON Schema says), minLength;
/// - numbers: minimum, maximum;
/// - objects: required, properties, additionalProperties (false or a schema),
///   propertyNames, minProperties, maxProperties;
/// - arrays: items (one schema for every item), minItems, maxItems, uniqueItems.
/// A schema that uses any other keyword (annotations such as description aside)
/// gets a violation naming it, so that nothing passes unchecked. "integer" means
/// a JSON number written without a fraction.
class JsonSchemaCheck {
 public:
  /// `schema` is the whole document that $ref pointers resolve against.
  explicit JsonSchemaCheck(nlohmann::json schema) : root_(std::move(schema)) {}

  /// One line per violation, "<path>: <what>", with paths written as
  /// `$.key[index]`; empty when `value` follows the schema. Throws
  /// std::invalid_argument on a $ref that is not a pointer into the schema.
  [[nodiscard]] std::vector<std::string> check(nlohmann::json const& value) const {
    std::vector<std::string> errors;
    visit(root_, value, "$", errors);
    return errors;
  }

 private:
  using Json = nlohmann::json;
  using Errors = std::vector<std::string>;

  Json const& resolve(Json const& schema) const {
    if (!schema.is_object() || !schema.contains("$ref")) {
      return schema;
    }
    auto const ref = schema["$ref"].get<std::string>();
    if (ref.rfind('#', 0) != 0 || !root_.contains(Json::json_pointer(ref.substr(1)))) {
      throw std::invalid_argument("schema $ref \"" + ref + "\" points nowhere in the schema");
    }
    return resolve(root_.at(Json::json_pointer(ref.substr(1))));
  }

  static bool has_type(Json const& value, Json const& types) {
    if (types.is_array()) {
      return std::any_of(types.begin(), types.end(),
                         [&](Json const& type) { return has_type(value, type); });
    }
    auto const type = types.get<std::string>();
    if (type == "object")
      return value.is_object();
    if (type == "array")
      return value.is_array();
    if (type == "string")
      return value.is_string();
    if (type == "integer")
      return value.is_number_integer();
    if (type == "number")
      return value.is_number();
    if (type == "boolean")
      return value.is_boolean();
    return type == "null" && value.is_null();
  }

  bool matches(Json const& schema, Json const& value, std::string const& path) const {
    Errors ignored;
    visit(schema, value, path, ignored);
    return ignored.empty();
  }

  static void check_keywords(Json const& schema, std::string const& path, Errors& errors) {
    static std::set<std::string> const kKnown = {"$schema",
                                                 "$id",
                                                 "$defs",
                                                 "$comment",
                                                 "title",
                                                 "description",
                                                 "examples",
                                                 "default",
                                                 "type",
                                                 "const",
                                                 "enum",
                                                 "oneOf",
                                                 "if",
                                                 "then",
                                                 "else",
                                                 "pattern",
                                                 "minLength",
                                                 "minimum",
                                                 "maximum",
                                                 "required",
                                                 "properties",
                                                 "additionalProperties",
                                                 "propertyNames",
                                                 "minProperties",
                                                 "maxProperties",
                                                 "items",
                                                 "minItems",
                                                 "maxItems",
                                                 "uniqueItems"};
    if (!schema.is_object()) {
      return;
    }
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      if (kKnown.count(it.key()) == 0) {
        errors.push_back(path + ": schema keyword " + it.key() + " is not checked");
      }
    }
  }

  void visit(Json const& raw, Json const& value, std::string const& path, Errors& errors) const {
    Json const& schema = resolve(raw);
    check_keywords(schema, path, errors);
    if (schema.contains("oneOf")) {
      auto const& options = schema["oneOf"];
      auto const count = std::count_if(options.begin(), options.end(), [&](Json const& option) {
        return matches(option, value, path);
      });
      if (count != 1) {
        errors.push_back(path + ": matches " + std::to_string(count) + " of oneOf");
      }
    }
    if (schema.contains("if")) {
      char const* branch = matches(schema["if"], value, path) ? "then" : "else";
      if (schema.contains(branch)) {
        visit(schema[branch], value, path, errors);
      }
    }
    if (schema.contains("type") && !has_type(value, schema["type"])) {
      errors.push_back(path + ": not of type " + schema["type"].dump());
      return;
    }
    if (schema.contains("const") && value != schema["const"]) {
      errors.push_back(path + ": not " + schema["const"].dump());
    }
    if (schema.contains("enum") &&
        std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
      errors.push_back(path + ": not one of " + schema["enum"].dump());
    }
    if (value.is_string()) {
      visit_string(schema, value.get_ref<std::string const&>(), path, errors);
    }
    if (value.is_number()) {
      if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) {
        errors.push_back(path + ": below minimum");
      }
      if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>()) {
        errors.push_back(path + ": above maximum");
      }
    }
    if (value.is_object()) {
      visit_object(schema, value, path, errors);
    }
    if (value.is_array()) {
      visit_array(schema, value, path, errors);
    }
  }

  static void visit_string(Json const& schema, std::string const& text, std::string const& path,
                           Errors& errors) {
    if (schema.contains("pattern") &&
        !std::regex_search(text, std::regex(schema["pattern"].get<std::string>()))) {
      errors.push_back(path + ": \"" + text + "\" does not match its pattern");
    }
    // Bytes, where JSON Schema counts characters: the two agree for the only bound
    // the schemas set, minLength 1.
    if (schema.contains("minLength") && text.size() < schema["minLength"].get<std::size_t>()) {
      errors.push_back(path + ": too short");
    }
  }

  void visit_object(Json const& schema, Json const& value, std::string const& path,
                    Errors& errors) const {
    for (auto const& key : schema.value("required", Json::array())) {
      if (!value.contains(key.get<std::string>())) {
        errors.push_back(path + ": missing " + key.get<std::string>());
      }
    }
    if (schema.contains("minProperties") &&
        value.size() < schema["minProperties"].get<std::size_t>()) {
      errors.push_back(path + ": too few keys");
    }
    if (schema.contains("maxProperties") &&
        value.size() > schema["maxProperties"].get<std::size_t>()) {
      errors.push_back(path + ": too many keys");
    }
    auto const properties = schema.value("properties", Json::object());
    for (auto const& [key, item] : value.items()) {
      auto const child = path + "." + key;
      if (schema.contains("propertyNames")) {
        visit(schema["propertyNames"], Json(key), child + " (key)", errors);
      }
      if (properties.contains(key)) {
        visit(properties[key], item, child, errors);
      } else if (schema.contains("additionalProperties")) {
        auto const& extra = schema["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) {
          errors.push_back(child + ": not allowed");
        } else if (extra.is_object()) {
          visit(extra, item, child, errors);
        }
      }
    }
  }

  void visit_array(Json const& schema, Json const& value, std::string const& path,
                   Errors& errors) const {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<std::size_t>()) {
      errors.push_back(path + ": too few items");
    }
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>()) {
      errors.push_back(path + ": too many items");
    }
    if (schema.value("uniqueItems", false)) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        for (std::size_t j = i + 1; j < value.size(); ++j) {
          if (value[i] == value[j]) {
            errors.push_back(path + ": repeats " + value[i].dump());
          }
        }
      }
    }
    if (schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        visit(schema["items"], value[i], path + "[" + std::to_string(i) + "]", errors);
      }
    }
  }

  Json root_;
};

}  // namespace candor::testing_support
