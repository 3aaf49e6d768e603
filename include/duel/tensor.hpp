// Duel's lowest layer: tensors, shapes, random numbers, threads.
#pragma once

#include "duel/tensor/broadcast.hpp"
#include "duel/tensor/buffer_pool.hpp"
#include "duel/tensor/error.hpp"
#include "duel/tensor/factories.hpp"
#include "duel/tensor/parallel.hpp"
#include "duel/tensor/print.hpp"
#include "duel/tensor/random.hpp"
#include "duel/tensor/reduce.hpp"
#include "duel/tensor/shape.hpp"
#include "duel/tensor/storage.hpp"
#include "duel/tensor/tensor.hpp"
