// Reading JSON: config.json, resources and process files, daemon requests
// and replies. A read-only view of nlohmann's DOM (header-only, so the
// ringc binary links statically; Debian ships simdjson only as a shared
// library, and loading it cost ringc ~0.8 ms per command). The heavy
// header stays in json.cc; views are a pointer wide.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace ringc::json {

class Object;
class Array;

// One value inside a Document (which must outlive it). A default Value is
// "absent": every get on it fails, and it reads as null.
class Value {
 public:
  Value() = default;
  explicit Value(const nlohmann::ordered_json* v) : v_(v) {}

  bool absent() const { return v_ == nullptr; }
  bool is_null() const;  // absent, or JSON null
  // Each get fills `out` and returns true when the value has that type:
  // integers must fit (a negative one is no uint64_t); double takes any number.
  bool get(std::string_view& out) const;
  bool get(bool& out) const;
  bool get(int64_t& out) const;
  bool get(uint64_t& out) const;
  bool get(double& out) const;
  bool get(Object& out) const;
  bool get(Array& out) const;
  bool is_uint64() const;  // an integer that is not negative
  // A member of an object; absent when there is none or this is no object.
  Value operator[](std::string_view key) const;
  // Compact JSON text of the value.
  std::string dump() const;

 private:
  const nlohmann::ordered_json* v_ = nullptr;
};

// Walks an Object or an Array by index.
template <class C>
class IndexIterator {
 public:
  IndexIterator(const C* c, size_t i) : c_(c), i_(i) {}
  auto operator*() const { return c_->at(i_); }
  IndexIterator& operator++() {
    ++i_;
    return *this;
  }
  bool operator!=(const IndexIterator& b) const { return i_ != b.i_; }

 private:
  const C* c_;
  size_t i_;
};

// Members in document order: `for (auto [key, value] : object)`.
class Object {
 public:
  Object() = default;
  explicit Object(const nlohmann::ordered_json* v) : v_(v) {}
  size_t size() const;
  std::pair<std::string_view, Value> at(size_t i) const;
  Value operator[](std::string_view key) const { return Value(v_)[key]; }
  IndexIterator<Object> begin() const { return {this, 0}; }
  IndexIterator<Object> end() const { return {this, size()}; }

 private:
  const nlohmann::ordered_json* v_ = nullptr;
};

// Elements in order: `for (Value x : array)`.
class Array {
 public:
  Array() = default;
  explicit Array(const nlohmann::ordered_json* v) : v_(v) {}
  size_t size() const;
  Value at(size_t i) const;
  IndexIterator<Array> begin() const { return {this, 0}; }
  IndexIterator<Array> end() const { return {this, size()}; }

 private:
  const nlohmann::ordered_json* v_ = nullptr;
};

// A parsed document. Values taken from it point into it.
class Document {
 public:
  Document();
  ~Document();
  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;

  // Parses text; on malformed JSON returns false and sets `why` to where
  // and what ("line 3, column 5: syntax error while parsing object ...").
  bool parse(std::string_view text, std::string* why = nullptr);
  Value root() const;
  // Writes a value at a JSON pointer ("/memory/limit"), making the objects
  // on the way; false where the path crosses something that is not an
  // object. For a request built from a file and flags over it.
  bool set(std::string_view pointer, int64_t v);
  bool set(std::string_view pointer, std::string_view v);
  std::string dump() const;

 private:
  std::unique_ptr<nlohmann::ordered_json> doc_;
};

}  // namespace ringc::json
