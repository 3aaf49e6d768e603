// Duel's data layer: IDX and gzip files, MNIST, folders of images, and the DataLoader.
#pragma once

#include "duel/data/dataloader.hpp"
#include "duel/data/dataset.hpp"
#include "duel/data/gzip.hpp"
#include "duel/data/idx.hpp"
#include "duel/data/image_folder.hpp"
#include "duel/data/mnist.hpp"
