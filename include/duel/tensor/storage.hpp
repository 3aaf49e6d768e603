// Storage: the aligned, shared buffer behind a tensor.
//
// Buffers are 64-byte aligned so that Eigen's AVX-512 kernels can use aligned loads, and come
// from the buffer pool (buffer_pool.hpp), which reuses the buffers of freed tensors. Several
// tensors may share one buffer (a reshape is a view, as in PyTorch); the buffer goes back to the
// pool when the last of them goes away.
#pragma once

#include <cstddef>
#include <memory>

#include "duel/tensor/buffer_pool.hpp"

namespace duel::detail {

template <class T>
std::shared_ptr<T> allocate_storage(std::size_t count) {
  if (count == 0) return {};
  const std::size_t bytes = count * sizeof(T);
  return std::shared_ptr<T>(static_cast<T*>(BufferPool::instance().allocate(bytes)),
                            [bytes](T* p) { BufferPool::instance().release(p, bytes); });
}

}  // namespace duel::detail
