// Duel's files and output: safetensors checkpoints, PNG image grids, SVG plots, CSV logs, a
// progress bar, and atomic writes under all of them.
#pragma once

#include "duel/io/atomic_file.hpp"
#include "duel/io/cli.hpp"
#include "duel/io/csv_log.hpp"
#include "duel/io/file.hpp"
#include "duel/io/image_grid.hpp"
#include "duel/io/json.hpp"
#include "duel/io/png.hpp"
#include "duel/io/progress.hpp"
#include "duel/io/safetensors.hpp"
#include "duel/io/safetensors_header.hpp"
#include "duel/io/stb_image_write.hpp"
#include "duel/io/svg_plot.hpp"
#include "duel/io/utf8.hpp"
