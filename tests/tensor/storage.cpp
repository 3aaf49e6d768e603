#include "duel/tensor/storage.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>

using duel::detail::allocate_storage;
using duel::detail::buffer_alignment;

TEST_CASE("allocate_storage: 64-byte aligned buffers, none for zero elements") {
  for (std::size_t count : {1u, 3u, 17u, 1000u}) {
    auto f = allocate_storage<float>(count);
    auto d = allocate_storage<double>(count);
    CHECK(reinterpret_cast<std::uintptr_t>(f.get()) % buffer_alignment == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(d.get()) % buffer_alignment == 0);
    f.get()[count - 1] = 1.0f;  // the whole range is writable (the sanitizer build checks this)
    d.get()[count - 1] = 1.0;
  }
  CHECK(allocate_storage<double>(0) == nullptr);
}

TEST_CASE("allocate_storage: the buffer lives as long as its last owner") {
  std::weak_ptr<int> watch;
  {
    auto a = allocate_storage<int>(4);
    watch = a;
    auto b = a;
    a.reset();
    CHECK_FALSE(watch.expired());
  }
  CHECK(watch.expired());
}
