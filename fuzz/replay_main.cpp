// The replay driver: a main() for a fuzz target built without libFuzzer. It runs
// every corpus file, then a fixed number of inputs derived from them by a seeded
// mutator, so each target is a deterministic regression test that g++ builds run in
// CI. A crash saves the input that caused it and re-raises the signal.
//
//   strings_fuzz [--runs N] [--seed S] [--max-len BYTES] [--crash-file PATH] PATH...
//
// PATH is a corpus folder (its regular files, in name order) or a single file.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

struct Options {
  std::size_t runs = 2000;
  std::uint64_t seed = 1;
  std::size_t max_len = 4096;
  std::string crash_file = "replay-crash.bin";
  std::vector<std::string> paths;
};

// What the signal handler needs; it may only read these and call write/open/close.
std::string const* g_current = nullptr;
char g_crash_path[4096] = {};
char g_label[256] = {};

void write_text(int fd, char const* text) {
  auto const ignored = ::write(fd, text, std::strlen(text));
  (void)ignored;
}

extern "C" void on_fatal_signal(int signal_number) {
  write_text(STDERR_FILENO, "replay: fatal signal while running ");
  write_text(STDERR_FILENO, g_label);
  if (g_current != nullptr) {
    int const fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      auto const ignored = ::write(fd, g_current->data(), g_current->size());
      (void)ignored;
      ::close(fd);
      write_text(STDERR_FILENO, "; input saved to ");
      write_text(STDERR_FILENO, g_crash_path);
    }
  }
  write_text(STDERR_FILENO, "\n");
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// The handler runs on its own stack, so that a stack overflow (unbounded
// recursion on deep input) is reported with its input like any other crash.
void install_handlers() {
  static std::vector<char> alternate_stack(std::max<std::size_t>(SIGSTKSZ, 64 * 1024));
  stack_t stack{};
  stack.ss_sp = alternate_stack.data();
  stack.ss_size = alternate_stack.size();
  ::sigaltstack(&stack, nullptr);

  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  action.sa_flags = SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int const s : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
    ::sigaction(s, &action, nullptr);
  }
}

bool parse_number(char const* text, std::uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  auto const value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0') {
    return false;
  }
  out = value;
  return true;
}

bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string_view const arg = argv[i];
    bool const has_value = i + 1 < argc;
    std::uint64_t number = 0;
    if ((arg == "--runs" || arg == "--seed" || arg == "--max-len") && has_value) {
      if (!parse_number(argv[++i], number)) {
        std::fprintf(stderr, "replay: %s wants a number, got '%s'\n", arg.data(), argv[i]);
        return false;
      }
      if (arg == "--runs") {
        options.runs = number;
      } else if (arg == "--seed") {
        options.seed = number;
      } else {
        options.max_len = std::max<std::uint64_t>(number, 1);
      }
    } else if (arg == "--crash-file" && has_value) {
      options.crash_file = argv[++i];
    } else if (arg.starts_with("-")) {
      std::fprintf(stderr, "replay: unknown option '%s'\n", argv[i]);
      return false;
    } else {
      options.paths.emplace_back(arg);
    }
  }
  return true;
}

bool read_file(fs::path const& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Corpus files in a stable order, so that a seed names the same inputs everywhere.
bool collect_corpus(std::vector<std::string> const& paths, std::vector<fs::path>& files) {
  for (auto const& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      for (auto const& entry : fs::directory_iterator(path, ec)) {
        if (entry.is_regular_file()) {
          found.push_back(entry.path());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path, ec)) {
      files.emplace_back(path);
    } else {
      std::fprintf(stderr, "replay: no such corpus file or folder: %s\n", path.c_str());
      return false;
    }
  }
  return true;
}

// Bytes that change how text parsers branch: separators, quotes, escapes, brackets,
// line ends, NUL and bytes that start or break UTF-8 sequences.
constexpr std::string_view kInteresting =
    std::string_view("\0\n\r\t %+&=\"\\'{}[]:,-.09<>@#?/;|*!\x7f\x80\xbf\xc3\xe2\xff", 39);

class Mutator {
 public:
  Mutator(std::uint64_t seed, std::vector<std::string> const& corpus, std::size_t max_len)
      : random_(seed), corpus_(corpus), max_len_(max_len) {}

  std::string next() {
    std::string data = corpus_.empty() ? std::string() : corpus_[below(corpus_.size())];
    auto const steps = 1 + below(4);
    for (std::size_t i = 0; i < steps; ++i) {
      mutate(data);
    }
    if (data.size() > max_len_) {
      data.resize(max_len_);
    }
    return data;
  }

 private:
  std::size_t below(std::size_t bound) { return bound == 0 ? 0 : random_() % bound; }

  char any_byte() {
    if (below(2) == 0) {
      return kInteresting[below(kInteresting.size())];
    }
    return static_cast<char>(below(256));
  }

  std::string const& other() {
    static std::string const kEmpty;
    return corpus_.empty() ? kEmpty : corpus_[below(corpus_.size())];
  }

  void mutate(std::string& data) {
    switch (below(9)) {
      case 0:  // flip one bit
        if (!data.empty()) {
          data[below(data.size())] ^= static_cast<char>(1u << below(8));
        }
        break;
      case 1:  // overwrite one byte
        if (!data.empty()) {
          data[below(data.size())] = any_byte();
        }
        break;
      case 2: {  // insert a few bytes
        auto const count = 1 + below(8);
        auto const at = below(data.size() + 1);
        for (std::size_t i = 0; i < count; ++i) {
          data.insert(data.begin() + static_cast<std::ptrdiff_t>(at), any_byte());
        }
        break;
      }
      case 3: {  // erase a range
        if (!data.empty()) {
          auto const at = below(data.size());
          data.erase(at, 1 + below(std::min<std::size_t>(data.size() - at, 16)));
        }
        break;
      }
      case 4: {  // duplicate a range in place
        if (!data.empty()) {
          auto const at = below(data.size());
          auto const piece = data.substr(at, 1 + below(32));
          data.insert(below(data.size() + 1), piece);
        }
        break;
      }
      case 5: {  // splice: our head, another input's tail
        auto const& donor = other();
        data = data.substr(0, below(data.size() + 1)) + donor.substr(below(donor.size() + 1));
        break;
      }
      case 6: {  // copy a chunk of another input into ours
        auto const& donor = other();
        if (!donor.empty()) {
          auto const from = below(donor.size());
          data.insert(below(data.size() + 1), donor.substr(from, 1 + below(64)));
        }
        break;
      }
      case 7:  // truncate
        data.resize(below(data.size() + 1));
        break;
      default: {  // repeat a short piece many times: deep nesting, long runs
        if (!data.empty()) {
          auto const at = below(data.size());
          auto const piece = data.substr(at, 1 + below(4));
          std::string run;
          for (std::size_t n = 1 + below(400); n > 0 && run.size() < max_len_; --n) {
            run += piece;
          }
          data.insert(at, run);
        }
        break;
      }
    }
  }

  std::mt19937_64 random_;
  std::vector<std::string> const& corpus_;
  std::size_t max_len_;
};

void run_one(std::string const& input, std::string const& label) {
  std::snprintf(g_label, sizeof g_label, "%s", label.c_str());
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<std::uint8_t const*>(input.data()), input.size());
  g_current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: %s [--runs N] [--seed S] [--max-len BYTES] [--crash-file PATH] PATH...\n",
                 argv[0]);
    return 2;
  }
  std::snprintf(g_crash_path, sizeof g_crash_path, "%s", options.crash_file.c_str());
  install_handlers();

  std::vector<fs::path> files;
  if (!collect_corpus(options.paths, files)) {
    return 2;
  }
  std::vector<std::string> corpus;
  for (auto const& file : files) {
    std::string data;
    if (!read_file(file, data)) {
      std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
      return 2;
    }
    corpus.push_back(std::move(data));
  }

  auto const started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    run_one(corpus[i], files[i].string());
  }

  // A mutated input is named by seed and run number: rerun with the same seed and
  // --runs set to that number plus one to reach it again.
  Mutator mutator(options.seed, corpus, options.max_len);
  for (std::size_t run = 0; run < options.runs; ++run) {
    auto const input = mutator.next();
    run_one(input, "mutation " + std::to_string(run) + " of seed " + std::to_string(options.seed));
  }

  auto const elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::printf("replay: %zu corpus inputs and %zu mutations (seed %llu) passed in %lld ms\n",
              corpus.size(), options.runs, static_cast<unsigned long long>(options.seed),
              static_cast<long long>(elapsed.count()));
  return 0;
}
