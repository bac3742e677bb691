// A bitmap font for the framebuffer console (kern/font.cc).
#pragma once

#include <inc/types.h>

constexpr int kFontWidth = 5, kFontHeight = 7;
constexpr int kFontFirst = 32, kFontLast = 126;

// The glyph of character c ('?' for one the font lacks): kFontHeight rows,
// top first; in each, bit kFontWidth-1 is the leftmost pixel.
const uint8_t *font_glyph(int c);
