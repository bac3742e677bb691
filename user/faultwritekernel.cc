// Writes to the kernel's first page of text (KERNBASE + 1 MiB).
#include <inc/lib.h>

void
umain(int, char **)
{
	*reinterpret_cast<volatile unsigned *>(KERNBASE + 0x100000) = 0;
}
