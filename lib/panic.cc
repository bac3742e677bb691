// panic and warn for user programs.

#include <inc/lib.h>

// Prints "[envid] user panic in <program> at <file>:<line>: <message>" and
// traps into the kernel with a breakpoint.
void
_panic(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cprintf("[%08x] user panic in %s at %s:%d: ", sys_getenvid(), binaryname, file, line);
	vcprintf(fmt, ap);
	cprintf("\n");
	va_end(ap);
	for (;;)
		asm volatile("int3");
}

void
_warn(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cprintf("[%08x] user warning at %s:%d: ", sys_getenvid(), file, line);
	vcprintf(fmt, ap);
	cprintf("\n");
	va_end(ap);
}
