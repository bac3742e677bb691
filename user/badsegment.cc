// Loads a kernel-only selector into DS: 0x28 is the TSS descriptor
// (GD_TSS0), a system segment no data register may hold. The CPU raises a
// general protection fault whose error code is the selector.
#include <inc/lib.h>

void
umain(int, char **)
{
	asm volatile("movw $0x28, %%ax; movw %%ax, %%ds" : : : "rax");
}
