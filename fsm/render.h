// Renders the transition table as a diagram; docs/fsm.md is this output.
#pragma once

#include <string>
#include <string_view>

namespace ringc::fsm {

enum class Format { mermaid, dot };

std::string render(Format f);
// The whole docs/fsm.md text (a heading, the mermaid diagram, the table).
std::string render_document();

}  // namespace ringc::fsm
