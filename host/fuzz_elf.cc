// libFuzzer target: the user-program ELF checker (the input is the image).
#include <vector>

#include <inc/memlayout.h>
#include <kern/elf.h>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	// A copy of exactly `size` bytes, so that any read past it is caught.
	std::vector<uint8_t> image(data, data + size);
	static ElfImage img;
	char err[128];
	if (elf_check(image.data(), image.size(), UTEXT, USTACKTOP - PGSIZE, &img, err, sizeof(err))) {
		// What the checker promised must hold.
		for (int i = 0; i < img.nsegs; i++)
			if (img.segs[i].offset + img.segs[i].filesz > size ||
			    img.segs[i].va + img.segs[i].memsz > USTACKTOP - PGSIZE)
				__builtin_trap();
	}
	return 0;
}
