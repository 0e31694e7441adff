// JSON string text, for the JSON ringc writes by hand (state, hooks'
// stdin, the daemon's replies).
#pragma once

#include <string>
#include <string_view>

namespace ringc {

// Appends s as the inside of a JSON string; json_quote adds the quotes.
void json_escape(std::string& out, std::string_view s);
std::string json_quote(std::string_view s);

}  // namespace ringc
