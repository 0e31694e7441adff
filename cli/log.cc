#include "cli/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "core/store/state_json.h"

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

std::string escaped(std::string_view s) {
  std::string out;
  json_escape(out, s);
  return out;
}
}  // namespace

void log_line(const LogConfig& c, std::string_view level, std::string_view msg) {
  std::string line;
  if (c.json) {
    line = fmt::format("{{\"level\":\"{}\",\"msg\":\"{}\",\"time\":\"{}\"}}\n", level, escaped(msg),
                       now_rfc3339());
  } else if (!c.file.empty()) {
    line = fmt::format("time=\"{}\" level={} msg=\"{}\"\n", now_rfc3339(), level, escaped(msg));
  } else {
    line = fmt::format("ringc: {}{}\n", level == "error" ? "" : std::string(level) + ": ", msg);
  }
  int fd = 2;
  if (!c.file.empty()) fd = ::open(c.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fd = 2;
  (void)::write(fd, line.data(), line.size());
  if (fd != 2) ::close(fd);
}

void log_error(const LogConfig& c, std::string_view msg) {
  log_line(c, "error", msg);
  if (!c.file.empty()) log_line(LogConfig{}, "error", msg);
}

}  // namespace ringc::cli
