// Everything in Duel.
#pragma once

#include "duel/ops.hpp"
