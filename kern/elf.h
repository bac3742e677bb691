// Checking user program images before loading them.
#pragma once

#include <inc/elf.h>
#include <inc/types.h>

constexpr int kMaxElfSegments = 16;

struct ElfSegment {
	uint64_t va;
	uint64_t memsz;
	uint64_t offset;	// in the file
	uint64_t filesz;
	uint32_t flags;		// PF_R | PF_W | PF_X
};

struct ElfImage {
	uint64_t entry;
	ElfSegment segs[kMaxElfSegments];
	int nsegs;
};

// Checks that bin[0..size) is a little-endian ELF64 x86-64 executable whose
// loadable segments lie inside the file and inside [lo, hi), do not overlap
// one another, and whose entry point lies in an executable segment. Fills
// img and returns true; otherwise writes the first problem to err.
bool elf_check(const uint8_t *bin, size_t size, uint64_t lo, uint64_t hi, ElfImage *img,
	       char *err, size_t errlen);
