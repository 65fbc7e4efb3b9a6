#pragma once

// A strict little XML reader for the tests: enough of XML 1.0 to prove that the
// writers' output is well formed (nesting, quoting, entities, legal characters)
// and to look inside it. No DTDs, no CDATA, no namespaces processing.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace candor::reports {

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::vector<XmlElement> children;
  /// Decoded character data directly inside the element, concatenated.
  std::string text;

  /// Every descendant (not only children) named `name`, in document order.
  std::vector<XmlElement const*> find_all(std::string_view name) const;
};

struct XmlParse {
  std::optional<XmlElement> root;
  /// Empty on success; otherwise what is wrong and at which byte offset.
  std::string error;
};

/// Parses one document: optional XML declaration, comments, one root element.
XmlParse parse_xml(std::string_view document);

}  // namespace candor::reports
