// The .bss: 4 MiB that the kernel must have mapped and zeroed (load_icode
// copies only a segment's file bytes). Then a write past its end, which
// must fault.
#include <inc/lib.h>

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
	// Far enough past the end to leave the last page the array shares.
	// (Through an address the compiler cannot see the array behind.)
	uintptr_t past_end = reinterpret_cast<uintptr_t>(bigarray) + (kArraySize + 1024) * 4;
	asm volatile("" : "+r"(past_end));
	*reinterpret_cast<volatile uint32_t *>(past_end) = 0;
	panic("SHOULD HAVE TRAPPED!!!");
}
