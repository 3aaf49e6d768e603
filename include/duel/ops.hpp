// Differentiable operations on Vars.
#pragma once

#include "duel/autograd.hpp"
#include "duel/ops/activation.hpp"
#include "duel/ops/arithmetic.hpp"
#include "duel/ops/broadcast.hpp"
#include "duel/ops/math.hpp"
#include "duel/ops/matmul.hpp"
#include "duel/ops/reduce.hpp"
#include "duel/ops/shape.hpp"
#include "duel/ops/slice.hpp"
#include "duel/ops/softmax.hpp"
