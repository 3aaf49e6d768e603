// Workspace: scratch buffers that kernels reuse from call to call.
//
// Convolution needs large temporary matrices (columns or a chunk's NHWC images, the product or the
// gathered gradient of a chunk, window planes: slots 0 to 2; a channels-last image, the reordered
// weights and their gradient: 6 to 8), and the GEMM kernel its packed panels (slots 3 to 5).
// Allocating them afresh on every call would cost page faults and heap traffic on every training
// step; instead each thread keeps a few numbered slots that only ever grow, so steady-state
// training allocates nothing here.
#pragma once

#include <array>
#include <cstddef>
#include <memory>

#include "duel/tensor/storage.hpp"

namespace duel::detail {

// A buffer of at least count elements of T in the calling thread's slot. The pointer stays valid
// until the same thread asks the same slot for a larger buffer.
template <class T>
T* workspace(int slot, std::size_t count) {
  struct Slot {
    std::shared_ptr<T> data;
    std::size_t capacity = 0;
  };
  thread_local std::array<Slot, 9> slots;
  Slot& s = slots[static_cast<std::size_t>(slot)];
  if (count > s.capacity) {
    s.data = allocate_storage<T>(count);
    s.capacity = count;
  }
  return s.data.get();
}

}  // namespace duel::detail
