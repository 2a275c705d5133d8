// Runs every registered native test and prints one TAP-like line per test, then the summary
// line `native: P passed, F failed` last (see --results below for the driver mode).
//
//   callmedia-native-tests [--results=FILE] [SUBSTRING...]
//
// --results mirrors each result line into FILE as soon as it is known, so that when a sanitizer
// aborts the process mid-run the driver can still count what passed before the crash. In that
// mode the summary line goes to FILE only: the driver prints the final verdict itself, once,
// after it has seen whether the process also exited cleanly (leak checks run after main).
// SUBSTRING arguments run only the tests whose name contains one of them.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "check.h"

namespace check {

namespace {
struct RunState {
  size_t failures = 0;
  std::string firstFailure;
};
RunState* current = nullptr;
}  // namespace

std::vector<TestCase>& Registry() {
  static std::vector<TestCase> tests;
  return tests;
}

void Fail(const char* file, int line, const std::string& message) {
  if (!current) return;
  if (current->failures++ == 0) {
    const char* base = std::strrchr(file, '/');
    current->firstFailure = std::string(base ? base + 1 : file) + ":" + std::to_string(line) + ": " + message;
  }
}

size_t FailureCount() { return current ? current->failures : 0; }

std::string HexBytes(const uint8_t* data, size_t size) {
  static const char* kHex = "0123456789abcdef";
  const size_t shown = std::min<size_t>(size, 48);
  std::string s = "[";
  for (size_t i = 0; i < shown; ++i) {
    if (i) s += ' ';
    s += kHex[data[i] >> 4];
    s += kHex[data[i] & 15];
  }
  if (shown < size) s += " ... (" + std::to_string(size) + " bytes)";
  return s + "]";
}

}  // namespace check

int main(int argc, char** argv) {
  std::FILE* results = nullptr;
  std::vector<std::string> filters;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--results=", 10) == 0) {
      results = std::fopen(argv[i] + 10, "w");
      if (!results) {
        std::fprintf(stderr, "cannot open %s\n", argv[i] + 10);
        return 2;
      }
    } else {
      filters.emplace_back(argv[i]);
    }
  }

  // Registration order across translation units depends on the link; sort by file so the
  // output reads the same on every machine, keeping each file's own order.
  std::vector<check::TestCase> tests = check::Registry();
  std::stable_sort(tests.begin(), tests.end(),
                   [](const check::TestCase& a, const check::TestCase& b) { return std::strcmp(a.file, b.file) < 0; });

  auto emit = [results](const std::string& line, bool toStdout = true) {
    if (toStdout) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    }
    if (results) {
      std::fprintf(results, "%s\n", line.c_str());
      std::fflush(results);
    }
  };

  size_t passed = 0, failed = 0;
  for (const check::TestCase& test : tests) {
    if (!filters.empty() &&
        std::none_of(filters.begin(), filters.end(),
                     [&](const std::string& f) { return std::strstr(test.name, f.c_str()) != nullptr; }))
      continue;
    check::RunState state;
    check::current = &state;
    try {
      test.fn();
    } catch (const std::exception& e) {
      check::Fail(test.file, 0, std::string("uncaught exception: ") + e.what());
    } catch (...) {
      check::Fail(test.file, 0, "uncaught exception");
    }
    check::current = nullptr;
    if (state.failures == 0) {
      ++passed;
      emit(std::string("ok - ") + test.name);
    } else {
      ++failed;
      emit(std::string("not ok - ") + test.name + ": " + state.firstFailure);
    }
  }
  emit("native: " + std::to_string(passed) + " passed, " + std::to_string(failed) + " failed", results == nullptr);
  if (results) std::fclose(results);
  return failed == 0 ? 0 : 1;
}
