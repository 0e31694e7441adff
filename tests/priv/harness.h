// Integration-test harness: runs the real ringc binary against real
// busybox bundles, each test with its own --root, and checks that nothing
// is left behind (state directories, cgroups).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringc::test {

struct Cmd {
  int code = -1;  // exit code, or 128+signal
  std::string out, err;
};

// Sets an environment variable (which ringc children inherit) for the
// scope, then puts back what was there, an early ASSERT's return included.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* was = std::getenv(name)) was_ = was;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (was_)
      ::setenv(name_, was_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> was_;
};

// A ringc process still running (foreground `run`), its stdout readable.
struct Running {
  pid_t pid = -1;
  int out_fd = -1;
  std::string read_line();  // blocks until a full line (or EOF: "")
  int wait();               // exit code
};

// The file of a controller for container id, in whichever hierarchy has
// it (v1 file name, v2 file name), its trailing newlines dropped.
std::string cg_file(const std::string& id, const char* ctrl, const char* v1, const char* v2);

// Why a test of these controllers (v2 names: memory, pids, cpu, io) cannot
// run in this view of the host, or nothing when it can: the pure-v2 view
// of a hybrid host has hugetlb alone.
std::optional<std::string> missing_controller(std::initializer_list<std::string_view> names);
#define RINGC_NEED_CONTROLLERS(...)                                        \
  if (auto why_missing = ::ringc::test::missing_controller({__VA_ARGS__})) \
  GTEST_SKIP() << *why_missing

// A user namespace in the config text: root inside mapped to uid 100000
// and gid 200000 outside, 65536 ids each.
void with_user_namespace(std::string& config);

// The ringc binary under test: RINGC_TEST_BIN, or the one built here.
const char* ringc_bin();

// The whole file ("" when it cannot be read).
std::string slurp(const std::string& path);
// The file once it reads `expected` (what it holds at the deadline
// otherwise, 20 s): for output a process writes after an event says it
// started.
std::string slurp_when(const std::string& path, const std::string& expected);

// Replaces the first `from` in text (the test fails if absent).
void replace(std::string& text, const std::string& from, const std::string& to);
// Replaces the text from `from` up to (not including) the next `until`.
void replace_span(std::string& text, const std::string& from, const std::string& until,
                  const std::string& to);

class Priv : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // ringc --root <root> args...
  Cmd ringc(std::vector<std::string> args);
  // The same through one of ways(): the words it gives, then args.
  Cmd ringc_via(const std::vector<std::string>& way, std::vector<std::string> args);
  // The same, with in_child run in the forked child before the exec
  // (to open fds or set the environment ringc inherits).
  Cmd ringc_with(std::vector<std::string> args, std::function<void()> in_child);
  Running ringc_async(std::vector<std::string> args);

  // The words that send a command to a `ringc daemon` serving root_,
  // started on first use and stopped (TERM) when the test ends; with
  // `spawner`, one whose spawner clones the inits (RINGC_SPAWNER=1; the
  // other has none, whatever the CPU count), started in place of the other.
  std::vector<std::string> via_daemon(bool spawner = false);
  // What must read the same every way loops over these: the CLI, a daemon
  // cloning on its reactor's thread, a daemon with a spawner. The daemons
  // are started as the loop reaches them (each way once, in this order).
  struct Ways {
    Priv* t;
    struct It {
      Priv* t;
      int i;
      std::vector<std::string> operator*() const {
        return i == 0 ? std::vector<std::string>{} : t->via_daemon(i == 2);
      }
      It& operator++() { return ++i, *this; }
      bool operator!=(const It& o) const { return i != o.i; }
    };
    It begin() const { return {t, 0}; }
    It end() const { return {t, 3}; }
  };
  Ways ways() { return {this}; }

  // A bundle dir whose config.json is the default spec with these args,
  // the shared busybox rootfs, and `tweak` applied to the JSON text.
  std::string bundle(std::vector<std::string> args,
                     std::function<void(std::string&)> tweak = nullptr);

  // Blocks (pidfd poll) until pid has exited.
  static void wait_gone(pid_t pid);
  // Not running: gone, or a zombie its new parent has not reaped yet.
  static bool alive(pid_t pid);
  std::string id(const std::string& base);  // unique per test, remembered for cleanup
  bool cgroup_exists(const std::string& id) const;

  std::string root_;
  Running test_daemon_;
  bool test_daemon_spawner_ = false;
  void stop_test_daemon();
  std::vector<std::string> ids_;
  int bundles_ = 0;
  static std::string rootfs_;
};

}  // namespace ringc::test
