#include "core/spec/json.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>

namespace ringc::json {

using Json = nlohmann::ordered_json;

bool Value::is_null() const {
  return !v_ || v_->is_null();
}

bool Value::get(std::string_view& out) const {
  if (!v_ || !v_->is_string()) return false;
  out = v_->get_ref<const Json::string_t&>();
  return true;
}

bool Value::get(bool& out) const {
  if (!v_ || !v_->is_boolean()) return false;
  out = v_->get<bool>();
  return true;
}

bool Value::get(int64_t& out) const {
  if (!v_) return false;
  if (v_->is_number_unsigned()) {
    uint64_t u = v_->get<uint64_t>();
    if (u > uint64_t(std::numeric_limits<int64_t>::max())) return false;
    out = int64_t(u);
    return true;
  }
  if (!v_->is_number_integer()) return false;
  out = v_->get<int64_t>();
  return true;
}

bool Value::get(uint64_t& out) const {
  if (!is_uint64()) return false;
  out = v_->get<uint64_t>();
  return true;
}

bool Value::is_uint64() const {
  if (!v_) return false;
  if (v_->is_number_unsigned()) return true;
  return v_->is_number_integer() && v_->get<int64_t>() >= 0;
}

bool Value::get(double& out) const {
  if (!v_ || !v_->is_number()) return false;
  out = v_->get<double>();
  return true;
}

bool Value::get(Object& out) const {
  if (!v_ || !v_->is_object()) return false;
  out = Object(v_);
  return true;
}

bool Value::get(Array& out) const {
  if (!v_ || !v_->is_array()) return false;
  out = Array(v_);
  return true;
}

Value Value::operator[](std::string_view key) const {
  if (!v_ || !v_->is_object()) return Value();
  for (auto& [k, v] : v_->get_ref<const Json::object_t&>())
    if (k == key) return Value(&v);
  return Value();
}

std::string Value::dump() const {
  return v_ ? v_->dump() : std::string("null");
}

size_t Object::size() const {
  return v_ ? v_->size() : 0;
}

std::pair<std::string_view, Value> Object::at(size_t i) const {
  auto& m = v_->get_ref<const Json::object_t&>();
  auto it = m.begin() + std::ptrdiff_t(i);
  return {it->first, Value(&it->second)};
}

size_t Array::size() const {
  return v_ ? v_->size() : 0;
}

Value Array::at(size_t i) const {
  return Value(&(*v_)[i]);
}

Document::Document() : doc_(std::make_unique<Json>()) {}
Document::~Document() = default;
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;

namespace {
template <class T>
bool set_at(Json& doc, std::string_view pointer, T v) {
  try {
    doc[Json::json_pointer(std::string(pointer))] = std::move(v);
    return true;
  } catch (const Json::exception&) {
    return false;
  }
}
}  // namespace

bool Document::set(std::string_view pointer, int64_t v) {
  return set_at(*doc_, pointer, v);
}

bool Document::set(std::string_view pointer, std::string_view v) {
  return set_at(*doc_, pointer, std::string(v));
}

std::string Document::dump() const {
  return doc_->dump();
}

bool Document::parse(std::string_view text, std::string* why) {
  try {
    *doc_ = Json::parse(text.begin(), text.end());
    return true;
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for 1e999
    if (why) {
      // "[json.exception.parse_error.101] parse error at line 1, column 2: …"
      // "[json.exception.out_of_range.406] number overflow parsing '1e999'"
      std::string_view m = e.what();
      if (auto p = m.find("parse error "); p != std::string_view::npos) m.remove_prefix(p + 12);
      if (m.starts_with("at ")) m.remove_prefix(3);
      if (m.starts_with("[json.exception.")) m.remove_prefix(std::min(m.size(), m.find(']') + 2));
      if (m.starts_with("number overflow parsing "))
        *why = fmt::format("the number {} is out of range", m.substr(24));
      else
        *why = std::string(m);
      // "last read: '…'" quotes the whole token, a 60 KB string included:
      // its start says enough.
      constexpr size_t kMaxWhy = 200;
      if (why->size() > kMaxWhy) {
        why->resize(kMaxWhy);
        why->append("...");
      }
    }
    *doc_ = Json();
    return false;
  }
}

Value Document::root() const {
  return Value(doc_.get());
}

}  // namespace ringc::json
