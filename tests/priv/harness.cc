#include "tests/priv/harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "cgroup/layout.h"
#include "core/base/sys.h"
#include "core/spec/spec.h"

namespace ringc::test {

std::string Priv::rootfs_;

// Compiled-in paths, overridable for runs on another machine.
const char* ringc_bin() {
  const char* e = getenv("RINGC_TEST_BIN");
  return e ? e : RINGC_BIN;
}

namespace {
const char* source_dir() {
  const char* e = getenv("RINGC_TEST_SOURCE_DIR");
  return e ? e : RINGC_SOURCE_DIR;
}

std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, size_t(n));
  return s;
}

int decode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<char*> argv_of(std::vector<std::string>& v) {
  std::vector<char*> a;
  for (auto& s : v) a.push_back(s.data());
  a.push_back(nullptr);
  return a;
}

std::string json_array(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    out += i ? ", \"" : "\"";
    for (char c : v[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "]";
}
}  // namespace

void Priv::SetUpTestSuite() {
  if (geteuid() != 0) return;
  if (!rootfs_.empty()) return;
  std::string dir = "/tmp/ringc-test-bundle." + std::to_string(getpid());
  std::string cmd = std::string(source_dir()) + "/scripts/make-bundle.sh " + dir + " " +
                    ringc_bin() + " true >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  rootfs_ = dir + "/rootfs";
}

void Priv::TearDownTestSuite() {
  if (rootfs_.empty()) return;
  std::system(("rm -rf " + rootfs_.substr(0, rootfs_.size() - 7)).c_str());  // drop "/rootfs"
  rootfs_.clear();
}

void Priv::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  char tmpl[] = "/run/ringc-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  root_ = tmpl;
}

std::vector<std::string> Priv::via_daemon(bool spawner) {
  std::string sock = root_ + ".d.sock";
  if (test_daemon_.pid > 0 && test_daemon_spawner_ != spawner) stop_test_daemon();
  if (test_daemon_.pid < 0) {
    {
      ScopedEnv env("RINGC_SPAWNER", spawner ? "1" : "0");
      test_daemon_ = ringc_async({"daemon", "--socket", sock});
    }
    test_daemon_spawner_ = spawner;
    std::string ready = test_daemon_.read_line();
    EXPECT_NE(ready.find("listening on " + sock), std::string::npos) << ready;
  }
  return {"--daemon", sock};
}

void Priv::stop_test_daemon() {
  ::kill(test_daemon_.pid, SIGTERM);
  EXPECT_EQ(test_daemon_.wait(), 0) << "the test's daemon";
  test_daemon_.pid = -1;
}

void Priv::TearDown() {
  if (root_.empty()) return;
  if (test_daemon_.pid > 0) stop_test_daemon();
  // Nothing may be left: every test deletes what it made. Check, then clean
  // up anyway so one failure does not cascade.
  Cmd l = ringc({"list", "-q"});
  EXPECT_EQ(l.out, "") << "containers left under " << root_;
  for (auto& id : ids_) {
    EXPECT_FALSE(cgroup_exists(id)) << "cgroup left for " << id;
    ringc({"delete", "--force", id});
  }
  struct stat st;
  for (auto& id : ids_)
    EXPECT_NE(stat((root_ + "/" + id).c_str(), &st), 0) << "state dir left: " << id;
  std::system(("rm -rf " + root_ + " " + root_ + ".*").c_str());  // .b bundles, .pid, .log
}

Cmd Priv::ringc(std::vector<std::string> args) {
  return ringc_with(std::move(args), nullptr);
}

Cmd Priv::ringc_via(const std::vector<std::string>& way, std::vector<std::string> args) {
  args.insert(args.begin(), way.begin(), way.end());
  return ringc(std::move(args));
}

Cmd Priv::ringc_with(std::vector<std::string> args, std::function<void()> in_child) {
  args.insert(args.begin(), {ringc_bin(), "--root", root_});
  // Files, not pipes: a created container inherits ringc's stdio and keeps
  // it open, so reading a pipe to EOF would wait for the container.
  FILE* out = tmpfile();
  FILE* err = tmpfile();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    if (in_child) in_child();
    auto a = argv_of(args);
    execv(a[0], a.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Cmd c;
  c.code = decode(status);
  rewind(out);
  rewind(err);
  c.out = read_all(fileno(out));
  c.err = read_all(fileno(err));
  fclose(out);
  fclose(err);
  return c;
}

Running Priv::ringc_async(std::vector<std::string> args) {
  args.insert(args.begin(), {ringc_bin(), "--root", root_});
  int out[2];
  EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    auto a = argv_of(args);
    execv(a[0], a.data());
    _exit(127);
  }
  close(out[1]);
  return {pid, out[0]};
}

std::string Running::read_line() {
  std::string line;
  char c;
  while (read(out_fd, &c, 1) == 1) {
    if (c == '\n') return line;
    line += c;
  }
  return line;
}

int Running::wait() {
  int status = 0;
  waitpid(pid, &status, 0);
  close(out_fd);
  return decode(status);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string slurp_when(const std::string& path, const std::string& expected) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string got = slurp(path);
  while (got != expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    got = slurp(path);
  }
  return got;
}

std::string cg_file(const std::string& id, const char* ctrl, const char* v1, const char* v2) {
  auto host = cgroup::detect().value();
  std::string path;
  if (const auto* h = host->v1(ctrl))
    path = h->mount + "/ringc/" + id + "/" + v1;
  else
    path = host->v2()->mount + "/ringc/" + id + "/" + v2;
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

void replace(std::string& text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << "not in config: " << from;
  text.replace(at, from.size(), to);
}

void with_user_namespace(std::string& c) {
  replace(c, "\"namespaces\": [", "\"namespaces\": [{\"type\": \"user\"},");
  replace(c, "\"linux\": {",
          "\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": "
          "65536}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": "
          "65536}],");
}

void replace_span(std::string& text, const std::string& from, const std::string& until,
                  const std::string& to) {
  size_t a = text.find(from);
  ASSERT_NE(a, std::string::npos) << "not in config: " << from;
  size_t b = text.find(until, a);
  ASSERT_NE(b, std::string::npos) << "not in config: " << until;
  text.replace(a, b - a, to);
}

std::string Priv::bundle(std::vector<std::string> args, std::function<void(std::string&)> tweak) {
  mkdir((root_ + ".b").c_str(), 0755);
  std::string dir = root_ + ".b/" + std::to_string(bundles_++);
  mkdir(dir.c_str(), 0755);
  std::string cfg = default_spec_json();
  replace(cfg, "\"terminal\": true", "\"terminal\": false");
  replace(cfg, "\"args\": [\n\t\t\t\"sh\"\n\t\t]", "\"args\": " + json_array(args));
  replace(cfg, "\"path\": \"rootfs\"", "\"path\": \"" + rootfs_ + "\"");
  if (tweak) tweak(cfg);
  std::ofstream(dir + "/config.json") << cfg;
  return dir;
}

void Priv::wait_gone(pid_t pid) {
  int fd = sys::pidfd_open(pid);
  if (fd < 0) return;  // already gone
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 10'000), 1) << "pid " << pid << " did not exit";
  close(fd);
}

bool Priv::alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] != 'Z';
}

std::string Priv::id(const std::string& base) {
  std::string s = base + "-" + std::to_string(getpid()) + "-" + std::to_string(ids_.size());
  ids_.push_back(s);
  return s;
}

std::optional<std::string> missing_controller(std::initializer_list<std::string_view> names) {
  auto host = cgroup::detect();
  if (!host) return "no cgroup layout detected";
  const cgroup::Host& h = *host.value();
  for (std::string_view name : names) {
    if (!cgroup::has_controller(h, name))
      return fmt::format("no {} controller in this view of the host ({})", name,
                         h.layout == cgroup::Layout::unified ? "cgroup2" : "cgroup v1");
  }
  return std::nullopt;
}

bool Priv::cgroup_exists(const std::string& id) const {
  auto host = cgroup::detect();
  if (!host) return false;
  for (auto& h : host.value()->hierarchies) {
    struct stat st;
    if (stat((h.mount + "/ringc/" + id).c_str(), &st) == 0) return true;
  }
  return false;
}

}  // namespace ringc::test
