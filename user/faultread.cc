// Reads from an unmapped address: the kernel destroys only this environment.
#include <inc/lib.h>

void
umain(int, char **)
{
	cprintf("I read %08x from location 0!\n", *reinterpret_cast<volatile unsigned *>(0));
}
