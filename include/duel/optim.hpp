// Optimizers: SGD, Adam, AdamW.
#pragma once

#include "duel/optim/adam.hpp"
#include "duel/optim/optimizer.hpp"
#include "duel/optim/sgd.hpp"
