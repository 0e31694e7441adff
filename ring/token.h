// What a completion's user_data carries: a slot, the slot's generation and an
// operation tag. No pointers: a completion for a recycled slot is recognised
// by its stale generation and dropped.
#pragma once

#include <cstdint>

namespace ringc::ring {

struct Token {
  uint32_t slot = 0;
  uint16_t generation = 0;
  uint16_t tag = 0;

  constexpr uint64_t pack() const {
    return uint64_t(slot) << 32 | uint64_t(generation) << 16 | tag;
  }
  static constexpr Token unpack(uint64_t v) {
    return {uint32_t(v >> 32), uint16_t(v >> 16), uint16_t(v)};
  }
  friend constexpr bool operator==(Token, Token) = default;
};

// Tags below this are the engine's container operations; from here on they
// belong to other users of the same ring (the daemon's socket server).
inline constexpr uint16_t kOtherTagBase = 0x100;

// user_data of completions nobody waits for (linked timeouts that fired
// their target's cancellation, cancels). Never a valid packed token: tag 0xffff.
inline constexpr uint64_t kIgnored = 0xffffULL;

}  // namespace ringc::ring
