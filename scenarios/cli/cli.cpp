#include "scenarios/cli/cli.hpp"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

#include <fmt/format.h>

#include "reports/report.hpp"
#include "reports/write_all.hpp"
#include "scenarios/cli/fake_command.hpp"
#include "scenarios/loader.hpp"
#include "scenarios/runner.hpp"

namespace candor::scenarios::cli {

namespace {

constexpr std::string_view kVersion = "0.1.0";

constexpr std::string_view kMainHelp =
    R"(candor: run YAML messaging scenarios against fake providers.

Usage:
  candor run PATH... [options]      run scenario files or folders of them
  candor validate PATH...           check scenario files without running them
  candor fake KIND --port N [...]   serve one fake provider until interrupted
  candor --version                  print the version
  candor COMMAND --help             help on one command

Exit codes: 0 every expectation held, 1 some failed, 2 unusable input.
)";

constexpr std::string_view kRunHelp = R"(Usage: candor run PATH... [options]

Runs every scenario in the files and folders given (folders are searched for
*.yaml and *.yml). Scenarios run on a virtual clock: a day takes milliseconds.

Options:
  --out DIR        write the file reports (json, junit, html) into DIR
  --seed N         replace every scenario's seed with N
  --filter TEXT    run only scenarios whose name or file contains TEXT
  --format LIST    comma-separated: console, json, junit, html (also all, none);
                   default: console, plus json,junit,html when --out is given
  --quiet          print nothing but errors and the final summary line
  --help           this text

Exit codes: 0 every expectation held, 1 some failed, 2 unusable input.
)";

constexpr std::string_view kValidateHelp = R"(Usage: candor validate PATH...

Loads every scenario in the files and folders given and prints each problem as
file:line:column: field.path: message. Nothing is run.

Exit codes: 0 every file is valid, 2 some file has problems.
)";

constexpr std::string_view kFakeHelp = R"(Usage: candor fake KIND --port N [options]

Serves one fake provider on 127.0.0.1 until SIGINT or SIGTERM, and prints its
URLs and credentials. KIND is twilio, syniverse, smtp or generic. A second
signal, or a stop that hangs, ends the process at once.

Options:
  --port N                  port to listen on (0 picks a free one)
  --token TOKEN             syniverse, generic: the bearer token to accept
  --callback-url URL        twilio: where status callbacks go (every Messaging
                            Service's status callback); syniverse: where events
                            go (the ESS delivery configuration); an http:// URL
  --help                    this text

Twilio only:
  --account-sid SID         the account SID to accept: AC and 32 hex digits
                            (default: a fixed one, printed at start)
  --auth-token TOKEN        the auth token to accept: 32 hex digits (default: a
                            fixed one, printed at start)
  --inbound-url URL         where inbound SMS go (every Messaging Service's
                            inbound URL)
  --api-key-sid SID         also accept this API key: SK and 32 hex digits
  --api-key-secret KEY      that key's secret: 32 letters or digits
  --services LIST           extra Messaging Services, comma-separated: MG and 32
                            hex digits, each optionally =+E164 for its sender
  --test-credentials        answer as Twilio's test credentials: magic numbers
                            decide, no status callbacks, no Messaging Services

Syniverse only:
  --callback-user USER      HTTP Basic user sent with each event
  --callback-password PASS  its password (give both or neither)

SMTP only:
  --admin-port N            port of the admin HTTP API (default: a free one)

An option given for another kind, or with a bad value, is refused (exit 2).
Admin APIs: twilio and syniverse under /__admin on their own port (outcomes,
delays, faults, inbound messages, journal); smtp on its admin port (printed at
start).
)";

/// A parsed command line: positional arguments and --name value options.
struct Parsed {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool help = false;
};

/// Splits `args`. `flags` take no value; `valued` take one (as "--x v" or
/// "--x=v"). Anything else starting with "--" is an error.
std::optional<Parsed> parse_args(std::span<std::string const> args,
                                 std::vector<std::string> const& flags,
                                 std::vector<std::string> const& valued, std::ostream& err) {
  Parsed parsed;
  auto contains = [](std::vector<std::string> const& names, std::string const& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      parsed.positional.push_back(arg);
      continue;
    }

    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (contains(flags, name) && !value) {
      parsed.options[name] = "true";
      continue;
    }
    if (!contains(valued, name)) {
      std::vector<std::string> known = flags;
      known.insert(known.end(), valued.begin(), valued.end());
      std::string const suggestion = closest_key(name, known);
      err << fmt::format(
          "candor: unknown option --{}{}\n", name,
          suggestion.empty() ? "" : fmt::format(" (did you mean --{}?)", suggestion));
      return std::nullopt;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        err << fmt::format("candor: option --{} needs a value\n", name);
        return std::nullopt;
      }
      value = args[++i];
    }
    parsed.options[name] = *value;
  }
  return parsed;
}

std::optional<std::uint64_t> parse_u64(std::string const& text) {
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(text);
}

/// Loads every scenario under `paths`; prints problems to `err`. nullopt when
/// anything could not be loaded.
std::optional<std::vector<Scenario>> load_all(std::vector<std::string> const& paths,
                                              std::ostream& err, std::size_t& files_seen) {
  FoundFiles const found = find_scenario_files(paths);
  bool ok = true;
  for (std::string const& missing : found.missing) {
    err << fmt::format("{}: no such file or folder\n", missing);
    ok = false;
  }
  if (found.files.empty() && found.missing.empty()) {
    err << "candor: no scenario files (*.yaml, *.yml) found\n";
    ok = false;
  }

  std::vector<Scenario> scenarios;
  for (std::string const& file : found.files) {
    LoadResult loaded = load_scenario_file(file);
    if (!loaded.ok()) {
      err << loaded.error_text();
      ok = false;
      continue;
    }
    scenarios.push_back(std::move(*loaded.scenario));
  }
  files_seen = found.files.size();
  if (!ok) {
    return std::nullopt;
  }
  return scenarios;
}

int cmd_validate(std::span<std::string const> args, std::ostream& out, std::ostream& err) {
  auto parsed = parse_args(args, {}, {}, err);
  if (!parsed) {
    return kExitUsage;
  }
  if (parsed->help) {
    out << kValidateHelp;
    return kExitOk;
  }
  if (parsed->positional.empty()) {
    err << "candor validate: give at least one file or folder\n" << kValidateHelp;
    return kExitUsage;
  }
  std::size_t files = 0;
  auto scenarios = load_all(parsed->positional, err, files);
  if (!scenarios) {
    return kExitUsage;
  }
  out << fmt::format("{} scenario file{} valid\n", files, files == 1 ? "" : "s");
  return kExitOk;
}

/// Progress on a terminal only: one line on stderr, rewritten in place. The
/// runner calls show() from one thread at a time; clear() runs after the run.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  ~Progress() { clear(); }
  Progress(Progress const&) = delete;
  Progress& operator=(Progress const&) = delete;

  bool enabled() const { return enabled_; }

  void show(std::string const& text) {
    if (!enabled_) {
      return;
    }
    std::lock_guard lock(mutex_);
    std::string line = text.substr(0, 78);
    std::fprintf(stderr, "\r%-78s", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    if (shown_) {
      std::fprintf(stderr, "\r%78s\r", "");
      std::fflush(stderr);
      shown_ = false;
    }
  }

 private:
  bool enabled_;
  std::mutex mutex_;
  bool shown_ = false;
};

/// Creates --out and proves it writable before anything runs, so that a bad
/// folder is reported at once rather than after every scenario ran.
bool check_out_dir(std::string const& dir, std::ostream& err) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec)) {
    err << fmt::format("candor run: --out: cannot create the folder \"{}\": {}\n", dir,
                       ec ? ec.message() : "a file of that name exists");
    return false;
  }
  fs::path const probe = fs::path(dir) / fmt::format(".candor-write-check-{}", ::getpid());
  {
    std::ofstream out(probe);
    if (!out || !(out << "ok") || !out.flush()) {
      err << fmt::format("candor run: --out: cannot write into \"{}\"\n", dir);
      return false;
    }
  }
  fs::remove(probe, ec);
  return true;
}

std::string iso_now() {
  auto const now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return reports::format_iso8601(now.time_since_epoch().count());
}

int cmd_run(std::span<std::string const> args, std::ostream& out, std::ostream& err) {
  auto parsed = parse_args(args, {"quiet"}, {"out", "seed", "filter", "format"}, err);
  if (!parsed) {
    return kExitUsage;
  }
  if (parsed->help) {
    out << kRunHelp;
    return kExitOk;
  }
  if (parsed->positional.empty()) {
    err << "candor run: give at least one file or folder\n" << kRunHelp;
    return kExitUsage;
  }
  auto const& opts = parsed->options;
  bool const quiet = opts.count("quiet") != 0;

  // Formats: console by default, the file formats when --out is given.
  std::string const out_dir = opts.count("out") ? opts.at("out") : "";
  std::string format_list =
      opts.count("format") ? opts.at("format") : (out_dir.empty() ? "console" : "all");
  std::string format_error;
  auto formats = reports::parse_formats(format_list, format_error);
  if (!formats) {
    err << fmt::format("candor run: --format: {}\n", format_error);
    return kExitUsage;
  }
  if (quiet) {
    formats->console = false;
  }
  bool const wants_files = formats->json || formats->junit || formats->html;
  if (wants_files && out_dir.empty()) {
    err << "candor run: --format json, junit and html write files; give --out DIR\n";
    return kExitUsage;
  }

  RunOptions run_options;
  if (opts.count("seed")) {
    run_options.seed = parse_u64(opts.at("seed"));
    if (!run_options.seed) {
      err << fmt::format("candor run: --seed: expected a whole number >= 0; got \"{}\"\n",
                         opts.at("seed"));
      return kExitUsage;
    }
  }

  if (!out_dir.empty() && !check_out_dir(out_dir, err)) {
    return kExitUsage;
  }

  std::size_t files = 0;
  auto scenarios = load_all(parsed->positional, err, files);
  if (!scenarios) {
    return kExitUsage;
  }
  if (opts.count("filter")) {
    std::string const& filter = opts.at("filter");
    std::erase_if(*scenarios, [&](Scenario const& s) {
      return s.name.find(filter) == std::string::npos && s.file.find(filter) == std::string::npos;
    });
    if (scenarios->empty()) {
      err << fmt::format("candor run: no scenario matches --filter \"{}\"\n", filter);
      return kExitUsage;
    }
  }

  // Run them, one line of progress on a terminal.
  reports::RunReport run;
  run.tool_version = std::string(kVersion);
  run.started_at = iso_now();
  run.seed = run_options.seed;
  auto const wall_start = std::chrono::steady_clock::now();
  // Progress only when both streams are a terminal: redirected output stays clean.
  Progress progress(!quiet && isatty(STDOUT_FILENO) != 0 && isatty(STDERR_FILENO) != 0);
  for (std::size_t i = 0; i < scenarios->size(); ++i) {
    Scenario const& scenario = (*scenarios)[i];
    if (progress.enabled()) {
      run_options.on_progress = [&, i](StepProgress const& p) {
        progress.show(fmt::format("[{}/{}] {}: step {}/{} {} · {:.1f} s · {} requests", i + 1,
                                  scenarios->size(), scenario.name, p.index + 1, p.count, p.label,
                                  static_cast<double>(p.elapsed.count()) / 1000.0,
                                  p.provider_requests));
      };
    }
    run.scenarios.push_back(run_scenario(scenario, run_options));
  }
  progress.clear();
  run.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - wall_start)
                    .count();

  // Reports: console to `out`, files into --out.
  formats->console_stream = &out;
  if (!out_dir.empty() || formats->console) {
    auto written = reports::write_all(run, out_dir.empty() ? "." : out_dir, *formats);
    if (!written.ok()) {
      err << fmt::format("candor run: {}\n", written.error);
      return kExitUsage;
    }
  }

  std::size_t passed = 0;
  for (auto const& s : run.scenarios) {
    passed += s.passed ? 1 : 0;
  }
  if (quiet || !formats->console) {
    out << fmt::format("{} of {} scenario{} passed\n", passed, run.scenarios.size(),
                       run.scenarios.size() == 1 ? "" : "s");
  }
  if (reports::run_had_input_error(run)) {
    for (auto const& s : run.scenarios) {
      if (s.error_kind == reports::kInputError) {
        err << fmt::format("{}: unusable input: {}\n", s.file, s.error);
      }
    }
    return kExitUsage;
  }
  return reports::run_passed(run) ? kExitOk : kExitFailed;
}

int cmd_fake(std::span<std::string const> args, std::ostream& out, std::ostream& err) {
  auto parsed = parse_args(
      args, {"test-credentials"},
      {"port", "account-sid", "auth-token", "token", "callback-url", "inbound-url", "api-key-sid",
       "api-key-secret", "services", "callback-user", "callback-password", "admin-port"},
      err);
  if (!parsed) {
    return kExitUsage;
  }
  if (parsed->help) {
    out << kFakeHelp;
    return kExitOk;
  }
  if (parsed->positional.size() != 1) {
    err << "candor fake: give exactly one kind: twilio, syniverse, smtp or generic\n";
    return kExitUsage;
  }

  FakeOptions options;
  options.kind = parsed->positional[0];
  auto const& opts = parsed->options;
  // A port option, when given, must be 0 to 65535; false (reported) when it is not.
  auto read_port = [&](char const* name, std::optional<std::uint16_t>& into) {
    auto const it = opts.find(name);
    if (it == opts.end()) {
      return true;
    }
    auto const port = parse_u64(it->second);
    if (!port || *port > 65535) {
      err << fmt::format("candor fake: --{}: expected 0 to 65535; got \"{}\"\n", name, it->second);
      return false;
    }
    into = static_cast<std::uint16_t>(*port);
    return true;
  };
  if (!opts.count("port")) {
    err << "candor fake: --port N is required (0 picks a free port)\n";
    return kExitUsage;
  }
  std::optional<std::uint16_t> port;
  if (!read_port("port", port) || !read_port("admin-port", options.admin_port)) {
    return kExitUsage;
  }
  options.port = *port;
  auto take = [&](char const* name, std::optional<std::string>& field) {
    if (auto it = opts.find(name); it != opts.end()) {
      field = it->second;
    }
  };
  take("account-sid", options.account_sid);
  take("auth-token", options.auth_token);
  take("token", options.token);
  take("callback-url", options.callback_url);
  take("callback-user", options.callback_user);
  take("callback-password", options.callback_password);
  take("inbound-url", options.inbound_url);
  take("api-key-sid", options.api_key_sid);
  take("api-key-secret", options.api_key_secret);
  options.test_credentials = opts.count("test-credentials") != 0;
  if (auto it = opts.find("services"); it != opts.end()) {
    std::string_view list = it->second;
    while (!list.empty()) {
      auto const comma = list.find(',');
      options.services.emplace_back(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
  }
  return serve_fake(options, out, err);
}

}  // namespace

int run_cli(std::vector<std::string> const& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << kMainHelp;
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version" || args[0] == "version") {
    out << "candor " << kVersion << "\n";
    return kExitOk;
  }

  std::span<std::string const> const rest(args.data() + 1, args.size() - 1);
  try {
    if (args[0] == "run")
      return cmd_run(rest, out, err);
    if (args[0] == "validate")
      return cmd_validate(rest, out, err);
    if (args[0] == "fake")
      return cmd_fake(rest, out, err);
  } catch (std::exception const& e) {
    // Load and run report their problems as values; this only catches what
    // escapes by mistake (allocation failure, a filesystem error).
    err << fmt::format("candor: {}\n", e.what());
    return kExitUsage;
  }

  std::string const known[] = {"run", "validate", "fake"};
  std::string const suggestion = closest_key(args[0], known);
  err << fmt::format("candor: unknown command \"{}\"{}\n\n", args[0],
                     suggestion.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", suggestion))
      << kMainHelp;
  return kExitUsage;
}

}  // namespace candor::scenarios::cli
