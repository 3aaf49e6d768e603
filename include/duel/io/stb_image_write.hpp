// stb_image_write, compiled into every translation unit that includes it with internal linkage
// (STB_IMAGE_WRITE_STATIC), so that the library stays header-only and never clashes with a user's
// own copy of stb. It encodes PNG files and compresses zlib streams.
#pragma once

#ifndef STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#else
#include <stb_image_write.h>
#endif
