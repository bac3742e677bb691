// Executes a privileged instruction: a general protection fault that ends
// this environment and nothing else.
#include <inc/lib.h>

void
umain(int, char **)
{
	cprintf("i am about to halt the machine from user mode\n");
	asm volatile("hlt");
	cprintf("the machine let me halt it!\n");
}
