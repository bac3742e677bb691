// Jumps into its stack: user stacks are not executable (NX).
#include <inc/lib.h>

void
umain(int, char **)
{
	unsigned char code[] = {0xC3};	// ret
	reinterpret_cast<void (*)()>(code)();
	cprintf("I ran code on my stack!\n");
}
