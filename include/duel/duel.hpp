// Everything in Duel.
#pragma once

#include "duel/nn.hpp"
#include "duel/ops.hpp"
#include "duel/optim.hpp"
