// Device access control on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE
// program made from linux.resources.devices and attached to the
// container's cgroup, the v2 counterpart of devices.allow/deny.
#pragma once

#include <cstdint>
#include <vector>

#include "cgroup/layout.h"
#include "cgroup/resources.h"

namespace ringc::cgroup {

struct BpfInsn {  // the kernel's struct bpf_insn
  uint8_t code;
  uint8_t regs;  // dst in the low nibble, src in the high one
  int16_t off;
  int32_t imm;
};

// The program for `rules`, applied like the v1 controller applies them in
// order: the last rule that matches a device decides; none matching denies.
std::vector<BpfInsn> device_program(const std::vector<DeviceRule>& rules);

// Loads the program and attaches it to the cgroup directory `cgroup_fd`
// (BPF_F_ALLOW_MULTI, so a parent's programs still apply). -errno. The last
// few programs loaded are kept loaded and attached again as they are.
int attach_device_program(int cgroup_fd, const std::vector<BpfInsn>& prog);

// Loads the program into that cache (its fd, or -errno) without attaching
// it: a caller about to clone does the verifier's work once, and each
// child attaches its inherited copy with attach_loaded_program (never
// through the cache, whose fds a child closes).
int load_device_program(const std::vector<BpfInsn>& prog);
int attach_loaded_program(int cgroup_fd, int prog_fd);

}  // namespace ringc::cgroup
