// A growing table of T whose elements never move (SQEs point into them),
// kept in chunks of anonymous memory marked MADV_DONTFORK: a child that
// clone3 makes does not get a copy of the page tables, so spawning costs
// the same at 10 supervised containers as at 10,000.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace ringc {

template <class T, size_t kChunk = 1024>
class NoForkArena {
 public:
  NoForkArena() = default;
  NoForkArena(const NoForkArena&) = delete;
  NoForkArena& operator=(const NoForkArena&) = delete;
  ~NoForkArena() {
    for (size_t i = 0; i < size_; ++i) (*this)[i].~T();
    for (T* c : chunks_) ::munmap(c, kBytes);
  }

  T& operator[](size_t i) { return chunks_[i / kChunk][i % kChunk]; }
  const T& operator[](size_t i) const { return chunks_[i / kChunk][i % kChunk]; }
  size_t size() const { return size_; }

  // Appends a default T; throws std::bad_alloc when no memory is left.
  T& emplace_back() {
    if (size_ == chunks_.size() * kChunk) {
      void* p = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      ::madvise(p, kBytes, MADV_DONTFORK);
      chunks_.push_back(static_cast<T*>(p));
    }
    T* slot = &chunks_[size_ / kChunk][size_ % kChunk];
    ++size_;
    return *new (slot) T();
  }

  template <class F>
  void each(F&& f) const {
    for (size_t i = 0; i < size_; ++i) f((*this)[i]);
  }

 private:
  static constexpr size_t kBytes = sizeof(T) * kChunk;
  std::vector<T*> chunks_;
  size_t size_ = 0;
};

}  // namespace ringc
