// Only the file-system server may use I/O ports: this must trap (JOS lab 5).
#include <inc/lib.h>
#include <inc/x86.h>

void
umain(int, char **)
{
	if (read_rflags() & FL_IOPL_3)
		cprintf("rflags wrong\n");
	// Selecting disk 1 through the IDE port: a general protection fault,
	// since user code may not touch the I/O space.
	outb(0x1F6, 0xE0 | (1 << 4));
	cprintf("%s: made it here --- bug\n", binaryname);
}
