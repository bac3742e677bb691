// Works a little, yields the CPU, says where it runs, five times. The work
// (about 5 ms a round) gives idle CPUs time to pick up the other
// environments: with nothing to do between yields, one CPU could run them
// all before another even woke up.
#include <inc/lib.h>
#include <inc/x86.h>

namespace {
void
work_a_while()
{
	uint64_t start = rdtsc();
	while (rdtsc() - start < 10000000)
		asm volatile("pause");
}
} // namespace

void
umain(int, char **)
{
	cprintf("Hello, I am environment %08x, cpu %d.\n", thisenv->env_id, thisenv->env_cpunum);
	for (int i = 0; i < 5; i++) {
		work_a_while();
		sys_yield();
		cprintf("Back in environment %08x, iteration %d, cpu %d.\n", thisenv->env_id, i,
			thisenv->env_cpunum);
	}
	cprintf("All done in environment %08x.\n", thisenv->env_id);
}
