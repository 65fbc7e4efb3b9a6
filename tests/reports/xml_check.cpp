#include "tests/reports/xml_check.hpp"

#include <cstdint>
#include <stdexcept>

namespace candor::reports {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  XmlElement document() {
    skip_misc();
    if (starts_with("<?xml")) {
      auto const end = text_.find("?>", pos_);
      if (end == std::string_view::npos) {
        fail("unterminated XML declaration");
      }
      pos_ = end + 2;
    }
    skip_misc();
    auto root = element();
    skip_misc();
    if (pos_ != text_.size()) {
      fail("content after the root element");
    }
    return root;
  }

 private:
  [[noreturn]] void fail(std::string const& what) const {
    throw std::runtime_error(what + " at offset " + std::to_string(pos_));
  }

  bool starts_with(std::string_view prefix) const {
    return text_.substr(pos_, prefix.size()) == prefix;
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  void skip_misc() {
    for (;;) {
      skip_space();
      if (!starts_with("<!--")) {
        return;
      }
      comment();
    }
  }

  void comment() {
    auto const end = text_.find("-->", pos_ + 4);
    if (end == std::string_view::npos) {
      fail("unterminated comment");
    }
    pos_ = end + 3;
  }

  static bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  }

  std::string name() {
    if (pos_ >= text_.size() || !name_start(text_[pos_])) {
      fail("expected a name");
    }
    auto const start = pos_;
    while (pos_ < text_.size() &&
           (name_start(text_[pos_]) || text_[pos_] == '-' || text_[pos_] == '.' ||
            (text_[pos_] >= '0' && text_[pos_] <= '9'))) {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  static void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  /// Decodes the reference at pos_ ('&' ... ';') into `out`.
  void reference(std::string& out) {
    auto const end = text_.find(';', pos_);
    if (end == std::string_view::npos || end - pos_ > 12) {
      fail("bare '&'");
    }
    auto const body = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    if (body == "amp") {
      out += '&';
    } else if (body == "lt") {
      out += '<';
    } else if (body == "gt") {
      out += '>';
    } else if (body == "quot") {
      out += '"';
    } else if (body == "apos") {
      out += '\'';
    } else if (body.size() > 1 && body[0] == '#') {
      auto const hex = body[1] == 'x';
      auto const digits = std::string(body.substr(hex ? 2 : 1));
      if (digits.empty()) {
        fail("empty character reference");
      }
      auto const code = static_cast<std::uint32_t>(std::stoul(digits, nullptr, hex ? 16 : 10));
      if (code < 0x20 && code != 0x9 && code != 0xA && code != 0xD) {
        fail("character reference to a character XML forbids");
      }
      append_utf8(out, code);
    } else {
      fail("unknown entity &" + std::string(body) + ";");
    }
  }

  void check_char(char c) const {
    auto const byte = static_cast<std::uint8_t>(c);
    if (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      fail("control character in the document");
    }
  }

  std::string attribute_value() {
    if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'')) {
      fail("attribute value not quoted");
    }
    auto const quote = text_[pos_++];
    std::string value;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      auto const c = text_[pos_];
      check_char(c);
      if (c == '<') {
        fail("'<' in an attribute value");
      }
      if (c == '&') {
        reference(value);
        continue;
      }
      value += c;
      ++pos_;
    }
    if (pos_ >= text_.size()) {
      fail("unterminated attribute value");
    }
    ++pos_;
    return value;
  }

  XmlElement element() {
    if (!starts_with("<")) {
      fail("expected '<'");
    }
    ++pos_;
    XmlElement out;
    out.name = name();

    for (;;) {
      auto const before = pos_;
      skip_space();
      if (starts_with("/>")) {
        pos_ += 2;
        return out;
      }
      if (starts_with(">")) {
        ++pos_;
        break;
      }
      if (pos_ == before) {
        fail("expected whitespace before an attribute");
      }
      auto key = name();
      skip_space();
      if (!starts_with("=")) {
        fail("expected '=' after attribute " + key);
      }
      ++pos_;
      skip_space();
      if (!out.attributes.emplace(key, attribute_value()).second) {
        fail("duplicate attribute " + key);
      }
    }

    content(out);
    return out;
  }

  void content(XmlElement& out) {
    for (;;) {
      if (pos_ >= text_.size()) {
        fail("unclosed element " + out.name);
      }
      if (starts_with("</")) {
        pos_ += 2;
        if (name() != out.name) {
          fail("mismatched closing tag for " + out.name);
        }
        skip_space();
        if (!starts_with(">")) {
          fail("expected '>'");
        }
        ++pos_;
        return;
      }
      if (starts_with("<!--")) {
        comment();
      } else if (starts_with("<")) {
        out.children.push_back(element());
      } else if (text_[pos_] == '&') {
        reference(out.text);
      } else {
        if (starts_with("]]>")) {
          fail("']]>' in text");
        }
        check_char(text_[pos_]);
        out.text += text_[pos_++];
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

void collect(XmlElement const& element, std::string_view name,
             std::vector<XmlElement const*>& out) {
  for (auto const& child : element.children) {
    if (child.name == name) {
      out.push_back(&child);
    }
    collect(child, name, out);
  }
}

}  // namespace

std::vector<XmlElement const*> XmlElement::find_all(std::string_view wanted) const {
  std::vector<XmlElement const*> out;
  collect(*this, wanted, out);
  return out;
}

XmlParse parse_xml(std::string_view document) {
  try {
    return XmlParse{Reader(document).document(), {}};
  } catch (std::exception const& e) {
    return XmlParse{std::nullopt, e.what()};
  }
}

}  // namespace candor::reports
