#include "scenarios/loader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include "core/policy/phone_number.hpp"
#include "core/policy/send_policy.hpp"
#include "scenarios/csv_table.hpp"
#include "scenarios/generator.hpp"
#include "scenarios/time_text.hpp"

namespace candor::scenarios {

namespace {

/// The largest CSV list a scenario may name, as the policy reads it.
constexpr std::uintmax_t kMaxCsvBytes = 16U << 20U;

namespace fs = std::filesystem;

/// Beyond this many errors a file is hopeless; more lines would only bury the first.
constexpr std::size_t kMaxErrors = 100;
/// yaml-cpp recurses once per nesting level; refuse absurd depths before it
/// runs out of stack.
constexpr int kMaxFlowDepth = 64;
constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;

std::string const kTopKeys[] = {"name",   "description", "seed",       "tags", "clock",
                                "policy", "providers",   "candidates", "steps"};

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 80)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  if (text.size() > 80) {
    out += "...";
  }
  return out + "\"";
}

std::string describe(YAML::Node const& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

std::string join(std::string const& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string index_path(std::string const& path, std::size_t i) {
  return fmt::format("{}[{}]", path, i);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t const above = row[j];
      std::size_t const cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// Deepest nesting of [ ] and { } outside quotes; a cheap guard for yaml-cpp.
int flow_depth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  char in_quote = 0;
  for (char c : text) {
    if (in_quote != 0) {
      in_quote = c == in_quote ? 0 : in_quote;
    } else if (c == '"' || c == '\'') {
      in_quote = c;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == '\n') {
      in_quote = 0;
    }
  }
  return deepest;
}

/// A value with the place it was written (inline in the scenario or in a CSV cell).
struct Located {
  std::string value;
  SourceMark mark;
  std::string path;
};

/// Walks YAML nodes along the scenario's shape and records every problem.
class Reader {
 public:
  using Handler = std::function<void(YAML::Node const&, std::string const&)>;
  struct Field {
    std::string key;
    Handler read;
    bool required = false;
  };
  /// The canonical form of a key in a mapping of free keys (a status name, a
  /// candidate id); nullopt when the key is refused (reported by the callee).
  using KeyReader =
      std::function<std::optional<std::string>(YAML::Node const& key, std::string const& path)>;
  using EntryHandler = std::function<void(std::string const& key, YAML::Node const& key_node,
                                          YAML::Node const& value, std::string const& path)>;
  using Check = std::function<std::optional<std::string>(std::string const&)>;

  Reader(std::string file, std::string base_dir)
      : file_(std::move(file)), base_dir_(std::move(base_dir)) {
    file_rank_[file_] = 0;
  }

  std::vector<Diagnostic>& errors() { return errors_; }
  std::string const& file() const { return file_; }

  /// Diagnostics ordered by file (the scenario first, then each CSV file in the
  /// order the scenario names them), then by line and column, so that the
  /// errors of two files never interleave.
  void sort_errors() {
    auto rank = [&](std::string const& file) {
      auto const it = file_rank_.find(file);
      return it == file_rank_.end() ? file_rank_.size() : it->second;
    };
    std::stable_sort(errors_.begin(), errors_.end(), [&](Diagnostic const& a, Diagnostic const& b) {
      return std::tuple(rank(a.mark.file), a.mark.line, a.mark.column) <
             std::tuple(rank(b.mark.file), b.mark.line, b.mark.column);
    });
  }

  SourceMark mark(YAML::Node const& node) const {
    YAML::Mark const m = node.Mark();
    if (m.is_null()) {
      return SourceMark{file_, 0, 0};
    }
    return SourceMark{file_, m.line + 1, m.column + 1};
  }

  void error(SourceMark const& at, std::string const& path, std::string message) {
    if (errors_.size() < kMaxErrors) {
      errors_.push_back(Diagnostic{at, path, std::move(message)});
    } else if (errors_.size() == kMaxErrors) {
      errors_.push_back(Diagnostic{at, "", "too many errors; the rest are not shown"});
    }
  }
  void error(YAML::Node const& node, std::string const& path, std::string message) {
    error(mark(node), path, std::move(message));
  }

  /// Reads a mapping of known keys: unknown and repeated keys are errors,
  /// required keys must be present, and each present key's handler runs in file
  /// order.
  bool map(YAML::Node const& node, std::string const& path, std::vector<Field> const& fields) {
    if (!node.IsMap()) {
      error(node, path, fmt::format("expected a mapping; got {}", describe(node)));
      return false;
    }
    std::vector<std::string> known;
    for (Field const& f : fields) {
      known.push_back(f.key);
    }

    std::map<std::string, SourceMark> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      YAML::Node const key = it->first;
      if (!key.IsScalar()) {
        error(key, path, fmt::format("keys must be plain names; got {}", describe(key)));
        continue;
      }
      std::string const& name = key.Scalar();
      if (!first_time(seen, name, key, join(path, name))) {
        continue;
      }
      auto field =
          std::find_if(fields.begin(), fields.end(), [&](Field const& f) { return f.key == name; });
      if (field == fields.end()) {
        unknown_key(key, path, name, known);
        continue;
      }
      field->read(it->second, join(path, name));
    }

    for (Field const& f : fields) {
      if (f.required && seen.count(f.key) == 0) {
        error(node, join(path, f.key), "is required but missing");
      }
    }
    return true;
  }

  /// Reads a mapping of free keys (status names, candidate ids, regions, tokens).
  /// `key_of` checks a key and gives its canonical form; two keys of the same
  /// canonical form ("sent" and "SENT", "1" and "01") are an error naming both
  /// places. `read` runs for each accepted entry, in file order.
  bool entries(YAML::Node const& node, std::string const& path, std::string_view expected,
               KeyReader const& key_of, EntryHandler const& read) {
    if (!node.IsMap()) {
      error(node, path, fmt::format("expected {}; got {}", expected, describe(node)));
      return false;
    }
    std::map<std::string, SourceMark> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      YAML::Node const key = it->first;
      if (!key.IsScalar()) {
        error(key, path, fmt::format("keys must be plain names; got {}", describe(key)));
        continue;
      }
      std::string const key_path = join(path, key.Scalar());
      auto canonical = key_of(key, key_path);
      if (!canonical || !first_time(seen, *canonical, key, key_path)) {
        continue;
      }
      read(*canonical, key, it->second, key_path);
    }
    return true;
  }

  /// entries() whose keys must be one of `names`, compared as one_of() compares.
  bool named_entries(YAML::Node const& node, std::string const& path, std::string_view expected,
                     std::vector<std::string> const& names, EntryHandler const& read) {
    return entries(
        node, path, expected,
        [&](YAML::Node const& key, std::string const& key_path) {
          return one_of(key, key_path, names);
        },
        read);
  }

  void unknown_key(YAML::Node const& key, std::string const& path, std::string const& name,
                   std::span<std::string const> known) {
    std::string expected;
    for (std::string const& k : known) {
      expected += expected.empty() ? k : ", " + k;
    }
    std::string const suggestion = closest_key(name, known);
    std::string message = fmt::format("unknown key {}", quote(name));
    if (!suggestion.empty()) {
      message += fmt::format(" (did you mean {}?)", quote(suggestion));
    }
    error(key, join(path, name), fmt::format("{}; expected one of {}", message, expected));
  }

  /// Runs `read` for each item of a list.
  bool list(YAML::Node const& node, std::string const& path,
            std::function<void(YAML::Node const&, std::string const&)> const& read) {
    if (!node.IsSequence()) {
      error(node, path, fmt::format("expected a list; got {}", describe(node)));
      return false;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      read(node[i], index_path(path, i));
    }
    return true;
  }

  std::optional<std::string> string(YAML::Node const& node, std::string const& path) {
    if (!node.IsScalar()) {
      error(node, path, fmt::format("expected text; got {}", describe(node)));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<std::string> nonempty(YAML::Node const& node, std::string const& path) {
    auto value = string(node, path);
    if (value && value->empty()) {
      error(node, path, "expected non-empty text; got \"\"");
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::int64_t> integer(YAML::Node const& node, std::string const& path,
                                      std::int64_t min, std::int64_t max) {
    std::string const expected = max == INT64_MAX
                                     ? fmt::format("an integer >= {}", min)
                                     : fmt::format("an integer from {} to {}", min, max);
    if (!node.IsScalar()) {
      error(node, path, fmt::format("expected {}; got {}", expected, describe(node)));
      return std::nullopt;
    }
    std::string const& text = node.Scalar();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
      error(node, path, fmt::format("expected {}; got {}", expected, quote(text)));
      return std::nullopt;
    }
    return value;
  }

  std::optional<double> number(YAML::Node const& node, std::string const& path, double min,
                               double max) {
    std::string const expected = fmt::format("a number from {} to {}", min, max);
    if (!node.IsScalar()) {
      error(node, path, fmt::format("expected {}; got {}", expected, describe(node)));
      return std::nullopt;
    }
    std::string const& text = node.Scalar();
    char* end = nullptr;
    double const value = text.empty() ? NAN : std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < min ||
        value > max) {
      error(node, path, fmt::format("expected {}; got {}", expected, quote(text)));
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> boolean(YAML::Node const& node, std::string const& path) {
    if (node.IsScalar()) {
      std::string const v = lower(node.Scalar());
      if (v == "true" || v == "yes")
        return true;
      if (v == "false" || v == "no")
        return false;
    }
    error(node, path, fmt::format("expected true or false; got {}", describe(node)));
    return std::nullopt;
  }

  std::optional<Duration> duration(YAML::Node const& node, std::string const& path,
                                   bool allow_negative = false) {
    std::optional<Duration> value;
    if (node.IsScalar()) {
      value = parse_duration(node.Scalar());
      bool const too_large = value ? std::chrono::abs(*value) > kMaxScenarioDuration
                                   : is_duration_too_large(node.Scalar());
      if (too_large) {
        error(
            node, path,
            fmt::format(
                "duration {} is too large; at most {} ({} days)", quote(node.Scalar()),
                format_duration(kMaxScenarioDuration),
                std::chrono::duration_cast<std::chrono::hours>(kMaxScenarioDuration).count() / 24));
        return std::nullopt;
      }
    }
    if (!value || (!allow_negative && value->count() < 0)) {
      error(node, path,
            fmt::format("expected a duration such as 90s, 15m, 2h, 1d or 250ms{}; got {}",
                        allow_negative ? " (may start with -)" : "", describe(node)));
      return std::nullopt;
    }
    return value;
  }

  std::optional<TimePoint> time(YAML::Node const& node, std::string const& path) {
    std::optional<TimePoint> value;
    if (node.IsScalar()) {
      value = parse_iso_time(node.Scalar());
    }
    if (!value) {
      error(node, path,
            fmt::format("expected an ISO 8601 time such as 2024-03-01T09:00:00Z; got {}",
                        describe(node)));
    }
    return value;
  }

  /// A scalar that must be one of `options` (compared ignoring case). `hint`,
  /// when given, says why a known but refused value is refused.
  std::optional<std::string> one_of(
      YAML::Node const& node, std::string const& path, std::vector<std::string> const& options,
      std::function<std::string(std::string const&)> const& hint = nullptr) {
    if (node.IsScalar()) {
      std::string const v = lower(node.Scalar());
      if (std::find(options.begin(), options.end(), v) != options.end()) {
        return v;
      }
    }
    std::string expected;
    for (std::string const& o : options) {
      expected += expected.empty() ? o : ", " + o;
    }
    std::string message = fmt::format("expected one of {}; got {}", expected, describe(node));
    std::string const why = node.IsScalar() && hint ? hint(lower(node.Scalar())) : "";
    if (!why.empty()) {
      message += fmt::format(" ({})", why);
    } else if (node.IsScalar()) {
      std::string const suggestion = closest_key(lower(node.Scalar()), options);
      if (!suggestion.empty()) {
        message += fmt::format(" (did you mean {}?)", quote(suggestion));
      }
    }
    error(node, path, message);
    return std::nullopt;
  }

  /// Values given inline, or read from CSV files: a list whose items are text
  /// or {file: path, header: column}. `check` validates each value.
  std::optional<std::vector<Located>> values(YAML::Node const& node, std::string const& path,
                                             Check const& check) {
    std::vector<Located> out;
    bool ok = list(node, path, [&](YAML::Node const& item, std::string const& item_path) {
      if (item.IsMap()) {
        read_csv_item(item, item_path, check, out);
        return;
      }
      auto value = string(item, item_path);
      if (!value) {
        return;
      }
      if (auto problem = check(*value)) {
        error(item, item_path, *problem);
        return;
      }
      out.push_back(Located{*value, mark(item), item_path});
    });
    if (!ok) {
      return std::nullopt;
    }
    return out;
  }

  CountCheck count(YAML::Node const& node, std::string const& path) {
    CountCheck check;
    if (node.IsScalar()) {
      check.exactly = integer(node, path, 0, INT64_MAX);
      if (!check.exactly) {
        check.exactly = -1;
      }
      return check;
    }
    if (!node.IsMap()) {
      error(node, path,
            fmt::format("expected a count (a number, or a mapping of exactly, at_least, "
                        "at_most); got {}",
                        describe(node)));
      return check;
    }
    map(node, path,
        {{"exactly",
          [&](auto const& n, auto const& p) { check.exactly = integer(n, p, 0, INT64_MAX); }},
         {"at_least",
          [&](auto const& n, auto const& p) { check.at_least = integer(n, p, 0, INT64_MAX); }},
         {"at_most",
          [&](auto const& n, auto const& p) { check.at_most = integer(n, p, 0, INT64_MAX); }}});
    if (!check.exactly && !check.at_least && !check.at_most) {
      error(node, path, "expected at least one of exactly, at_least, at_most");
    }
    return check;
  }

 private:
  /// Records `name` as seen; a repeat is an error naming both places.
  bool first_time(std::map<std::string, SourceMark>& seen, std::string const& name,
                  YAML::Node const& key, std::string const& path) {
    auto const [it, inserted] = seen.emplace(name, mark(key));
    if (!inserted) {
      error(key, path,
            fmt::format("appears twice in the same mapping (first at {})", it->second.to_string()));
    }
    return inserted;
  }

  void read_csv_item(YAML::Node const& item, std::string const& path, Check const& check,
                     std::vector<Located>& out) {
    std::optional<std::string> file;
    std::optional<std::string> header;
    map(item, path,
        {{"file", [&](auto const& n, auto const& p) { file = nonempty(n, p); }, true},
         {"header", [&](auto const& n, auto const& p) { header = nonempty(n, p); }}});
    if (!file) {
      return;
    }

    fs::path full = *file;
    if (full.is_relative() && !base_dir_.empty()) {
      full = fs::path(base_dir_) / full;
    }
    YAML::Node const file_node = item["file"];
    std::string const file_path = join(path, "file");
    // Devices and pipes (/dev/zero, a FIFO) would never end, and a list larger than
    // the policy accepts is a mistake: refuse both before reading.
    std::error_code ec;
    if (fs::exists(full, ec) && !fs::is_regular_file(full, ec)) {
      error(file_node, file_path,
            fmt::format("CSV file {} is not a regular file", quote(full.string())));
      return;
    }
    if (auto const size = fs::file_size(full, ec); !ec && size > kMaxCsvBytes) {
      error(file_node, file_path,
            fmt::format("CSV file {} has {} bytes; at most {} are read", quote(full.string()), size,
                        kMaxCsvBytes));
      return;
    }
    std::ifstream in(full, std::ios::binary);
    if (!in) {
      error(file_node, file_path, fmt::format("cannot read CSV file {}", quote(full.string())));
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();

    // The CSV file's problems are reported at their cells, with the scenario
    // place that named the file so the reader knows which list they belong to.
    std::string const csv_name = full.string();
    file_rank_.emplace(csv_name, file_rank_.size());
    std::string const named_at =
        fmt::format(" (CSV file named at {})", mark(file_node).to_string());
    CsvColumn const column = pick_csv_column(parse_csv_table(text.str()), header);
    for (CsvProblem const& problem : column.problems) {
      error(SourceMark{csv_name, problem.line, problem.column}, path, problem.message + named_at);
    }
    for (CsvCell const& cell : column.values) {
      SourceMark const at{csv_name, cell.line, cell.column};
      if (auto problem = check(cell.value)) {
        error(at, path, *problem + named_at);
        continue;
      }
      out.push_back(Located{cell.value, at, path});
    }
  }

  std::string file_;
  std::string base_dir_;
  std::vector<Diagnostic> errors_;
  std::map<std::string, std::size_t> file_rank_;
};

// Field checks ---------------------------------------------------------------

std::optional<std::string> check_region(std::string const& value) {
  bool const shaped = value.size() == 2 &&
                      std::isupper(static_cast<unsigned char>(value[0])) != 0 &&
                      std::isupper(static_cast<unsigned char>(value[1])) != 0;
  if (!shaped) {
    return fmt::format("expected a two-letter upper-case region code such as US or GB; got {}",
                       quote(value));
  }
  if (!policy::is_known_region(value)) {
    return fmt::format("{} is not a region code (ISO 3166-1 alpha-2, such as US or GB)",
                       quote(value));
  }
  return std::nullopt;
}

/// The shape of a phone number; whether it is a possible number of its country
/// is checked once the policy's default region is known (check_policies).
std::optional<std::string> check_number(std::string const& value) {
  bool has_digit = false;
  for (char c : value) {
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      has_digit = true;
    } else if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
      return fmt::format("expected a phone number such as +14155550100; got {}", quote(value));
    }
  }
  if (!has_digit) {
    return fmt::format("expected a phone number such as +14155550100; got {}", quote(value));
  }
  return std::nullopt;
}

/// The fakes deliver inbound SMS only from numbers in E.164.
std::optional<std::string> check_e164(std::string const& value) {
  bool ok = value.size() >= 3 && value.size() <= 16 && value[0] == '+' && value[1] != '0';
  for (std::size_t i = 1; ok && i < value.size(); ++i) {
    ok = std::isdigit(static_cast<unsigned char>(value[i])) != 0;
  }
  if (ok) {
    return std::nullopt;
  }
  return fmt::format(
      "expected a number in E.164 such as +14155550100 (+, then 2 to 15 digits); "
      "got {}",
      quote(value));
}

std::optional<std::string> check_pattern(std::string const& value) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 const re(value, options);
  if (re.ok()) {
    return std::nullopt;
  }
  return fmt::format("invalid regular expression {}: {}", quote(value), re.error());
}

std::vector<std::string> names_of(std::initializer_list<char const*> names) {
  return {names.begin(), names.end()};
}

std::string joined(std::vector<std::string> const& items) {
  std::string out;
  for (std::string const& item : items) {
    out += out.empty() ? item : ", " + item;
  }
  return out;
}

/// Results each provider kind's fake can produce.
std::vector<std::string> outcome_results(domain::ProviderKind kind) {
  switch (kind) {
    case domain::ProviderKind::kTwilio:
      return names_of({"delivered", "undelivered", "failed", "sent"});
    case domain::ProviderKind::kSyniverse:
      return names_of({"delivered", "failed", "expired"});
    case domain::ProviderKind::kSmtp:
      return names_of({"sent", "rejected"});
    default:
      return names_of({"sent"});
  }
}

/// Why a result another provider knows is not offered by this one's fake.
std::string outcome_hint(domain::ProviderKind kind, std::string const& result) {
  auto const name = domain::to_string(kind);
  if (result == "rejected" && kind != domain::ProviderKind::kSmtp) {
    return fmt::format(
        "the {} fake accepts every well-formed send; script refusals with faults.bursts", name);
  }
  if (kind == domain::ProviderKind::kSyniverse && result == "sent") {
    return "the syniverse fake always reports a final state (delivered, failed or expired)";
  }
  if (kind == domain::ProviderKind::kGeneric) {
    return "the generic provider sends no delivery reports, so its messages stay sent";
  }
  return {};
}

/// Outcomes that carry an error code, per provider kind.
bool takes_error_code(domain::ProviderKind kind, std::string const& result) {
  switch (kind) {
    case domain::ProviderKind::kTwilio:
      return result == "undelivered" || result == "failed";
    case domain::ProviderKind::kSyniverse:
      return result == "failed";
    case domain::ProviderKind::kSmtp:
      return result == "rejected";
    default:
      return false;
  }
}

/// Raw statuses whose callbacks can be delayed, per provider kind, and the
/// delay of the fake each one sets (statuses that share a delay are refused
/// together with different values).
std::vector<std::pair<std::string, std::string>> callback_delay_keys(domain::ProviderKind kind) {
  switch (kind) {
    case domain::ProviderKind::kTwilio:
      return {{"queued", "queued"},
              {"sent", "sent"},
              {"failed", "sent"},
              {"delivered", "final"},
              {"undelivered", "final"}};
    case domain::ProviderKind::kSyniverse:
      return {{"sent", "sent"}, {"delivered", "final"}, {"failed", "final"}, {"expired", "final"}};
    default:
      return {};
  }
}

/// Places of the keys a fault mapping gave, for checks that need the provider.
struct FaultMarks {
  SourceMark node;
  std::optional<SourceMark> latency;
  std::optional<SourceMark> bursts;
  std::optional<SourceMark> reset_requests;
  /// The callback shares given: key name and place.
  std::vector<std::pair<std::string, SourceMark>> shares;
  /// Per burst read (FaultSpec::bursts), its place and its index in the list.
  std::vector<std::pair<SourceMark, std::size_t>> burst_marks;
  /// Items in the bursts list, read or not.
  std::size_t burst_items = 0;
};

// Sections -----------------------------------------------------------------

class ScenarioReader {
 public:
  ScenarioReader(Reader& r, Scenario& s) : r_(r), s_(s) {}

  void read(YAML::Node const& root) {
    r_.map(
        root, "",
        {{"name", [&](auto const& n, auto const& p) { assign(s_.name, r_.nonempty(n, p)); }, true},
         {"description",
          [&](auto const& n, auto const& p) { assign(s_.description, r_.string(n, p)); }},
         {"seed",
          [&](auto const& n, auto const& p) {
            if (auto v = r_.integer(n, p, 0, INT64_MAX))
              s_.seed = static_cast<std::uint64_t>(*v);
          }},
         {"tags", [&](auto const& n, auto const& p) { read_tags(n, p, s_.tags); }},
         {"clock", [&](auto const& n, auto const& p) { read_clock(n, p); }},
         {"policy",
          [&](auto const& n, auto const& p) {
            policy_stages_.push_back(PolicyStage{.mark = r_.mark(n), .path = p});
            read_policy(n, p, s_.policy, policy_stages_.back());
          }},
         {"providers", [&](auto const& n, auto const& p) { read_providers(n, p); }},
         {"candidates", [&](auto const& n, auto const& p) { read_candidates(n, p); }},
         {"steps", [&](auto const& n, auto const& p) { read_steps(n, p); }, true}});
    cross_check();
  }

 private:
  /// The rules in force from one point of the run on: the top-level policy, or
  /// a set_policy step. Kept to check the merged rules with the core's policy.
  struct PolicyStage {
    SourceMark mark;
    std::string path;
    /// Index in s_.steps; nullopt for the top-level policy.
    std::optional<std::size_t> step;
    /// The blocked numbers this stage sets, with their places.
    std::optional<std::vector<Located>> numbers;
    std::optional<SourceMark> default_region;
  };

  /// A fault mapping, checked once the provider of its channel is known.
  struct FaultUse {
    domain::Channel channel;
    /// True for set_faults, false for providers.*.faults.
    bool in_step = false;
    std::string path;
    FaultSpec spec;
    FaultMarks marks;
  };

  template <class T>
  static void assign(T& target, std::optional<T> value) {
    if (value) {
      target = std::move(*value);
    }
  }

  static std::vector<std::string> strings(std::optional<std::vector<Located>> const& located) {
    std::vector<std::string> out;
    for (Located const& l : *located) {
      out.push_back(l.value);
    }
    return out;
  }

  void read_tags(YAML::Node const& node, std::string const& path, std::vector<std::string>& out) {
    r_.list(node, path, [&](auto const& n, auto const& p) {
      if (auto v = r_.nonempty(n, p))
        out.push_back(*v);
    });
  }

  void read_clock(YAML::Node const& node, std::string const& path) {
    r_.map(node, path,
           {{"start", [&](auto const& n, auto const& p) { assign(s_.clock.start, r_.time(n, p)); }},
            {"day_start_offset", [&](auto const& n, auto const& p) {
               if (n.IsScalar()) {
                 auto const d = parse_duration(n.Scalar());
                 if (d && std::chrono::abs(*d) >= std::chrono::hours(24)) {
                   r_.error(n, p,
                            fmt::format("expected an offset within a day (-23h59m to 23h59m); "
                                        "got {}",
                                        describe(n)));
                   return;
                 }
               }
               assign(s_.clock.day_start_offset, r_.duration(n, p, true));
             }}});
  }

  void read_policy(YAML::Node const& node, std::string const& path, PolicySpec& policy,
                   PolicyStage& stage) {
    auto limit = [&](YAML::Node const& n, std::string const& p,
                     std::optional<std::optional<std::int64_t>>& out) {
      if (n.IsScalar() && lower(n.Scalar()) == "unlimited") {
        out = std::optional<std::int64_t>();
        return;
      }
      if (!n.IsScalar()) {
        r_.error(n, p, fmt::format("expected an integer >= 0 or unlimited; got {}", describe(n)));
        return;
      }
      if (auto v = r_.integer(n, p, 0, INT64_MAX))
        out = std::optional<std::int64_t>(*v);
    };
    r_.map(node, path,
           {{"allowed_countries",
             [&](auto const& n, auto const& p) {
               if (auto v = r_.values(n, p, check_region))
                 policy.allowed_countries = strings(v);
             }},
            {"blocked_numbers",
             [&](auto const& n, auto const& p) {
               stage.numbers = r_.values(n, p, check_number);
               if (stage.numbers)
                 policy.blocked_numbers = strings(stage.numbers);
             }},
            {"blocked_patterns",
             [&](auto const& n, auto const& p) {
               if (auto v = r_.values(n, p, check_pattern))
                 policy.blocked_patterns = strings(v);
             }},
            {"candidate_daily_limit",
             [&](auto const& n, auto const& p) { limit(n, p, policy.candidate_daily_limit); }},
            {"application_daily_limit",
             [&](auto const& n, auto const& p) { limit(n, p, policy.application_daily_limit); }},
            {"default_region", [&](auto const& n, auto const& p) {
               auto v = r_.string(n, p);
               if (v && check_region(*v)) {
                 r_.error(n, p, *check_region(*v));
                 return;
               }
               policy.default_region = v;
               stage.default_region = r_.mark(n);
             }}});
  }

  void read_providers(YAML::Node const& node, std::string const& path) {
    r_.map(node, path,
           {{"sms",
             [&](auto const& n, auto const& p) {
               s_.providers.sms =
                   read_provider(n, p, domain::Channel::kSms, {"twilio", "syniverse", "generic"});
             }},
            {"email", [&](auto const& n, auto const& p) {
               s_.providers.email = read_provider(n, p, domain::Channel::kEmail, {"smtp"});
             }}});
  }

  std::optional<ProviderSpec> read_provider(YAML::Node const& node, std::string const& path,
                                            domain::Channel channel,
                                            std::vector<std::string> const& kinds) {
    // The kind decides which outcomes and callbacks are valid, so read it first.
    if (!node.IsMap()) {
      r_.error(node, path, fmt::format("expected a mapping; got {}", describe(node)));
      return std::nullopt;
    }
    ProviderSpec spec;
    bool kind_ok = false;
    if (node["kind"]) {
      if (auto kind = r_.one_of(node["kind"], join(path, "kind"), kinds)) {
        spec.kind = *domain::parse_provider_kind(*kind);
        kind_ok = true;
      }
    }
    bool const has_kind = static_cast<bool>(node["kind"]);
    std::optional<FaultUse> faults;
    r_.map(node, path,
           {{"kind", [](auto const&, auto const&) {}, true},
            {"outcomes",
             [&](auto const& n, auto const& p) {
               if (kind_ok)
                 read_outcomes(n, p, spec);
             }},
            {"callback_delays",
             [&](auto const& n, auto const& p) {
               if (kind_ok)
                 read_callback_delays(n, p, spec);
             }},
            {"faults",
             [&](auto const& n, auto const& p) {
               faults = read_faults(n, p, channel, false);
               spec.faults = faults->spec;
             }},
            {"account_sid",
             [&](auto const& n, auto const& p) { assign(spec.account_sid, r_.string(n, p)); }},
            {"auth_token",
             [&](auto const& n, auto const& p) { assign(spec.auth_token, r_.string(n, p)); }},
            {"messaging_service_sid", [&](auto const& n, auto const& p) {
               assign(spec.messaging_service_sid, r_.string(n, p));
             }}});
    if (!has_kind || !kind_ok) {
      return std::nullopt;
    }
    if (faults) {
      fault_uses_.push_back(std::move(*faults));
    }
    if (spec.outcomes.empty()) {
      bool const callbacks = spec.kind == domain::ProviderKind::kTwilio ||
                             spec.kind == domain::ProviderKind::kSyniverse;
      spec.outcomes.push_back(OutcomeSpec{.result = callbacks ? "delivered" : "sent"});
    }
    return spec;
  }

  void read_outcomes(YAML::Node const& node, std::string const& path, ProviderSpec& spec) {
    std::vector<std::string> const results = outcome_results(spec.kind);
    double total = 0;
    // Syniverse draws a failed message's reason uniformly among the codes it
    // is given, so per-outcome codes are faithful only with equal weights.
    std::vector<std::pair<OutcomeSpec, SourceMark>> failed;
    r_.list(node, path, [&](auto const& n, auto const& p) {
      OutcomeSpec outcome;
      bool result_ok = false;
      std::optional<std::pair<YAML::Node, std::string>> code_node;
      r_.map(n, p,
             {{"result",
               [&](auto const& v, auto const& vp) {
                 auto res = r_.one_of(v, vp, results, [&](std::string const& given) {
                   return outcome_hint(spec.kind, given);
                 });
                 if (res) {
                   outcome.result = *res;
                   result_ok = true;
                 }
               },
               true},
              {"weight", [&](auto const& v,
                             auto const& vp) { assign(outcome.weight, r_.number(v, vp, 0, 1e9)); }},
              {"error_code", [&](auto const& v, auto const& vp) {
                 code_node = std::pair(v, vp);
                 assign(outcome.error_code, r_.nonempty(v, vp));
               }}});
      if (!result_ok) {
        return;
      }
      if (code_node && !outcome.error_code.empty() &&
          !check_error_code(spec.kind, outcome, code_node->first, code_node->second)) {
        return;
      }
      if (spec.kind == domain::ProviderKind::kSyniverse && outcome.result == "failed") {
        failed.emplace_back(outcome, r_.mark(n));
      }
      total += outcome.weight;
      spec.outcomes.push_back(outcome);
    });
    if (node.IsSequence() && node.size() > 0 && !spec.outcomes.empty() && total <= 0) {
      r_.error(node, path, "expected at least one outcome with a weight above 0");
    }
    if (failed.size() > 1) {
      bool const same_weight = std::all_of(failed.begin(), failed.end(), [&](auto const& f) {
        return f.first.weight == failed.front().first.weight;
      });
      bool const all_coded = std::all_of(failed.begin(), failed.end(),
                                         [](auto const& f) { return !f.first.error_code.empty(); });
      if (!same_weight || !all_coded) {
        r_.error(failed[1].second, path,
                 "the syniverse fake picks the reason of a failed message evenly among the failed "
                 "outcomes' codes: give every failed outcome an error_code and the same weight, "
                 "or use one failed outcome");
      }
    }
  }

  /// Whether `outcome`'s error code fits the provider; reports it when not.
  bool check_error_code(domain::ProviderKind kind, OutcomeSpec const& outcome,
                        YAML::Node const& node, std::string const& path) {
    std::string const kind_name(domain::to_string(kind));
    if (!takes_error_code(kind, outcome.result)) {
      std::string which;
      for (std::string const& r : outcome_results(kind)) {
        if (takes_error_code(kind, r))
          which += which.empty() ? r : " and " + r;
      }
      r_.error(node, path,
               which.empty() ? fmt::format("{} outcomes carry no error code", kind_name)
                             : fmt::format("a {} {} outcome carries no error code; only {} do",
                                           kind_name, outcome.result, which));
      return false;
    }
    std::string const& code = outcome.error_code;
    bool const digits = code.size() <= 9 && std::all_of(code.begin(), code.end(), [](char c) {
                          return std::isdigit(static_cast<unsigned char>(c)) != 0;
                        });
    int const value = digits ? std::stoi(code) : 0;
    // The range a provider's codes fall in, and how the message names one.
    int min = 1;
    int max = std::numeric_limits<int>::max();
    std::string_view expected;
    switch (kind) {
      case domain::ProviderKind::kTwilio:
        expected = "a Twilio error code, a number such as 30003";
        break;
      case domain::ProviderKind::kSyniverse:
        expected = "a Syniverse reason code, a number such as 1009";
        break;
      default:
        min = 500;
        max = 599;
        expected = "a permanent SMTP reply code from 500 to 599 such as 550";
        break;
    }
    if (!digits || value < min || value > max) {
      r_.error(node, path, fmt::format("expected {}; got {}", expected, quote(code)));
      return false;
    }
    return true;
  }

  void read_callback_delays(YAML::Node const& node, std::string const& path, ProviderSpec& spec) {
    auto const keys = callback_delay_keys(spec.kind);
    if (keys.empty()) {
      r_.error(node, path,
               fmt::format("{} sends no status callbacks; remove callback_delays",
                           domain::to_string(spec.kind)));
      return;
    }
    std::vector<std::string> names;
    for (auto const& [status, delay] : keys) {
      names.push_back(status);
    }
    // Statuses that share one delay of the fake must agree on it.
    std::map<std::string, std::pair<std::string, Duration>> by_delay;
    r_.named_entries(
        node, path, "a mapping of status to delay", names,
        [&](std::string const& status, YAML::Node const&, YAML::Node const& value,
            std::string const& key_path) {
          auto const delay = r_.duration(value, key_path);
          if (!delay) {
            return;
          }
          std::string const& shared = std::find_if(keys.begin(), keys.end(), [&](auto const& k) {
                                        return k.first == status;
                                      })->second;
          auto const [it, first] = by_delay.emplace(shared, std::pair(status, *delay));
          if (!first && it->second.second != *delay) {
            r_.error(value, key_path,
                     fmt::format("{} and {} share one delay in the {} fake; give them the same "
                                 "duration or only one of them",
                                 it->second.first, status, domain::to_string(spec.kind)));
            return;
          }
          spec.callback_delays[status] = *delay;
        });
  }

  FaultUse read_faults(YAML::Node const& node, std::string const& path, domain::Channel channel,
                       bool in_step) {
    FaultUse use{.channel = channel, .in_step = in_step, .path = path, .spec = {}, .marks = {}};
    FaultSpec& f = use.spec;
    FaultMarks& marks = use.marks;
    marks.node = r_.mark(node);
    auto share = [&](double& out, char const* name) {
      return [&, name](auto const& n, auto const& p) {
        marks.shares.emplace_back(name, r_.mark(n));
        assign(out, r_.number(n, p, 0, 1));
      };
    };
    r_.map(node, path,
           {{"bursts",
             [&](auto const& n, auto const& p) {
               marks.bursts = r_.mark(n);
               marks.burst_items = n.IsSequence() ? n.size() : 0;
               std::size_t index = 0;
               r_.list(n, p, [&](auto const& b, auto const& bp) {
                 read_burst(b, bp, index++, channel, f, marks);
               });
               check_bursts(f, marks, p);
             }},
            {"latency",
             [&](auto const& n, auto const&) {
               // Limitation: API latency is refused — the core waits for the answer of a
               // provider call that the fake holds back until the virtual clock moves, and
               // the clock moves only once that work has settled, so the run would stall.
               marks.latency = r_.mark(n);
             }},
            {"reset_requests",
             [&](auto const& n, auto const& p) {
               marks.reset_requests = r_.mark(n);
               read_resets(n, p, f);
             }},
            {"duplicate_callbacks", share(f.duplicate_callbacks, "duplicate_callbacks")},
            {"reorder_callbacks", share(f.reorder_callbacks, "reorder_callbacks")},
            {"drop_callbacks", share(f.drop_callbacks, "drop_callbacks")}});
    return use;
  }

  void read_burst(YAML::Node const& node, std::string const& path, std::size_t index,
                  domain::Channel channel, FaultSpec& f, FaultMarks& marks) {
    BurstSpec b;
    b.status = channel == domain::Channel::kEmail ? 421 : 503;
    bool ok = true;
    auto const statuses = channel == domain::Channel::kEmail
                              ? names_of({"421", "451"})
                              : names_of({"429", "500", "502", "503", "504"});
    r_.map(node, path,
           {{"status",
             [&](auto const& n, auto const& p) {
               auto v = r_.one_of(n, p, statuses, [&](std::string const&) {
                 return channel == domain::Channel::kEmail
                            ? "SMTP bursts answer a temporary SMTP reply code"
                            : "";
               });
               ok = ok && v.has_value();
               if (v)
                 b.status = std::stoi(*v);
             },
             channel == domain::Channel::kSms},
            {"start",
             [&](auto const& n, auto const& p) {
               auto v = r_.integer(n, p, 1, kMaxFaultRequest);
               ok = ok && v.has_value();
               assign(b.start_request, v);
             }},
            {"count", [&](auto const& n, auto const& p) {
               auto v = r_.integer(n, p, 1, kMaxBurstRequests);
               ok = ok && v.has_value();
               assign(b.count, v);
             }}});
    if (ok && node.IsMap()) {
      f.bursts.push_back(b);
      marks.burst_marks.emplace_back(r_.mark(node), index);
    }
  }

  /// Bursts of one fault set may not overlap and cover a bounded number of
  /// requests together.
  void check_bursts(FaultSpec const& f, FaultMarks const& marks, std::string const& path) {
    std::vector<std::size_t> order(f.bursts.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return f.bursts[a].start_request < f.bursts[b].start_request;
    });
    std::int64_t total = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
      BurstSpec const& b = f.bursts[order[k]];
      total += b.count;
      if (k == 0) {
        continue;
      }
      BurstSpec const& before = f.bursts[order[k - 1]];
      std::int64_t const before_end = before.start_request + before.count - 1;
      if (b.start_request <= before_end) {
        auto const& [mark, index] = marks.burst_marks[order[k]];
        r_.error(mark, index_path(path, index),
                 fmt::format("overlaps the burst at {} (requests {} to {}); bursts may not overlap",
                             marks.burst_marks[order[k - 1]].first.to_string(),
                             before.start_request, before_end));
      }
    }
    if (total > kMaxBurstRequests) {
      r_.error(*marks.bursts, path,
               fmt::format("the bursts cover {} requests together; at most {}", total,
                           kMaxBurstRequests));
    }
  }

  void read_resets(YAML::Node const& node, std::string const& path, FaultSpec& f) {
    if (node.IsSequence() && node.size() > kMaxResetRequests) {
      r_.error(node, path,
               fmt::format("lists {} requests; at most {}", node.size(), kMaxResetRequests));
      return;
    }
    std::map<std::int64_t, SourceMark> seen;
    r_.list(node, path, [&](auto const& v, auto const& vp) {
      auto const i = r_.integer(v, vp, 1, kMaxFaultRequest);
      if (!i) {
        return;
      }
      auto const [it, first] = seen.emplace(*i, r_.mark(v));
      if (!first) {
        r_.error(
            v, vp,
            fmt::format("request {} is listed twice (first at {})", *i, it->second.to_string()));
      }
    });
    for (auto const& [request, mark] : seen) {
      f.reset_requests.push_back(request);
    }
  }

  // Candidates ---------------------------------------------------------------

  void read_candidates(YAML::Node const& node, std::string const& path) {
    if (node.IsSequence()) {
      read_candidate_list(node, path);
      return;
    }
    r_.map(node, path,
           {{"list", [&](auto const& n, auto const& p) { read_candidate_list(n, p); }},
            {"generate", [&](auto const& n, auto const& p) { read_generate(n, p); }}});
  }

  void read_candidate_list(YAML::Node const& node, std::string const& path) {
    r_.list(node, path, [&](auto const& n, auto const& p) {
      CandidateSpec c;
      c.mark = r_.mark(n);
      bool id_ok = false;
      r_.map(
          n, p,
          {{"id",
            [&](auto const& v, auto const& vp) {
              auto id = r_.integer(v, vp, 1, INT64_MAX);
              id_ok = id.has_value();
              assign(c.id, id);
            },
            true},
           {"number", [&](auto const& v, auto const& vp) { assign(c.number, r_.nonempty(v, vp)); }},
           {"first_name",
            [&](auto const& v, auto const& vp) { assign(c.first_name, r_.string(v, vp)); }},
           {"last_name",
            [&](auto const& v, auto const& vp) { assign(c.last_name, r_.string(v, vp)); }},
           {"email", [&](auto const& v, auto const& vp) { assign(c.email, r_.string(v, vp)); }},
           {"phone", [&](auto const& v, auto const& vp) { assign(c.phone, r_.string(v, vp)); }},
           {"opted_out",
            [&](auto const& v, auto const& vp) { assign(c.opted_out, r_.boolean(v, vp)); }},
           {"tags", [&](auto const& v, auto const& vp) { read_tags(v, vp, c.tags); }}});
      if (!id_ok) {
        return;
      }
      if (c.number.empty()) {
        c.number = fmt::format("CAND-{:06}", c.id);
      }
      if (c.first_name.empty()) {
        c.first_name = "Candidate";
      }
      if (c.last_name.empty()) {
        c.last_name = fmt::format("{}", c.id);
      }
      if (!list_ids_.insert(c.id).second) {
        r_.error(n, join(p, "id"), fmt::format("candidate id {} is listed twice", c.id));
        return;
      }
      s_.candidates.list.push_back(std::move(c));
    });
  }

  void read_generate(YAML::Node const& node, std::string const& path) {
    GenerateSpec g;
    generate_mark_ = r_.mark(node);
    auto share = [&](double& out) {
      return [&](auto const& n, auto const& p) { assign(out, r_.number(n, p, 0, 1)); };
    };
    bool count_ok = false;
    r_.map(node, path,
           {{"count",
             [&](auto const& n, auto const& p) {
               auto v = r_.integer(n, p, 0, 1'000'000);
               count_ok = v.has_value();
               assign(g.count, v);
             },
             true},
            {"countries", [&](auto const& n, auto const& p) { read_countries(n, p, g); }},
            {"shared_phone", share(g.shared_phone)},
            {"opted_out", share(g.opted_out)},
            {"invalid_number", share(g.invalid_number)},
            {"first_id",
             [&](auto const& n, auto const& p) {
               assign(g.first_id, r_.integer(n, p, 1, INT64_MAX / 2));
             }},
            {"tags", [&](auto const& n, auto const& p) { read_tags(n, p, g.tags); }},
            {"seed", [&](auto const& n, auto const& p) {
               if (auto v = r_.integer(n, p, 0, INT64_MAX))
                 g.seed = static_cast<std::uint64_t>(*v);
             }}});
    if (count_ok) {
      s_.candidates.generate = g;
    }
  }

  void read_countries(YAML::Node const& node, std::string const& path, GenerateSpec& g) {
    std::vector<std::string> const& regions = generator_regions();
    double total = 0;
    bool const ok = r_.entries(
        node, path, "a mapping of region to weight (US: 3)",
        [&](YAML::Node const& key, std::string const& key_path) -> std::optional<std::string> {
          if (!is_generator_region(key.Scalar())) {
            r_.error(key, key_path,
                     fmt::format("expected one of {}; got {}", joined(regions), describe(key)));
            return std::nullopt;
          }
          return key.Scalar();
        },
        [&](std::string const& region, YAML::Node const&, YAML::Node const& value,
            std::string const& key_path) {
          if (auto w = r_.number(value, key_path, 0, 1e9)) {
            g.countries.push_back(CountryWeight{region, *w});
            total += *w;
          }
        });
    if (ok && !g.countries.empty() && total <= 0) {
      r_.error(node, path, "expected at least one country with a weight above 0");
    }
  }

  // Steps --------------------------------------------------------------------

  void read_steps(YAML::Node const& node, std::string const& path) {
    static std::vector<std::string> const kKinds = {"send_message", "compose",    "inbound",
                                                    "advance",      "set_policy", "set_faults",
                                                    "restart",      "expect"};
    std::vector<std::string> known = kKinds;
    known.push_back("label");
    r_.list(node, path, [&](YAML::Node const& n, std::string const& p) {
      // "- restart" needs no body.
      if (n.IsScalar() && n.Scalar() == "restart") {
        s_.steps.push_back(Step{RestartStep{}, r_.mark(n), p + ".restart", ""});
        return;
      }
      if (!n.IsMap()) {
        r_.error(n, p,
                 fmt::format("expected a step (a mapping with one of send_message, compose, "
                             "inbound, advance, set_policy, set_faults, restart, expect); got {}",
                             describe(n)));
        return;
      }

      std::string label;
      std::vector<std::pair<std::string, YAML::Node>> bodies;
      r_.entries(
          n, p, "a step",
          [&](YAML::Node const& key, std::string const&) -> std::optional<std::string> {
            std::string const& name = key.Scalar();
            if (std::find(known.begin(), known.end(), name) == known.end()) {
              r_.unknown_key(key, p, name, known);
              return std::nullopt;
            }
            return name;
          },
          [&](std::string const& key, YAML::Node const&, YAML::Node const& value,
              std::string const& key_path) {
            if (key == "label") {
              assign(label, r_.nonempty(value, key_path));
            } else {
              bodies.emplace_back(key, value);
            }
          });
      if (bodies.size() != 1) {
        r_.error(n, p,
                 bodies.empty() ? "expected one step kind: send_message, compose, inbound, "
                                  "advance, set_policy, set_faults, restart or expect"
                                : "expected exactly one step kind per list item");
        return;
      }

      auto const& [kind, body] = bodies.front();
      std::string const body_path = join(p, kind);
      std::size_t const index = s_.steps.size();
      Step step{RestartStep{}, r_.mark(n), body_path, label};
      if (kind == "send_message") {
        step.body = read_send(body, body_path);
      } else if (kind == "compose") {
        step.body = read_compose(body, body_path);
      } else if (kind == "inbound") {
        step.body = read_inbound(body, body_path);
      } else if (kind == "advance") {
        step.body = read_advance(body, body_path, index);
      } else if (kind == "set_policy") {
        SetPolicyStep s;
        policy_stages_.push_back(
            PolicyStage{.mark = r_.mark(body), .path = body_path, .step = index});
        read_policy(body, body_path, s.policy, policy_stages_.back());
        step.body = s;
      } else if (kind == "set_faults") {
        step.body = read_set_faults(body, body_path);
      } else if (kind == "restart") {
        if (!body.IsNull() && !(body.IsMap() && body.size() == 0)) {
          r_.error(body, body_path, fmt::format("takes no settings; got {}", describe(body)));
        }
      } else {
        step.body = read_expect(body, body_path);
      }
      s_.steps.push_back(std::move(step));
    });
  }

  void read_context(YAML::Node const& node, std::string const& path, domain::Context& out) {
    static std::vector<std::string> const kKinds = {"profile", "requisition", "pool", "search"};
    if (node.IsScalar()) {
      if (auto k = r_.one_of(node, path, kKinds))
        out.kind = *domain::parse_context_kind(*k);
    } else {
      r_.map(node, path,
             {{"kind",
               [&](auto const& n, auto const& p) {
                 if (auto k = r_.one_of(n, p, kKinds))
                   out.kind = *domain::parse_context_kind(*k);
               },
               true},
              {"id", [&](auto const& n, auto const& p) { assign(out.id, r_.string(n, p)); }}});
    }
    bool const named =
        out.kind == domain::ContextKind::kRequisition || out.kind == domain::ContextKind::kPool;
    if (named && out.id.empty()) {
      r_.error(node, path,
               fmt::format("a {0} send names its {0}: expected {{kind: {0}, id: ...}}",
                           domain::to_string(out.kind)));
    }
  }

  void read_variables(YAML::Node const& node, std::string const& path,
                      std::map<std::string, std::string>& out) {
    r_.entries(
        node, path, "a mapping of token to value",
        [](YAML::Node const& key, std::string const&) -> std::optional<std::string> {
          return key.Scalar();
        },
        [&](std::string const& key, YAML::Node const&, YAML::Node const& value,
            std::string const& key_path) {
          if (auto v = r_.string(value, key_path))
            out[key] = *v;
        });
  }

  std::optional<domain::Channel> channel(YAML::Node const& node, std::string const& path) {
    auto c = r_.one_of(node, path, names_of({"email", "sms"}));
    if (!c) {
      return std::nullopt;
    }
    return domain::parse_channel(*c);
  }

  void need_provider(domain::Channel channel, SourceMark const& at, std::string const& path) {
    uses_.push_back(Use{channel, at, path});
  }

  SendMessageStep read_send(YAML::Node const& node, std::string const& path) {
    SendMessageStep s;
    bool has_channel = false;
    SourceMark channel_mark = r_.mark(node);
    r_.map(
        node, path,
        {{"channel",
          [&](auto const& n, auto const& p) {
            channel_mark = r_.mark(n);
            if (auto c = channel(n, p)) {
              s.channel = *c;
              has_channel = true;
            }
          },
          true},
         {"context", [&](auto const& n, auto const& p) { read_context(n, p, s.context); }},
         {"subject", [&](auto const& n, auto const& p) { assign(s.subject, r_.string(n, p)); }},
         {"body", [&](auto const& n, auto const& p) { assign(s.body, r_.string(n, p)); }, true},
         {"variables", [&](auto const& n, auto const& p) { read_variables(n, p, s.variables); }},
         {"candidates", [&](auto const& n, auto const& p) { s.candidates = read_selector(n, p); }},
         {"expect_error",
          [&](auto const& n, auto const& p) { s.expect_error = r_.string(n, p); }}});
    if (has_channel) {
      need_provider(s.channel, channel_mark, join(path, "channel"));
    }
    return s;
  }

  ComposeStep read_compose(YAML::Node const& node, std::string const& path) {
    ComposeStep s;
    bool has_channel = false;
    SourceMark channel_mark = r_.mark(node);
    r_.map(node, path,
           {{"channel",
             [&](auto const& n, auto const& p) {
               channel_mark = r_.mark(n);
               if (auto c = channel(n, p)) {
                 s.channel = *c;
                 has_channel = true;
               }
             },
             true},
            {"context", [&](auto const& n, auto const& p) { read_context(n, p, s.context); }},
            {"subject", [&](auto const& n, auto const& p) { assign(s.subject, r_.string(n, p)); }},
            {"body", [&](auto const& n, auto const& p) { assign(s.body, r_.string(n, p)); }, true},
            {"variables", [&](auto const& n, auto const& p) { read_variables(n, p, s.variables); }},
            {"candidate", [&](auto const& n, auto const& p) { s.candidate = candidate_ref(n, p); },
             true},
            {"expect_error",
             [&](auto const& n, auto const& p) { s.expect_error = r_.string(n, p); }}});
    if (has_channel) {
      need_provider(s.channel, channel_mark, join(path, "channel"));
    }
    return s;
  }

  domain::CandidateId candidate_ref(YAML::Node const& node, std::string const& path) {
    auto id = r_.integer(node, path, 1, INT64_MAX);
    if (!id) {
      return 0;
    }
    refs_.push_back(Ref{*id, r_.mark(node), path});
    return *id;
  }

  /// A mapping key that names a candidate; its canonical form is the id.
  std::optional<std::string> candidate_key(YAML::Node const& key, std::string const& path) {
    auto const id = candidate_ref(key, path);
    if (id == 0) {
      return std::nullopt;
    }
    return std::to_string(id);
  }

  /// Reader::entries() whose keys name candidates; each entry's key is the id.
  bool candidate_entries(YAML::Node const& node, std::string const& path, std::string_view expected,
                         Reader::EntryHandler const& read) {
    return r_.entries(
        node, path, expected,
        [&](YAML::Node const& key, std::string const& key_path) {
          return candidate_key(key, key_path);
        },
        read);
  }

  Selector read_selector(YAML::Node const& node, std::string const& path) {
    Selector sel;
    if (node.IsScalar() && lower(node.Scalar()) == "all") {
      return sel;
    }
    if (node.IsSequence()) {
      sel.kind = Selector::Kind::kIds;
      r_.list(node, path, [&](auto const& n, auto const& p) {
        if (auto id = candidate_ref(n, p))
          sel.ids.push_back(id);
      });
      return sel;
    }
    if (!node.IsMap()) {
      r_.error(node, path,
               fmt::format("expected all, a list of candidate ids, {{first: N}}, {{ids: [...]}} "
                           "or {{tag: name}}; got {}",
                           describe(node)));
      return sel;
    }
    r_.map(node, path,
           {{"ids",
             [&](auto const& n, auto const& p) {
               sel.kind = Selector::Kind::kIds;
               r_.list(n, p, [&](auto const& v, auto const& vp) {
                 if (auto id = candidate_ref(v, vp))
                   sel.ids.push_back(id);
               });
             }},
            {"first",
             [&](auto const& n, auto const& p) {
               sel.kind = Selector::Kind::kFirst;
               assign(sel.first, r_.integer(n, p, 1, INT64_MAX));
             }},
            {"tag", [&](auto const& n, auto const& p) {
               sel.kind = Selector::Kind::kTag;
               assign(sel.tag, r_.nonempty(n, p));
               tag_refs_.push_back(TagRef{sel.tag, r_.mark(n), p});
             }}});
    if (node.size() != 1) {
      r_.error(node, path, "expected exactly one of ids, first, tag");
    }
    return sel;
  }

  InboundStep read_inbound(YAML::Node const& node, std::string const& path) {
    InboundStep s;
    r_.map(
        node, path,
        {{"from",
          [&](auto const& n, auto const& p) {
            assign(s.from, r_.nonempty(n, p));
            if (!s.from.empty() && check_e164(s.from))
              r_.error(n, p, *check_e164(s.from));
          },
          true},
         {"body", [&](auto const& n, auto const& p) { assign(s.body, r_.string(n, p)); }, true}});
    inbound_marks_.emplace_back(r_.mark(node), path);
    return s;
  }

  AdvanceStep read_advance(YAML::Node const& node, std::string const& path, std::size_t index) {
    AdvanceStep s;
    if (node.IsScalar()) {
      s.by = r_.duration(node, path);
      return s;
    }
    r_.map(node, path,
           {{"by", [&](auto const& n, auto const& p) { s.by = r_.duration(n, p); }},
            {"until", [&](auto const& n, auto const& p) {
               s.until = r_.time(n, p);
               until_marks_[index] = {r_.mark(n), p};
             }}});
    if (node.IsMap() && node.size() != 1) {
      r_.error(node, path, "expected exactly one of by, until");
    }
    return s;
  }

  SetFaultsStep read_set_faults(YAML::Node const& node, std::string const& path) {
    SetFaultsStep s;
    auto faults = [&](domain::Channel channel, std::optional<FaultSpec>& out) {
      return [&, channel](auto const& n, auto const& p) {
        FaultUse use = read_faults(n, p, channel, true);
        out = use.spec;
        fault_uses_.push_back(std::move(use));
        need_provider(channel, r_.mark(n), p);
      };
    };
    r_.map(node, path,
           {{"sms", faults(domain::Channel::kSms, s.sms)},
            {"email", faults(domain::Channel::kEmail, s.email)}});
    return s;
  }

  ExpectStep read_expect(YAML::Node const& node, std::string const& path) {
    ExpectStep e;
    r_.map(node, path,
           {{"status", [&](auto const& n, auto const& p) { read_status_counts(n, p, e); }},
            {"blocked", [&](auto const& n, auto const& p) { read_block_counts(n, p, e); }},
            {"total", [&](auto const& n, auto const& p) { e.total = r_.count(n, p); }},
            {"last_contacted", [&](auto const& n, auto const& p) { read_last_contacted(n, p, e); }},
            {"messages_tab", [&](auto const& n, auto const& p) { read_tabs(n, p, e); }},
            {"history",
             [&](auto const& n, auto const& p) {
               r_.list(n, p, [&](auto const& h, auto const& hp) { read_history(h, hp, e); });
             }},
            {"nothing_lost",
             [&](auto const& n, auto const& p) { assign(e.nothing_lost, r_.boolean(n, p)); }},
            {"provider_requests", [&](auto const& n, auto const& p) { read_requests(n, p, e); }},
            {"throughput", [&](auto const& n, auto const& p) { read_throughput(n, p, e); }}});
    return e;
  }

  void read_status_counts(YAML::Node const& node, std::string const& path, ExpectStep& e) {
    std::vector<std::string> const names =
        names_of({"queued", "sent", "delivered", "failed", "received", "blocked"});
    r_.named_entries(node, path, "a mapping of status to count", names,
                     [&](std::string const& name, YAML::Node const&, YAML::Node const& value,
                         std::string const& key_path) {
                       e.status[*domain::parse_status(name)] = r_.count(value, key_path);
                     });
  }

  void read_block_counts(YAML::Node const& node, std::string const& path, ExpectStep& e) {
    std::vector<std::string> const names = names_of(
        {"invalid_number", "opted_out", "country_not_allowed", "number_blocked", "pattern_blocked",
         "candidate_daily_limit", "application_daily_limit", "invalid_email"});
    r_.named_entries(node, path, "a mapping of block reason to count", names,
                     [&](std::string const& name, YAML::Node const&, YAML::Node const& value,
                         std::string const& key_path) {
                       e.blocked[*domain::parse_block_reason(name)] = r_.count(value, key_path);
                     });
  }

  void read_last_contacted(YAML::Node const& node, std::string const& path, ExpectStep& e) {
    candidate_entries(
        node, path, "a mapping of candidate id to set, unset or a time",
        [&](std::string const& id, YAML::Node const&, YAML::Node const& value,
            std::string const& key_path) {
          LastContactedCheck check;
          check.candidate = std::stoll(id);
          std::string const v = value.IsScalar() ? lower(value.Scalar()) : "";
          if (v == "set") {
            check.kind = LastContactedCheck::Kind::kSet;
          } else if (v == "unset") {
            check.kind = LastContactedCheck::Kind::kUnset;
          } else if (auto t = parse_iso_time(value.IsScalar() ? value.Scalar() : "")) {
            check.kind = LastContactedCheck::Kind::kEquals;
            check.at = *t;
          } else {
            r_.error(
                value, key_path,
                fmt::format("expected set, unset or an ISO 8601 time; got {}", describe(value)));
            return;
          }
          e.last_contacted.push_back(check);
        });
  }

  void read_tabs(YAML::Node const& node, std::string const& path, ExpectStep& e) {
    candidate_entries(node, path, "a mapping of candidate id to entries",
                      [&](std::string const& id, YAML::Node const&, YAML::Node const& value,
                          std::string const& key_path) {
                        MessagesTabCheck check;
                        check.candidate = std::stoll(id);
                        r_.list(value, key_path, [&](auto const& n, auto const& p) {
                          auto entry = r_.string(n, p);
                          if (entry && check_tab_entry(*entry)) {
                            r_.error(n, p, *check_tab_entry(*entry));
                            return;
                          }
                          if (entry)
                            check.entries.push_back(lower(*entry));
                        });
                        e.messages_tab.push_back(check);
                      });
  }

  static std::optional<std::string> check_tab_entry(std::string const& entry) {
    std::istringstream words(lower(entry));
    std::string channel_word;
    std::string direction;
    std::string status;
    std::string extra;
    words >> channel_word >> direction >> status >> extra;
    bool const ok = (channel_word == "sms" || channel_word == "email") &&
                    (direction.empty() || direction == "out" || direction == "in") &&
                    (status.empty() || domain::parse_status(status).has_value()) && extra.empty();
    if (ok) {
      return std::nullopt;
    }
    return fmt::format(
        "expected \"<sms|email> [out|in] [status]\" such as \"sms out delivered\"; got {}",
        quote(entry));
  }

  void read_history(YAML::Node const& node, std::string const& path, ExpectStep& e) {
    HistoryCheck h;
    r_.map(node, path,
           {{"candidate", [&](auto const& n, auto const& p) { h.candidate = candidate_ref(n, p); },
             true},
            {"index",
             [&](auto const& n, auto const& p) {
               if (auto i = r_.integer(n, p, -1000000, 1000000))
                 h.index = static_cast<int>(*i);
             }},
            {"raw",
             [&](auto const& n, auto const& p) {
               r_.list(n, p, [&](auto const& v, auto const& vp) {
                 if (auto s = r_.nonempty(v, vp))
                   h.raw.push_back(*s);
               });
             }},
            {"shown", [&](auto const& n, auto const& p) {
               r_.list(n, p, [&](auto const& v, auto const& vp) {
                 auto s = r_.one_of(
                     v, vp,
                     names_of({"queued", "sent", "delivered", "failed", "received", "blocked"}));
                 if (s)
                   h.shown.push_back(*s);
               });
             }}});
    if (node.IsMap() && !node["raw"] && !node["shown"]) {
      r_.error(node, path, "expected raw or shown (or both)");
    }
    if (h.candidate != 0) {
      e.history.push_back(h);
    }
  }

  void read_requests(YAML::Node const& node, std::string const& path, ExpectStep& e) {
    r_.map(node, path,
           {{"sms",
             [&](auto const& n, auto const& p) {
               e.provider_requests.push_back({domain::Channel::kSms, r_.count(n, p)});
               need_provider(domain::Channel::kSms, r_.mark(n), p);
             }},
            {"email", [&](auto const& n, auto const& p) {
               e.provider_requests.push_back({domain::Channel::kEmail, r_.count(n, p)});
               need_provider(domain::Channel::kEmail, r_.mark(n), p);
             }}});
  }

  void read_throughput(YAML::Node const& node, std::string const& path, ExpectStep& e) {
    ThroughputCheck t;
    r_.map(node, path,
           {{"min_per_virtual_second",
             [&](auto const& n, auto const& p) {
               t.min_per_virtual_second = r_.number(n, p, 0, 1e12);
             }},
            {"min_per_wall_second", [&](auto const& n, auto const& p) {
               t.min_per_wall_second = r_.number(n, p, 0, 1e12);
             }}});
    e.throughput = t;
  }

  // Checks across sections ---------------------------------------------------

  void cross_check() {
    check_references();
    check_policies();
    check_faults();
    check_advances();
  }

  void check_references() {
    std::set<domain::CandidateId> ids = list_ids_;
    std::set<std::string> tags;
    for (CandidateSpec const& c : s_.candidates.list) {
      tags.insert(c.tags.begin(), c.tags.end());
    }
    if (auto const& g = s_.candidates.generate) {
      tags.insert(g->tags.begin(), g->tags.end());
      for (std::int64_t i = 0; i < g->count; ++i) {
        if (!ids.insert(g->first_id + i).second) {
          r_.error(generate_mark_, "candidates.generate.first_id",
                   fmt::format("generated id {} is also a listed candidate's id; move first_id",
                               g->first_id + i));
          break;
        }
      }
    }

    for (Ref const& ref : refs_) {
      if (ids.count(ref.id) == 0) {
        r_.error(ref.mark, ref.path, fmt::format("no candidate has id {}", ref.id));
      }
    }
    for (TagRef const& ref : tag_refs_) {
      if (!ref.tag.empty() && tags.count(ref.tag) == 0) {
        r_.error(ref.mark, ref.path, fmt::format("no candidate has tag {}", quote(ref.tag)));
      }
    }
    for (Use const& use : uses_) {
      if (!provider_of(use.channel)) {
        r_.error(use.mark, use.path,
                 fmt::format("the scenario configures no {0} provider (add providers.{0})",
                             domain::to_string(use.channel)));
      }
    }
    for (auto const& [mark, path] : inbound_marks_) {
      bool const two_way =
          s_.providers.sms && (s_.providers.sms->kind == domain::ProviderKind::kTwilio ||
                               s_.providers.sms->kind == domain::ProviderKind::kSyniverse);
      if (!two_way) {
        r_.error(mark, path, "inbound SMS needs providers.sms of kind twilio or syniverse");
      }
    }
  }

  std::optional<ProviderSpec> const& provider_of(domain::Channel channel) const {
    return channel == domain::Channel::kSms ? s_.providers.sms : s_.providers.email;
  }

  /// Runs each stage of the rules (the top-level policy, then every set_policy
  /// in step order) through the core's own policy, exactly as the runner will
  /// apply them, so that `validate` refuses what the run would refuse. A
  /// refusal is placed at the value it concerns when that can be found.
  void check_policies() {
    policy::PolicyConfig merged;
    merged.verdict_cache_capacity = 0;
    std::vector<Located> numbers;
    std::stable_sort(policy_stages_.begin(), policy_stages_.end(),
                     [](PolicyStage const& a, PolicyStage const& b) {
                       return a.step.value_or(0) + (a.step ? 1 : 0) <
                              b.step.value_or(0) + (b.step ? 1 : 0);
                     });
    for (PolicyStage const& stage : policy_stages_) {
      PolicySpec const& spec =
          stage.step ? std::get<SetPolicyStep>(s_.steps[*stage.step].body).policy : s_.policy;
      merged = apply_policy(std::move(merged), spec);
      if (stage.numbers) {
        numbers = *stage.numbers;
      }
      if (!spec.allowed_countries && !spec.blocked_numbers && !spec.blocked_patterns &&
          !spec.default_region) {
        continue;
      }
      auto const created = policy::SendPolicy::create(merged);
      if (created) {
        continue;
      }
      if (!locate_number_problems(stage, numbers, merged.default_region)) {
        r_.error(
            stage.mark, stage.path,
            fmt::format("the core's send policy refuses these rules: {}", created.error().message));
      }
    }
  }

  /// Reports each blocked number the policy cannot read with `region`; false
  /// when there is none.
  bool locate_number_problems(PolicyStage const& stage, std::vector<Located> const& numbers,
                              std::string const& region) {
    bool found = false;
    for (Located const& n : numbers) {
      auto const parsed = policy::parse_phone(n.value, region);
      if (parsed) {
        continue;
      }
      found = true;
      if (stage.numbers) {
        r_.error(n.mark, n.path,
                 fmt::format("{} (read with default_region {})", parsed.error().message, region));
      } else {
        r_.error(stage.default_region.value_or(stage.mark), join(stage.path, "default_region"),
                 fmt::format("with default_region {}, the blocked number {} given at {} cannot be "
                             "read: {}",
                             region, quote(n.value), n.mark.to_string(), parsed.error().message));
      }
    }
    return found;
  }

  /// Faults the fake of their channel cannot honour are refused here rather
  /// than ignored at run time.
  void check_faults() {
    for (FaultUse const& use : fault_uses_) {
      auto const& provider = provider_of(use.channel);
      if (!provider) {
        continue;  // reported by check_references
      }
      FaultMarks const& marks = use.marks;
      std::string const kind(domain::to_string(provider->kind));
      if (marks.latency) {
        r_.error(*marks.latency, join(use.path, "latency"),
                 "API latency is not supported on the virtual clock: the core waits for an "
                 "answer the fake holds back until the clock moves, so the run could not settle; "
                 "use callback_delays or bursts");
      }
      for (auto const& [name, mark] : marks.shares) {
        std::string const path = join(use.path, name);
        if (provider->kind == domain::ProviderKind::kSmtp ||
            provider->kind == domain::ProviderKind::kGeneric) {
          r_.error(mark, path,
                   fmt::format("the {} fake sends no status callbacks; remove {}", kind, name));
        } else if (provider->kind == domain::ProviderKind::kSyniverse && use.in_step) {
          // Limitation: Syniverse callback faults cannot change mid-run — the fake takes
          // its event fault rates only when it starts; bursts and resets still can.
          r_.error(mark, path,
                   fmt::format("the syniverse fake fixes its callback faults when it starts; set "
                               "{} in providers.sms.faults",
                               name));
        }
      }
      if (use.channel == domain::Channel::kEmail) {
        check_email_faults(use);
      }
    }
  }

  /// The SMTP fake can fail or drop only the next sessions, with one code.
  /// Limitation: e-mail bursts start at session 1 and resets list sessions 1..n —
  /// FakeSmtp offers fail_next_sessions/drop_next_sessions only, no session numbers.
  void check_email_faults(FaultUse const& use) {
    FaultSpec const& f = use.spec;
    FaultMarks const& marks = use.marks;
    std::string const bursts_path = join(use.path, "bursts");
    if (marks.burst_items > 1) {
      r_.error(*marks.bursts, bursts_path,
               fmt::format("lists {} bursts; the SMTP fake fails the next sessions with one code, "
                           "so give one burst",
                           marks.burst_items));
    }
    for (std::size_t i = 0; i < f.bursts.size(); ++i) {
      if (f.bursts[i].start_request != 1) {
        auto const& [mark, index] = marks.burst_marks[i];
        r_.error(mark, join(index_path(bursts_path, index), "start"),
                 "the SMTP fake fails the next sessions only; start must be 1");
      }
    }
    if (f.reset_requests.empty()) {
      return;
    }
    std::string const resets_path = join(use.path, "reset_requests");
    bool const from_one =
        f.reset_requests.front() == 1 &&
        f.reset_requests.back() == static_cast<std::int64_t>(f.reset_requests.size());
    if (!from_one) {
      r_.error(*marks.reset_requests, resets_path,
               "the SMTP fake drops the next sessions only; list sessions 1, 2, ... n");
    } else if (!f.bursts.empty()) {
      r_.error(*marks.reset_requests, resets_path,
               "both a burst and dropped sessions start at session 1; give one of them");
    }
  }

  /// Virtual time moves only by advance steps, so each advance's target is
  /// known before the run: one that is not ahead would silently do nothing.
  void check_advances() {
    TimePoint now = s_.clock.start;
    for (std::size_t i = 0; i < s_.steps.size(); ++i) {
      auto const* advance = std::get_if<AdvanceStep>(&s_.steps[i].body);
      if (advance == nullptr) {
        continue;
      }
      if (advance->by) {
        now += *advance->by;
      } else if (advance->until) {
        if (*advance->until <= now) {
          auto const& [mark, path] = until_marks_.at(i);
          r_.error(mark, path,
                   fmt::format("{} is not after the virtual time at this step ({}); the clock "
                               "never moves back",
                               format_iso_time(*advance->until), format_iso_time(now)));
        }
        now = std::max(now, *advance->until);
      }
      if (now - s_.clock.start > kMaxScenarioDuration) {
        r_.error(s_.steps[i].mark, s_.steps[i].path,
                 fmt::format("the scenario would run longer than {} of virtual time",
                             format_duration(kMaxScenarioDuration)));
        return;
      }
    }
  }

  struct Ref {
    domain::CandidateId id;
    SourceMark mark;
    std::string path;
  };
  struct TagRef {
    std::string tag;
    SourceMark mark;
    std::string path;
  };
  struct Use {
    domain::Channel channel;
    SourceMark mark;
    std::string path;
  };

  Reader& r_;
  Scenario& s_;
  std::set<domain::CandidateId> list_ids_;
  SourceMark generate_mark_;
  std::vector<Ref> refs_;
  std::vector<TagRef> tag_refs_;
  std::vector<Use> uses_;
  std::vector<std::pair<SourceMark, std::string>> inbound_marks_;
  std::vector<PolicyStage> policy_stages_;
  std::vector<FaultUse> fault_uses_;
  std::map<std::size_t, std::pair<SourceMark, std::string>> until_marks_;
};

}  // namespace

std::string Diagnostic::to_string() const {
  std::string out = mark.to_string();
  if (!path.empty()) {
    out += ": " + path;
  }
  return out + ": " + message;
}

std::string LoadResult::error_text() const {
  std::string out;
  for (Diagnostic const& d : errors) {
    out += d.to_string() + "\n";
  }
  return out;
}

std::span<std::string const> top_level_keys() {
  return kTopKeys;
}

std::string closest_key(std::string_view typo, std::span<std::string const> known) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, typo.size() / 3) + 1;
  std::string const typo_lower = lower(typo);
  for (std::string const& candidate : known) {
    std::size_t const d = edit_distance(typo_lower, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

LoadResult load_scenario_text(std::string_view text, std::string const& file_name,
                              std::string const& base_dir) {
  LoadResult result;
  auto fail = [&](int line, int column, std::string message) {
    result.errors.push_back(
        Diagnostic{SourceMark{file_name, line, column}, "", std::move(message)});
    return result;
  };
  if (text.size() > kMaxFileBytes) {
    return fail(0, 0, fmt::format("file is larger than {} bytes", kMaxFileBytes));
  }
  if (flow_depth(text) > kMaxFlowDepth) {
    return fail(0, 0, fmt::format("nesting deeper than {} levels", kMaxFlowDepth));
  }

  // Syntax first: yaml-cpp stops at the first syntax error.
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (YAML::Exception const& e) {
    return fail(e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1,
                fmt::format("invalid YAML: {}", e.msg));
  } catch (std::exception const& e) {
    return fail(0, 0, fmt::format("invalid YAML: {}", e.what()));
  }
  if (!root.IsDefined() || root.IsNull()) {
    return fail(1, 1, "the file is empty; expected a scenario mapping with name and steps");
  }

  Scenario scenario;
  scenario.file = file_name;
  scenario.base_dir = base_dir;
  scenario.clock.start = *parse_iso_time("2024-01-01T09:00:00Z");
  Reader reader(file_name, base_dir);
  try {
    ScenarioReader(reader, scenario).read(root);
  } catch (std::exception const& e) {
    // The reader checks node types before reading them; this is a last line of
    // defence so that no input can end the process.
    reader.error(reader.mark(root), "", fmt::format("cannot read the scenario: {}", e.what()));
  }

  // Handlers run in file order but cross-checks run last; sort so that the
  // errors read top to bottom, file by file.
  reader.sort_errors();
  result.errors = std::move(reader.errors());
  if (result.errors.empty()) {
    result.scenario = std::move(scenario);
  }
  return result;
}

LoadResult load_scenario_file(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back(Diagnostic{SourceMark{path, 0, 0}, "", "cannot open the file"});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string const base = fs::path(path).parent_path().string();
  return load_scenario_text(text.str(), path, base);
}

FoundFiles find_scenario_files(std::span<std::string const> paths) {
  FoundFiles found;
  for (std::string const& path : paths) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      found.files.push_back(path);
      continue;
    }
    if (!fs::is_directory(path, ec)) {
      found.missing.push_back(path);
      continue;
    }
    std::vector<std::string> in_folder;
    for (auto const& entry : fs::recursive_directory_iterator(path, ec)) {
      auto const ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
        in_folder.push_back(entry.path().string());
      }
    }
    std::sort(in_folder.begin(), in_folder.end());
    found.files.insert(found.files.end(), in_folder.begin(), in_folder.end());
  }
  return found;
}

}  // namespace candor::scenarios
