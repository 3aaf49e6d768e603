// Storage: the aligned, shared buffer behind a tensor.
//
// Buffers are 64-byte aligned so that Eigen's AVX-512 kernels can use aligned loads. Several
// tensors may share one buffer (a reshape is a view, as in PyTorch); the buffer is freed when the
// last of them goes away.
#pragma once

#include <cstddef>
#include <memory>
#include <new>

namespace duel::detail {

inline constexpr std::size_t buffer_alignment = 64;

template <class T>
std::shared_ptr<T> allocate_storage(std::size_t count) {
  if (count == 0) return {};
  void* raw = ::operator new(count * sizeof(T), std::align_val_t{buffer_alignment});
  return std::shared_ptr<T>(static_cast<T*>(raw),
                            [](T* p) { ::operator delete(p, std::align_val_t{buffer_alignment}); });
}

}  // namespace duel::detail
