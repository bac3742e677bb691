// Asks the kernel to print kernel memory: the kernel must refuse.
#include <inc/lib.h>

void
umain(int, char **)
{
	// The kernel's entry point: kernel memory, not ours to read.
	sys_cputs(reinterpret_cast<const char *>(KERNBASE + 0x10000C), 100);
}
