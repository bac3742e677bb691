// Reads kernel memory: a protection fault, not a kernel secret.
#include <inc/lib.h>

void
umain(int, char **)
{
	cprintf("I read %08x from the kernel!\n",
		*reinterpret_cast<volatile unsigned *>(KERNBASE + 0x100000));
}
