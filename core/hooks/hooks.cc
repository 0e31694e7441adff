#include "core/hooks/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <csignal>

#include "core/base/exit.h"
#include "core/base/json_quote.h"
#include "core/base/sys.h"

namespace ringc {

namespace {
std::vector<char*> cstrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

Error failed(HookKind k, size_t i, const Hook& h, std::string_view why) {
  return ringc_error(Errc::init_failed,
                     fmt::format("{} hook #{} ({}): {}", hook_key(k), i, h.path, why));
}

Result<void> check_code(HookKind k, size_t i, const Hook& h, int code) {
  if (code == 0) return outcome::success();
  if (code == 127) return failed(k, i, h, "could not be executed (or exited 127)");
  if (code > 128) return failed(k, i, h, fmt::format("killed by signal {}", code - 128));
  return failed(k, i, h, fmt::format("exit status {}", code));
}

}  // namespace

// Clones the hook with its stdin a pipe holding the state. The state is
// far smaller than a pipe's buffer, so the write never waits for the hook.
Result<int> start_hook(const Hook& h, const std::string& state, const char* cwd) {
  int in[2];
  if (::pipe2(in, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
  auto argv = cstrings(args);
  auto envp = cstrings(h.env);
  int pidfd = -1;
  pid_t pid = sys::fork_pidfd(&pidfd);
  if (pid == 0) {
    // Not what the runtime blocks or ignores (the daemon's signalfd).
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    sys::restore_fd_limit();
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(in[0], 0);
    if (cwd && ::chdir(cwd) < 0) ::_exit(127);
    ::execve(h.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  if (pid < 0) {
    ::close(in[1]);
    return neg_error(pid, "clone3 for hook " + h.path);
  }
  (void)::fcntl(in[1], F_SETFL, O_NONBLOCK);
  (void)::write(in[1], state.data(), state.size());
  ::close(in[1]);
  return pidfd;
}

// No timeout: the spec lets a hook run as long as it likes. The ring
// still needs a deadline; a day stands for none.
std::chrono::milliseconds hook_timeout(const Hook& h) {
  if (h.timeout_s) return std::chrono::seconds(*h.timeout_s);
  return std::chrono::hours(24);
}

Result<void> hook_result(HookKind k, size_t index, const Hook& h, int code, bool timed_out) {
  if (timed_out)
    return failed(k, index, h,
                  fmt::format("timed out after {} s, killed", h.timeout_s.value_or(0)));
  return check_code(k, index, h, code);
}

std::string hook_state(std::string_view oci_version, std::string_view id, std::string_view status,
                       pid_t pid, std::string_view bundle,
                       const std::vector<std::pair<std::string, std::string>>& annotations) {
  std::string s =
      fmt::format(R"({{"ociVersion":{},"id":{},"status":"{}","pid":{},"bundle":{})",
                  json_quote(oci_version), json_quote(id), status, pid, json_quote(bundle));
  if (!annotations.empty()) {
    s += ",\"annotations\":{";
    for (size_t i = 0; i < annotations.size(); ++i) {
      if (i) s += ',';
      s += json_quote(annotations[i].first) + ":" + json_quote(annotations[i].second);
    }
    s += '}';
  }
  return s + "}";
}

std::string container_process_state(std::string_view oci_version, pid_t pid,
                                    std::string_view metadata, std::string_view state) {
  return fmt::format(R"({{"ociVersion":{},"fds":["seccompFd"],"pid":{},"metadata":{},"state":{}}})",
                     json_quote(oci_version), pid, json_quote(metadata), state);
}

Result<void> run_hooks(ring::Ring& r, const Hooks& hooks, HookKind k, const std::string& state) {
  size_t i = 0;
  for (auto& h : hooks[k]) {
    RINGC_TRY(auto pidfd, start_hook(h, state));
    sys::UniqueFd owned(pidfd);
    auto code = await_exit(r, pidfd, true, hook_timeout(h));
    if (!code && code.error().is(Errc::timed_out)) {
      sys::pidfd_send_signal(pidfd, SIGKILL);
      (void)await_exit(r, pidfd, true, std::chrono::seconds(10));
      return hook_result(k, i, h, -1, true);
    }
    if (!code) return code.error();
    RINGC_TRY(hook_result(k, i, h, code.value(), false));
    ++i;
  }
  return outcome::success();
}

Result<void> run_hooks_in_init(const Hooks& hooks, HookKind k, const std::string& state,
                               const char* cwd) {
  size_t i = 0;
  for (auto& h : hooks[k]) {
    RINGC_TRY(auto pidfd, start_hook(h, state, cwd));
    sys::UniqueFd owned(pidfd);
    pollfd p{pidfd, POLLIN, 0};
    int ms = h.timeout_s ? *h.timeout_s * 1000 : -1;
    int n;
    do n = ::poll(&p, 1, ms);
    while (n < 0 && errno == EINTR);
    if (n == 0) sys::pidfd_send_signal(pidfd, SIGKILL);
    siginfo_t info{};
    if (::waitid(idtype_t(P_PIDFD), id_t(pidfd), &info, WEXITED) < 0)
      return sys_error(errno, "wait for hook " + h.path);
    RINGC_TRY(hook_result(k, i, h, exit_code(info), n == 0));
    ++i;
  }
  return outcome::success();
}

}  // namespace ringc
