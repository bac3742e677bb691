// Writes to an unmapped address: the kernel destroys only this environment.
#include <inc/lib.h>

void
umain(int, char **)
{
	*reinterpret_cast<volatile unsigned *>(0) = 0;
}
