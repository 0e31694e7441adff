#include "cli/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <ctime>

namespace ringc::cli {

namespace {
std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  time_t t = std::chrono::system_clock::to_time_t(now);
  tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += char(c);
    }
  }
  return out;
}
}  // namespace

void log_line(const LogConfig& c, std::string_view level, std::string_view msg) {
  std::string line;
  if (c.json) {
    line = fmt::format("{{\"level\":\"{}\",\"msg\":\"{}\",\"time\":\"{}\"}}\n", level,
                       json_escape(msg), now_rfc3339());
  } else if (!c.file.empty()) {
    line = fmt::format("time=\"{}\" level={} msg=\"{}\"\n", now_rfc3339(), level, json_escape(msg));
  } else {
    line = fmt::format("ringc: {}{}\n", level == "error" ? "" : std::string(level) + ": ", msg);
  }
  int fd = 2;
  if (!c.file.empty()) fd = ::open(c.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fd = 2;
  (void)::write(fd, line.data(), line.size());
  if (fd != 2) ::close(fd);
}

}  // namespace ringc::cli
