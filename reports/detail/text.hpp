#pragma once

// Text helpers shared by the writers: UTF-8 repair and XML/HTML escaping.
//
// Report text comes from YAML files, provider responses and message bodies, so it
// may hold markup, control characters or broken UTF-8. Every writer passes it
// through these helpers before it reaches a file.

#include <string>
#include <string_view>

namespace candor::reports::detail {

/// Returns `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string sanitize_utf8(std::string_view text);

/// Escapes `text` for XML 1.0 character data and attribute values: & < > " ' become
/// entities, control characters XML forbids become U+FFFD, tab/newline/CR in
/// attributes become character references, invalid UTF-8 is repaired.
std::string escape_xml(std::string_view text);

/// Escapes `text` for HTML text and quoted attribute values (same rules as XML).
std::string escape_html(std::string_view text);

/// Visible width of `text` in terminal columns (one per code point; good enough
/// for the names and numbers of a report).
std::size_t display_width(std::string_view text);

}  // namespace candor::reports::detail
