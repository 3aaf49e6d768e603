// The buffer pool: freed tensor buffers kept for the next tensor of the same size.
//
// A training iteration allocates the same tensors every time, about 120 MiB of them for
// dcgan28. glibc hands large freed blocks back to the kernel (munmap, or trimming the top of the
// heap), so without a pool every iteration page-faults all of that memory in again: dcgan28 took
// 56 ms per iteration at one thread where it takes 47 with the memory kept. The pool keeps freed
// buffers of 64 KiB or more, by size rounded up to 4 KiB, and hands them to the next request of
// that size. Smaller buffers go straight to operator new, whose bins keep them well.
//
// The pool holds at most buffer_cache_limit() bytes (1 GiB unless set); a buffer freed beyond it
// goes back to the system. release_cached_buffers() empties it, as torch.cuda.empty_cache() does
// for PyTorch's GPU memory. Under AddressSanitizer the limit starts at 0, so that a tensor's
// buffer used after it was freed is still caught.
#pragma once

#include <cstddef>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace duel {
namespace detail {

// Whether AddressSanitizer is on (g++ defines __SANITIZE_ADDRESS__, clang answers __has_feature).
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool address_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool address_sanitizer = true;
#else
inline constexpr bool address_sanitizer = false;
#endif
#else
inline constexpr bool address_sanitizer = false;
#endif

inline constexpr std::size_t buffer_alignment = 64;  // Eigen's AVX-512 kernels load aligned

class BufferPool {
 public:
  static constexpr std::size_t smallest = std::size_t(64) << 10, granule = std::size_t(4) << 10;

  // The pool of the process. Never destroyed, so that tensors that outlive main (statics) can
  // still give their buffers back.
  static BufferPool& instance() {
    static BufferPool* pool = new BufferPool;
    return *pool;
  }

  // The size a request of `bytes` is served with: the pool's sizes are multiples of the granule.
  static std::size_t rounded(std::size_t bytes) { return bytes < smallest ? bytes : (bytes + granule - 1) / granule * granule; }

  void* allocate(std::size_t bytes) {
    bytes = rounded(bytes);
    if (bytes >= smallest) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(bytes);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= bytes;
        return p;
      }
    }
    return ::operator new(bytes, std::align_val_t{buffer_alignment});
  }

  void release(void* p, std::size_t bytes) noexcept {
    bytes = rounded(bytes);
    if (bytes >= smallest) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + bytes <= limit_) {
        try {
          free_[bytes].push_back(p);
          cached_ += bytes;
          return;
        } catch (const std::bad_alloc&) {  // no room for the bookkeeping: free the buffer instead
        }
      }
    }
    ::operator delete(p, std::align_val_t{buffer_alignment});
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [bytes, buffers] : free_)
      for (void* p : buffers) ::operator delete(p, std::align_val_t{buffer_alignment});
    free_.clear();
    cached_ = 0;
  }

  std::size_t cached_bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

  std::size_t limit() {
    std::lock_guard<std::mutex> lock(mutex_);
    return limit_;
  }

  void set_limit(std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      limit_ = bytes;
      if (cached_ <= limit_) return;
    }
    clear();
  }

 private:
  BufferPool() = default;

  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;  // rounded size -> free buffers
  std::size_t cached_ = 0, limit_ = address_sanitizer ? 0 : std::size_t(1) << 30;
};

}  // namespace detail

// Bytes of freed tensor buffers the pool keeps for reuse.
inline std::size_t cached_buffer_bytes() { return detail::BufferPool::instance().cached_bytes(); }

// Gives every cached buffer back to the system.
inline void release_cached_buffers() { detail::BufferPool::instance().clear(); }

// The most the pool keeps; 0 turns caching off. Lowering it below what is cached empties the pool.
inline std::size_t buffer_cache_limit() { return detail::BufferPool::instance().limit(); }
inline void set_buffer_cache_limit(std::size_t bytes) { detail::BufferPool::instance().set_limit(bytes); }

}  // namespace duel
