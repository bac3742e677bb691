// The .bss: 4 MiB that the kernel must have mapped and zeroed (load_icode
// copies only a segment's file bytes). Then a write past its end, which
// must fault.
#include <inc/lib.h>

extern "C" char end[];

namespace {
constexpr uint32_t kArraySize = 1024 * 1024;
uint32_t bigarray[kArraySize];
} // namespace

void
umain(int, char **)
{
	cprintf("Making sure bss works right...\n");
	for (uint32_t i = 0; i < kArraySize; i++)
		if (bigarray[i] != 0)
			panic("bigarray[%u] isn't cleared!", i);
	for (uint32_t i = 0; i < kArraySize; i++)
		bigarray[i] = i;
	for (uint32_t i = 0; i < kArraySize; i++)
		if (bigarray[i] != i)
			panic("bigarray[%u] didn't hold its value!", i);

	cprintf("Yes, good.  Now doing a wild write off the end...\n");
	// A page past the end of the program's memory (the linker's `end`:
	// the library's own .bss may follow the array), where nothing is
	// mapped. (Through an address the compiler cannot see an object
	// behind.)
	uintptr_t past_end = ROUNDUP(reinterpret_cast<uintptr_t>(end), PGSIZE) + PGSIZE;
	asm volatile("" : "+r"(past_end));
	*reinterpret_cast<volatile uint32_t *>(past_end) = 0;
	panic("SHOULD HAVE TRAPPED!!!");
}
