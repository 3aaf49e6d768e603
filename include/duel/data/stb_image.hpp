// stb_image, compiled into every translation unit that includes it with internal linkage
// (STB_IMAGE_STATIC), so that the library stays header-only and never clashes with a user's own
// copy of stb. It decodes PNG and JPEG files and inflates zlib/deflate streams (used for .gz).
#pragma once

#ifndef STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
#undef STB_IMAGE_IMPLEMENTATION
#else
#include <stb_image.h>
#endif
