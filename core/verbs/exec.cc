// exec: the options laid over the container's process, and the verb on
// an engine of one slot. The setup process and what runs in the
// container are core/init/exec_child; the steps are the engine's
// (core/engine/engine_exec.cc).
#include "core/verbs/exec.h"

#include <fmt/format.h>

#include <cstdlib>

#include "core/init/console.h"
#include "core/init/process_setup.h"
#include "core/spec/json.h"
#include "core/store/observe.h"
#include "core/store/state_json.h"
#include "core/verbs/container.h"
#include "core/verbs/forwarder.h"
#include "core/verbs/on_engine.h"

namespace ringc {

namespace {
// "uid[:gid]", numbers only (as runc takes them).
Result<void> parse_user(const std::string& s, User& u) {
  size_t colon = s.find(':');
  char* end = nullptr;
  unsigned long uid = std::strtoul(s.substr(0, colon).c_str(), &end, 10);
  if (s.empty() || *end)
    return ringc_error(Errc::bad_usage, "exec: --user: \"" + s + "\" is not uid[:gid]");
  u.uid = uid_t(uid);
  if (colon != std::string::npos) {
    unsigned long gid = std::strtoul(s.substr(colon + 1).c_str(), &end, 10);
    if (*end || colon + 1 == s.size())
      return ringc_error(Errc::bad_usage, "exec: --user: \"" + s + "\" is not uid[:gid]");
    u.gid = gid_t(gid);
  }
  return outcome::success();
}

// The process to run: --process, or the config's process with the
// command and the flags laid over it (runc's rules).
Result<Process> exec_process(const ExecOptions& o, const Spec& spec) {
  if (!o.process_file.empty()) return load_process(o.process_file);
  if (o.args.empty()) return ringc_error(Errc::bad_usage, "exec: a command is required");
  Process p = spec.process;
  p.args = o.args;
  p.terminal = o.tty;
  p.console_size.reset();
  for (auto& kv : o.env) {
    if (kv.find('=') == std::string::npos)
      return ringc_error(Errc::bad_usage, "exec: --env: \"" + kv + "\" is not KEY=value");
    std::string key = kv.substr(0, kv.find('=') + 1);
    std::erase_if(p.env, [&](const std::string& e) { return e.starts_with(key); });
    p.env.push_back(kv);
  }
  if (!o.cwd.empty()) p.cwd = o.cwd;
  if (!o.user.empty()) {
    RINGC_TRY(parse_user(o.user, p.user));
  }
  if (!o.additional_gids.empty()) p.user.additional_gids = o.additional_gids;
  if (!o.caps.empty()) {
    if (!p.capabilities) p.capabilities = Capabilities{};
    for (auto& name : o.caps) {
      int bit = capability_number(name);
      if (bit < 0)
        return ringc_error(Errc::bad_usage, "exec: --cap: unknown capability \"" + name + "\"");
      uint64_t m = uint64_t(1) << bit;
      auto& c = *p.capabilities;
      for (auto* set : {&c.bounding, &c.effective, &c.permitted, &c.ambient}) *set |= m;
    }
  }
  if (o.no_new_privs) p.no_new_privileges = true;
  if (!o.apparmor.empty()) p.apparmor_profile = o.apparmor;
  return p;
}

}  // namespace

Result<ExecRequest> exec_request(const ExecOptions& o, std::shared_ptr<const Spec> spec,
                                 bool foreground, sys::UniqueFd* pty_end) {
  ExecRequest req;
  RINGC_TRY(req.process, exec_process(o, *spec));
  RINGC_TRY(auto ends, console_ends(req.process.terminal, o.console_socket, foreground,
                                    "exec: --console-socket needs --tty",
                                    "exec: --tty with --detach needs --console-socket"));
  if (ends.init_end.get() >= 0)
    req.console = std::make_shared<const sys::UniqueFd>(std::move(ends.init_end));
  if (pty_end) *pty_end = std::move(ends.ringc_end);
  req.spec = std::move(spec);
  req.cgroups = o.cgroups;
  req.pidfd_socket = o.pidfd_socket;
  req.preserve_fds = o.preserve_fds;
  req.ignore_paused = o.ignore_paused;
  return req;
}

namespace {
void put_strings(std::string& out, std::string_view key, const std::vector<std::string>& v) {
  if (v.empty()) return;
  out += fmt::format(",\"{}\":[", key);
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + json_quote(v[i]);
  out += "]";
}

Result<std::vector<std::string>> get_strings(json::Object o, std::string_view key,
                                             std::string_view where) {
  std::vector<std::string> out;
  json::Value v = o[key];
  if (v.is_null()) return out;
  json::Array a;
  if (!v.get(a))
    return ringc_error(Errc::bad_usage, fmt::format("{}/{}: must be an array", where, key));
  for (json::Value x : a) {
    std::string_view s;
    if (!x.get(s))
      return ringc_error(Errc::bad_usage, fmt::format("{}/{}: must hold strings", where, key));
    out.emplace_back(s);
  }
  return out;
}
}  // namespace

std::string exec_options_json(const ExecOptions& o) {
  std::string out = "{\"id\":" + json_quote(o.id);
  put_strings(out, "args", o.args);
  put_strings(out, "env", o.env);
  put_strings(out, "caps", o.caps);
  put_strings(out, "cgroups", o.cgroups);
  for (auto [key, value] : {std::pair{"process", &o.process_file},
                            {"cwd", &o.cwd},
                            {"user", &o.user},
                            {"apparmor", &o.apparmor},
                            {"console_socket", &o.console_socket},
                            {"pidfd_socket", &o.pidfd_socket}})
    if (!value->empty()) out += fmt::format(",\"{}\":{}", key, json_quote(*value));
  if (!o.additional_gids.empty()) {
    out += ",\"additional_gids\":[";
    for (size_t i = 0; i < o.additional_gids.size(); ++i)
      out += fmt::format("{}{}", i ? "," : "", o.additional_gids[i]);
    out += "]";
  }
  for (auto [key, value] : {std::pair{"no_new_privs", o.no_new_privs},
                            {"tty", o.tty},
                            {"detach", o.detach},
                            {"ignore_paused", o.ignore_paused}})
    if (value) out += fmt::format(",\"{}\":true", key);
  return out + "}";
}

Result<ExecOptions> parse_exec_options(std::string_view text, std::string_view where) {
  json::Document doc;
  json::Object o;
  if (std::string why; !doc.parse(text, &why) || !doc.root().get(o))
    return ringc_error(Errc::bad_usage, fmt::format("{}: must be an object", where));
  ExecOptions x;
  auto str = [&](std::string_view key, std::string& out) -> Result<void> {
    json::Value v = o[key];
    std::string_view s;
    if (v.is_null()) return outcome::success();
    if (!v.get(s))
      return ringc_error(Errc::bad_usage, fmt::format("{}/{}: must be a string", where, key));
    out = s;
    return outcome::success();
  };
  auto flag = [&](std::string_view key, bool& out) -> Result<void> {
    json::Value v = o[key];
    if (!v.is_null() && !v.get(out))
      return ringc_error(Errc::bad_usage, fmt::format("{}/{}: must be true or false", where, key));
    return outcome::success();
  };
  RINGC_TRY(str("id", x.id));
  RINGC_TRY(x.args, get_strings(o, "args", where));
  RINGC_TRY(x.env, get_strings(o, "env", where));
  RINGC_TRY(x.caps, get_strings(o, "caps", where));
  RINGC_TRY(x.cgroups, get_strings(o, "cgroups", where));
  RINGC_TRY(str("process", x.process_file));
  RINGC_TRY(str("cwd", x.cwd));
  RINGC_TRY(str("user", x.user));
  RINGC_TRY(str("apparmor", x.apparmor));
  RINGC_TRY(str("console_socket", x.console_socket));
  RINGC_TRY(str("pidfd_socket", x.pidfd_socket));
  for (auto* path : {&x.process_file, &x.console_socket, &x.pidfd_socket})
    if (!path->empty() && (*path)[0] != '/')
      return ringc_error(Errc::bad_usage,
                         fmt::format("{}: \"{}\" must be an absolute path", where, *path));
  if (json::Value v = o["additional_gids"]; !v.is_null()) {
    json::Array a;
    if (!v.get(a))
      return ringc_error(Errc::bad_usage,
                         fmt::format("{}/additional_gids: must be an array", where));
    for (json::Value g : a) {
      uint64_t n;
      if (!g.get(n) || n > UINT32_MAX)
        return ringc_error(Errc::bad_usage,
                           fmt::format("{}/additional_gids: must hold group ids", where));
      x.additional_gids.push_back(gid_t(n));
    }
  }
  RINGC_TRY(flag("no_new_privs", x.no_new_privs));
  RINGC_TRY(flag("tty", x.tty));
  RINGC_TRY(flag("detach", x.detach));
  RINGC_TRY(flag("ignore_paused", x.ignore_paused));
  return x;
}

Result<int> exec(Runtime& rt, const ExecOptions& o) {
  RINGC_TRY(auto rec, load_record(rt, o.id));
  // Refused as the record and the kernel say it is now, before anything
  // is taken over.
  RINGC_TRY(transition(o.id, observed_state(rec.view()),
                       o.ignore_paused ? fsm::Event::exec_frozen : fsm::Event::exec));
  RINGC_TRY(auto spec, load_spec(std::string(rec->bundle())));
  sys::UniqueFd pty_end;
  RINGC_TRY(auto req,
            exec_request(o, std::make_shared<const Spec>(std::move(spec)), !o.detach, &pty_end));
  std::optional<BlockedSignals> sigs;
  if (!o.detach) {
    sigs.emplace();
    if (sigs->fd() < 0) return sys_error(errno, "signalfd");
  }
  Engine engine(rt, one_shot(rt, true));
  uint64_t handle = 0;
  bool started = false, ended = false;
  pid_t pid = -1;
  int code = -1;
  std::string error;
  engine.on_exec = [&](const ExecNotice& n) {
    if (n.handle != handle) return;
    using enum fsm::ExecState;
    if (n.state == running) started = true, pid = n.pid;
    if (n.state == exited) ended = true, code = n.exit_code;
    if (n.state == failed && !started) error = n.error, ended = true;
  };
  RINGC_TRY(engine.adopt(rec.view()));
  RINGC_TRY(handle, engine.exec(o.id, std::move(req)));
  while (!started && !ended) {
    RINGC_TRY(engine.step());
  }
  if (!error.empty()) return ringc_error(Errc::init_failed, error);
  // The process runs: the container is not this command's to watch.
  engine.forget(o.id);
  RINGC_TRY(write_pid_file(o.pid_file, pid));
  if (o.detach) return 0;
  sys::UniqueFd pty;
  if (pty_end.get() >= 0) {  // sent before the exec that said it runs: queued
    RINGC_TRY(pty, receive_fd(pty_end.get()));
  }
  RINGC_TRY(auto ring, engine.ring());
  Forwarder f(*ring, sigs->fd(), pty.get(),
              [&](int sig) { (void)engine.signal_exec(o.id, pid, sig); });
  RINGC_TRY(forward_on_engine(engine, f, [&] { return ended; }));
  return code;
}

}  // namespace ringc
