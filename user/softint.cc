// Raises a page-fault vector by hand: `int $14` from user mode goes through
// a gate only the kernel may use (DPL 0), so the CPU turns it into a
// general protection fault, and the kernel destroys only this environment.
#include <inc/lib.h>

void
umain(int, char **)
{
	asm volatile("int $14");
}
