// Measured quality: the Fréchet distance, and scores of generated digits from a classifier
// trained with Duel (FID, Inception Score, class coverage and confidence).
#pragma once

#include "duel/metrics/classifier.hpp"
#include "duel/metrics/frechet.hpp"
#include "duel/metrics/scores.hpp"
