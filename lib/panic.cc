// panic and warn for user programs.

#include <inc/lib.h>

// Prints "[envid] user panic in <program> at <file>:<line>: <message>" and
// traps into the kernel with a breakpoint.
void
_panic(const char *file, int line, const char *fmt, ...)
{
	// One line, one system call: another environment's output cannot
	// land inside it.
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(msg, sizeof(msg), "[%08x] user panic in %s at %s:%d: ", sys_getenvid(),
			 binaryname, file, line);
	if (n < static_cast<int>(sizeof(msg)))
		vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	cprintf("%s\n", msg);
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
