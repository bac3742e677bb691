// Divides by zero. The idiv is spelled out: for 1 / x, GCC may emit no
// division at all (x / 0 is undefined in C++, so it need not trap).
#include <inc/lib.h>

namespace {
volatile int zero;
}

void
umain(int, char **)
{
	int quotient;
	asm volatile("cltd; idivl %1" : "=a"(quotient) : "r"(zero), "a"(1) : "edx", "cc");
	cprintf("1/0 is %08x!\n", quotient);
}
