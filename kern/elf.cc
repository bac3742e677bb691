// The ELF checker: pure (no kernel state), so host tests and fuzzers run it
// as the kernel does. Every field is distrusted until checked, and every
// sum is checked for overflow.

#include <inc/stdio.h>
#include <inc/string.h>
#include <kern/elf.h>

namespace {

bool
fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

bool
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, static_cast<int>(errlen), fmt, ap);
	va_end(ap);
	return false;
}

// a + b without wrapping, or false.
bool
add(uint64_t a, uint64_t b, uint64_t *sum)
{
	return !__builtin_add_overflow(a, b, sum);
}

} // namespace

bool
elf_check(const uint8_t *bin, size_t size, uint64_t lo, uint64_t hi, ElfImage *img, char *err,
	  size_t errlen)
{
	memset(img, 0, sizeof(*img));
	Elf64_Ehdr eh;
	if (size < sizeof(eh))
		return fail(err, errlen, "%zu bytes is too short for an ELF header", size);
	memcpy(&eh, bin, sizeof(eh));
	if (eh.e_magic != ELF_MAGIC)
		return fail(err, errlen, "not an ELF file (bad magic)");
	if (eh.e_class != 2 || eh.e_data != 1)
		return fail(err, errlen, "not a little-endian 64-bit ELF file");
	if (eh.e_type != ET_EXEC || eh.e_machine != EM_X86_64)
		return fail(err, errlen, "not an x86-64 executable (type %u, machine %u)", eh.e_type,
			    eh.e_machine);
	uint64_t ph_end;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    !add(eh.e_phoff, static_cast<uint64_t>(eh.e_phnum) * sizeof(Elf64_Phdr), &ph_end) ||
	    ph_end > size)
		return fail(err, errlen, "the program headers run past the end of the file");

	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, bin + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		uint64_t file_end, va_end;
		if (ph.p_filesz > ph.p_memsz)
			return fail(err, errlen, "segment %d has more file bytes than memory bytes", i);
		if (!add(ph.p_offset, ph.p_filesz, &file_end) || file_end > size)
			return fail(err, errlen, "segment %d runs past the end of the file", i);
		if (!add(ph.p_vaddr, ph.p_memsz, &va_end) || ph.p_vaddr < lo || va_end > hi)
			return fail(err, errlen, "segment %d [%#lx, +%#lx) is outside user memory "
				    "[%#lx, %#lx)", i, ph.p_vaddr, ph.p_memsz, lo, hi);
		for (int j = 0; j < img->nsegs; j++) {
			const ElfSegment &s = img->segs[j];
			if (ph.p_vaddr < s.va + s.memsz && s.va < va_end)
				return fail(err, errlen, "segment %d overlaps another segment", i);
		}
		if (img->nsegs == kMaxElfSegments)
			return fail(err, errlen, "more than %d loadable segments", kMaxElfSegments);
		img->segs[img->nsegs++] =
			ElfSegment{ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags};
	}
	if (img->nsegs == 0)
		return fail(err, errlen, "no loadable segment");
	for (int j = 0; j < img->nsegs; j++) {
		const ElfSegment &s = img->segs[j];
		if ((s.flags & PF_X) && eh.e_entry >= s.va && eh.e_entry < s.va + s.memsz) {
			img->entry = eh.e_entry;
			return true;
		}
	}
	return fail(err, errlen, "the entry point %#lx is not in an executable segment", eh.e_entry);
}
