// Everything in Duel.
#pragma once

#include "duel/data.hpp"
#include "duel/gan.hpp"
#include "duel/io.hpp"
#include "duel/metrics.hpp"
#include "duel/nn.hpp"
#include "duel/ops.hpp"
#include "duel/optim.hpp"
