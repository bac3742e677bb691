// Keeps its CPU for about a second and then exits by itself: spins in user
// mode, making no system call, until the TSC has moved on by 2^31 (0.7 to
// 2 s at the clock rates QEMU gives it). Without preemption it still ends,
// so a boot that shows what a kernel without it does (the timer stub's
// notice) finishes the same way on an idle host and a busy one.
#include <inc/lib.h>
#include <inc/x86.h>

void
umain(int, char **)
{
	uint64_t start = rdtsc();
	while (rdtsc() - start < (uint64_t{1} << 31))
		asm volatile("pause");
	cprintf("spintsc: done on CPU %d\n", thisenv->env_cpunum);
}
