#include "duel/tensor/buffer_pool.hpp"

#include <doctest/doctest.h>

#include <cstdint>

#include "duel/tensor/tensor.hpp"

using duel::detail::BufferPool;

namespace {

// Runs a test with a fresh pool of the given limit, and puts the pool's limit back afterwards.
struct PoolGuard {
  std::size_t saved = duel::buffer_cache_limit();
  explicit PoolGuard(std::size_t limit) {
    duel::release_cached_buffers();
    duel::set_buffer_cache_limit(limit);
  }
  ~PoolGuard() {
    duel::release_cached_buffers();
    duel::set_buffer_cache_limit(saved);
  }
};

constexpr std::size_t MiB = std::size_t(1) << 20;

}  // namespace

TEST_CASE("BufferPool: a freed large buffer serves the next request of its rounded size") {
  const PoolGuard guard(64 * MiB);
  BufferPool& pool = BufferPool::instance();
  void* a = pool.allocate(MiB);
  CHECK(reinterpret_cast<std::uintptr_t>(a) % duel::detail::buffer_alignment == 0);
  pool.release(a, MiB);
  CHECK(duel::cached_buffer_bytes() == MiB);
  void* b = pool.allocate(MiB - 100);  // rounds up to the same 4 KiB multiple
  CHECK(b == a);
  CHECK(duel::cached_buffer_bytes() == 0);
  pool.release(b, MiB - 100);
  void* c = pool.allocate(MiB + 4096);  // another size: a new buffer
  CHECK(c != a);
  pool.release(c, MiB + 4096);
  CHECK(duel::cached_buffer_bytes() == 2 * MiB + 4096);
}

TEST_CASE("BufferPool: small buffers are not cached") {
  const PoolGuard guard(64 * MiB);
  BufferPool& pool = BufferPool::instance();
  pool.release(pool.allocate(1000), 1000);
  pool.release(pool.allocate(BufferPool::smallest - 1), BufferPool::smallest - 1);
  CHECK(duel::cached_buffer_bytes() == 0);
}

TEST_CASE("BufferPool: buffers freed beyond the limit go back to the system") {
  const PoolGuard guard(3 * MiB);
  BufferPool& pool = BufferPool::instance();
  void* a = pool.allocate(2 * MiB);
  void* b = pool.allocate(2 * MiB);
  pool.release(a, 2 * MiB);
  pool.release(b, 2 * MiB);
  CHECK(duel::cached_buffer_bytes() == 2 * MiB);
  duel::set_buffer_cache_limit(MiB);  // below what is cached: the pool empties
  CHECK(duel::cached_buffer_bytes() == 0);
  duel::set_buffer_cache_limit(0);  // no caching at all
  pool.release(pool.allocate(2 * MiB), 2 * MiB);
  CHECK(duel::cached_buffer_bytes() == 0);
}

TEST_CASE("release_cached_buffers empties the pool") {
  const PoolGuard guard(64 * MiB);
  BufferPool::instance().release(BufferPool::instance().allocate(MiB), MiB);
  REQUIRE(duel::cached_buffer_bytes() == MiB);
  duel::release_cached_buffers();
  CHECK(duel::cached_buffer_bytes() == 0);
}

TEST_CASE("A tensor freed in one iteration lends its buffer to the same tensor in the next") {
  const PoolGuard guard(64 * MiB);
  const float* first = nullptr;
  {
    const auto t = duel::Tensor<float>::empty({64, 64, 14, 14});
    first = t.data();
  }
  const auto again = duel::Tensor<float>::empty({64, 64, 14, 14});
  CHECK(again.data() == first);
}
