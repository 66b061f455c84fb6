#pragma once
// Either a value or a human-readable error; used at every fallible signers/ boundary.
#include <string>
#include <utility>
#include <variant>

namespace signers {

template <class T>
class Result {
 public:
  static Result ok(T value) { return Result(std::in_place_index<0>, std::move(value)); }
  static Result fail(std::string error) { return Result(std::in_place_index<1>, std::move(error)); }

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition: ok(). Calling these on a failed Result throws std::bad_variant_access.
  const T& value() const { return std::get<0>(state_); }
  T& value() { return std::get<0>(state_); }

  // Empty string when ok().
  const std::string& error() const {
    static const std::string kNone;
    return ok() ? kNone : std::get<1>(state_);
  }

 private:
  template <std::size_t I, class V>
  Result(std::in_place_index_t<I> tag, V&& v) : state_(tag, std::forward<V>(v)) {}

  std::variant<T, std::string> state_;
};

}  // namespace signers
