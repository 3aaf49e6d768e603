// Layers and networks: Module, Sequential, Linear, Conv2d, ConvTranspose2d, normalisation,
// Embedding, activations, max pooling, reshaping layers, initialisation.
#pragma once

#include "duel/nn/activation.hpp"
#include "duel/nn/conv.hpp"
#include "duel/nn/embedding.hpp"
#include "duel/nn/init.hpp"
#include "duel/nn/linear.hpp"
#include "duel/nn/module.hpp"
#include "duel/nn/normalization.hpp"
#include "duel/nn/pool.hpp"
#include "duel/nn/reshape.hpp"
#include "duel/nn/sequential.hpp"
#include "duel/nn/state_dict.hpp"
#include "duel/ops.hpp"
