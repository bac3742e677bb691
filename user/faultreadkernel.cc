// Reads the kernel's first page of text (KERNBASE + 1 MiB): mapped, but
// not for user mode. A protection fault, and only this environment ends.
#include <inc/lib.h>

void
umain(int, char **)
{
	cprintf("I read %08x from location 0x%lx!\n",
		*reinterpret_cast<volatile unsigned *>(KERNBASE + 0x100000), KERNBASE + 0x100000);
}
