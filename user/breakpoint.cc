// A breakpoint: the kernel monitor takes over (or, with monitor=off, the
// environment ends).
#include <inc/lib.h>

void
umain(int, char **)
{
	asm volatile("int3");
	cprintf("back from the breakpoint\n");
}
