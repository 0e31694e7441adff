#include "cgroup/devices_bpf.h"

#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/base/sys.h"

namespace ringc::cgroup {

namespace {
// Registers: r1 the context; loaded from it r2 = device type, r3 = access,
// r4 = major, r5 = minor; r0 the verdict, r1 scratch once read.
constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

BpfInsn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return {code, uint8_t(dst | (src << 4)), off, imm};
}
BpfInsn load_u32(uint8_t dst, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, R1, off, 0);
}
BpfInsn alu(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
BpfInsn mov_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
BpfInsn jne(uint8_t dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm);
}
BpfInsn ret(int32_t v) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, v);
}
BpfInsn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access)
    bits |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  return bits;
}
}  // namespace

std::vector<BpfInsn> device_program(const std::vector<DeviceRule>& rules) {
  std::vector<BpfInsn> p = {
      load_u32(R2, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu(BPF_AND, R2, 0xffff),
      load_u32(R3, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu(BPF_RSH, R3, 16),
      load_u32(R4, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(R5, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  // Last rule first: the first match found is the last that applies.
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    const DeviceRule& r = *it;
    std::vector<BpfInsn> tests;  // each jumps past the block when the rule does not match
    if (r.type != 'a') {
      tests.push_back(jne(R2, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
      int32_t bits = access_bits(r.access);
      if (bits != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
        // Matches only when every access asked for is in the rule.
        tests.push_back(mov_reg(R1, R3));
        tests.push_back(alu(BPF_AND, R1, ~bits));
        tests.push_back(jne(R1, 0, 0));
      }
      if (r.major >= 0) tests.push_back(jne(R4, int32_t(r.major), 0));
      if (r.minor >= 0) tests.push_back(jne(R5, int32_t(r.minor), 0));
    }
    const int16_t block = int16_t(tests.size() + 2);  // the tests, then the verdict and exit
    for (size_t i = 0; i < tests.size(); ++i) {
      if ((tests[i].code & 0x07) == BPF_JMP) tests[i].off = int16_t(block - int16_t(i) - 1);
      p.push_back(tests[i]);
    }
    p.push_back(ret(r.allow ? 1 : 0));
    p.push_back(exit_insn());
    // A rule for all devices matches everything: nothing before it in the
    // list can apply (and the verifier refuses unreachable code).
    if (r.type == 'a') return p;
  }
  p.push_back(ret(0));
  p.push_back(exit_insn());
  return p;
}

namespace {
// Loading runs the kernel's verifier, a few hundred µs; a batch or a
// daemon attaches the same program to every container of one config. So
// the last few programs loaded stay loaded, found by their instructions.
int loaded_program(const std::vector<BpfInsn>& prog) {
  struct Loaded {
    std::vector<BpfInsn> insns;
    int fd;
  };
  static std::mutex lock;
  static std::vector<Loaded> kept;
  constexpr size_t kKept = 8;
  std::lock_guard guard(lock);
  for (auto& k : kept)
    if (k.insns.size() == prog.size() &&
        std::memcmp(k.insns.data(), prog.data(), prog.size() * sizeof(BpfInsn)) == 0)
      return k.fd;
  static char license[] = "Apache-2.0";
  bpf_attr load;
  std::memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = uint64_t(reinterpret_cast<uintptr_t>(prog.data()));
  load.insn_cnt = uint32_t(prog.size());
  load.license = uint64_t(reinterpret_cast<uintptr_t>(license));
  int fd = sys::bpf(BPF_PROG_LOAD, &load, sizeof load);  // O_CLOEXEC
  if (fd == -EAGAIN) {
    // The verifier gives up when the calling thread has a signal or task
    // work pending, and io_uring's io-wq queues task work on the thread
    // that submitted (a worker to create): a busy reactor has some again
    // by its next try. A thread of its own has none; tried a few times
    // there, as libbpf tries.
    std::thread([&] {
      for (int tries = 0; tries < 5 && fd == -EAGAIN; ++tries)
        fd = sys::bpf(BPF_PROG_LOAD, &load, sizeof load);
    }).join();
  }
  if (fd < 0) return fd;
  if (kept.size() == kKept) {
    ::close(kept.front().fd);  // attachments hold their own references
    kept.erase(kept.begin());
  }
  kept.push_back({prog, fd});
  return fd;
}
// Whether the program behind prog_fd is among the device programs
// attached to the cgroup (its id in BPF_PROG_QUERY's list).
bool is_attached(int cgroup_fd, int prog_fd) {
  bpf_prog_info info;
  std::memset(&info, 0, sizeof info);
  bpf_attr get;
  std::memset(&get, 0, sizeof get);
  get.info.bpf_fd = uint32_t(prog_fd);
  get.info.info_len = sizeof info;
  get.info.info = uint64_t(reinterpret_cast<uintptr_t>(&info));
  if (sys::bpf(BPF_OBJ_GET_INFO_BY_FD, &get, sizeof get) < 0) return false;
  uint32_t ids[64];
  bpf_attr q;
  std::memset(&q, 0, sizeof q);
  q.query.target_fd = uint32_t(cgroup_fd);
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = uint64_t(reinterpret_cast<uintptr_t>(ids));
  q.query.prog_cnt = 64;
  if (sys::bpf(BPF_PROG_QUERY, &q, sizeof q) < 0) return false;
  for (uint32_t i = 0; i < q.query.prog_cnt && i < 64; ++i)
    if (ids[i] == info.id) return true;
  return false;
}
}  // namespace

int load_device_program(const std::vector<BpfInsn>& prog) {
  return loaded_program(prog);
}

int attach_device_program(int cgroup_fd, const std::vector<BpfInsn>& prog) {
  int fd = loaded_program(prog);
  if (fd < 0) return fd;
  return attach_loaded_program(cgroup_fd, fd);
}

int attach_loaded_program(int cgroup_fd, int fd) {
  bpf_attr attach;
  std::memset(&attach, 0, sizeof attach);
  attach.target_fd = uint32_t(cgroup_fd);
  attach.attach_bpf_fd = uint32_t(fd);
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  int r = sys::bpf(BPF_PROG_ATTACH, &attach, sizeof attach);
  // The kept program may be attached here already: a container restarted
  // in the cgroup it had (the kernel refuses the same program twice).
  if (r == -EINVAL && is_attached(cgroup_fd, fd)) return 0;
  return r < 0 ? r : 0;
}

}  // namespace ringc::cgroup
