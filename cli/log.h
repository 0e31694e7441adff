// Where errors and debug lines go: the --log file (JSON lines with
// --log-format json, which containerd and conmon read) or stderr.
#pragma once

#include <string>
#include <string_view>

namespace ringc::cli {

struct LogConfig {
  std::string file;  // empty: stderr
  bool json = false;
  bool debug = false;
};

void log_line(const LogConfig& c, std::string_view level, std::string_view msg);
// To the log, and with --log to stderr as well, as runc's final error is
// (a client that reads stderr sees why either way).
void log_error(const LogConfig& c, std::string_view msg);
inline void log_debug(const LogConfig& c, std::string_view msg) {
  if (c.debug) log_line(c, "debug", msg);
}

}  // namespace ringc::cli
