// GANs: the two players, their losses and penalties, the trainer, checkpoints and ready models.
#pragma once

#include "duel/gan/checkpoint.hpp"
#include "duel/gan/losses.hpp"
#include "duel/gan/models.hpp"
#include "duel/gan/monitor.hpp"
#include "duel/gan/networks.hpp"
#include "duel/gan/run.hpp"
#include "duel/gan/sampling.hpp"
#include "duel/gan/trainer.hpp"
