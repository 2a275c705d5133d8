// A deliberately tiny test harness: the native tests must build with nothing but the compiler
// and the engine's own dependencies, so no third-party framework is pulled in.
//
//   TEST(Name) { CHECK(cond); CHECK_EQ(actual, expected); REQUIRE(cond); }
//
// CHECK and CHECK_EQ record a failure and carry on, so one run shows every broken expectation;
// REQUIRE records and leaves the test, for when carrying on would dereference garbage.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

namespace check {

using TestFn = void (*)();

struct TestCase {
  const char* name;
  const char* file;
  TestFn fn;
};

std::vector<TestCase>& Registry();

struct Registrar {
  Registrar(const char* name, const char* file, TestFn fn) { Registry().push_back({name, file, fn}); }
};

void Fail(const char* file, int line, const std::string& message);
// Failures recorded so far by the running test.
size_t FailureCount();

std::string HexBytes(const uint8_t* data, size_t size);

template <typename T>
std::string Show(const T& v) {
  using U = std::decay_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_enum_v<U>) {
    return std::to_string(static_cast<long long>(v));
  } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
    return std::to_string(static_cast<long long>(v));  // int8_t must print as a number, not a char
  } else if constexpr (std::is_integral_v<U>) {
    return std::to_string(static_cast<unsigned long long>(v));
  } else if constexpr (std::is_floating_point_v<U>) {
    return std::to_string(static_cast<double>(v));
  } else if constexpr (std::is_same_v<U, std::string>) {
    return "\"" + v + "\"";
  } else if constexpr (std::is_same_v<U, const char*> || std::is_same_v<U, char*>) {
    return v ? "\"" + std::string(v) + "\"" : "null";
  } else if constexpr (std::is_same_v<U, std::vector<uint8_t>>) {
    return HexBytes(v.data(), v.size());
  } else if constexpr (std::is_pointer_v<U> || std::is_null_pointer_v<U>) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%p", static_cast<const void*>(v));
    return buf;
  } else {
    return "<value>";
  }
}

// Mixed signed/unsigned integers compare by value, as a reader of the test would expect
// (CHECK_EQ(size, 3) must not depend on the usual arithmetic conversions).
template <typename A, typename B>
bool Equal(const A& a, const B& b) {
  using DA = std::decay_t<A>;
  using DB = std::decay_t<B>;
  if constexpr (std::is_integral_v<DA> && std::is_integral_v<DB> && !std::is_same_v<DA, bool> &&
                !std::is_same_v<DB, bool>) {
    if constexpr (std::is_signed_v<DA> == std::is_signed_v<DB>) {
      return a == b;
    } else if constexpr (std::is_signed_v<DA>) {
      return a >= 0 && static_cast<std::make_unsigned_t<DA>>(a) == b;
    } else {
      return b >= 0 && a == static_cast<std::make_unsigned_t<DB>>(b);
    }
  } else {
    return a == b;
  }
}

}  // namespace check

#define CHECK_CONCAT_INNER(a, b) a##b
#define CHECK_CONCAT(a, b) CHECK_CONCAT_INNER(a, b)

#define TEST(name)                                                                     \
  static void CHECK_CONCAT(name, _Body)();                                             \
  static const ::check::Registrar CHECK_CONCAT(name, _Registrar)(#name, __FILE__,     \
                                                                 &CHECK_CONCAT(name, _Body)); \
  static void CHECK_CONCAT(name, _Body)()

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) ::check::Fail(__FILE__, __LINE__, "CHECK(" #cond ") failed"); \
  } while (0)

#define CHECK_MSG(cond, msg)                                                                        \
  do {                                                                                              \
    if (!(cond)) ::check::Fail(__FILE__, __LINE__, std::string("CHECK(" #cond ") failed: ") + (msg)); \
  } while (0)

#define CHECK_EQ(actual, expected)                                                              \
  do {                                                                                          \
    const auto& check_a_ = (actual);                                                            \
    const auto& check_b_ = (expected);                                                          \
    if (!::check::Equal(check_a_, check_b_))                                                    \
      ::check::Fail(__FILE__, __LINE__,                                                         \
                    "CHECK_EQ(" #actual ", " #expected "): " + ::check::Show(check_a_) + " != " + \
                        ::check::Show(check_b_));                                               \
  } while (0)

#define CHECK_BYTES(ptr_, len_, expectedVector_)                                                   \
  do {                                                                                             \
    const uint8_t* check_p_ = static_cast<const uint8_t*>(ptr_);                                   \
    const std::vector<uint8_t> check_got_(check_p_, check_p_ + (len_));                            \
    const std::vector<uint8_t>& check_want_ = (expectedVector_);                                   \
    if (check_got_ != check_want_)                                                                 \
      ::check::Fail(__FILE__, __LINE__,                                                            \
                    "CHECK_BYTES(" #ptr_ "): " + ::check::HexBytes(check_got_.data(), check_got_.size()) + \
                        " != " + ::check::HexBytes(check_want_.data(), check_want_.size()));       \
  } while (0)

#define REQUIRE(cond)                                                           \
  do {                                                                          \
    if (!(cond)) {                                                              \
      ::check::Fail(__FILE__, __LINE__, "REQUIRE(" #cond ") failed");           \
      return;                                                                   \
    }                                                                           \
  } while (0)
