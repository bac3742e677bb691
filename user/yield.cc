// Yields the CPU a few times, saying where it runs each time.
#include <inc/lib.h>

void
umain(int, char **)
{
	cprintf("Hello, I am environment %08x, cpu %d.\n", thisenv->env_id, thisenv->env_cpunum);
	for (int i = 0; i < 5; i++) {
		sys_yield();
		cprintf("Back in environment %08x, iteration %d, cpu %d.\n", thisenv->env_id, i,
			thisenv->env_cpunum);
	}
	cprintf("All done in environment %08x.\n", thisenv->env_id);
}
