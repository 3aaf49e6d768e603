// Reverse-mode automatic differentiation: Var, backward, grad, gradcheck.
#pragma once

#include "duel/autograd/engine.hpp"
#include "duel/autograd/grad.hpp"
#include "duel/autograd/grad_mode.hpp"
#include "duel/autograd/gradcheck.hpp"
#include "duel/autograd/var.hpp"
#include "duel/tensor.hpp"
