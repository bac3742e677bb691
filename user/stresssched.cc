// Many environments yielding and counting: if one environment ever ran on
// two CPUs at once, the two would share its counter and lose increments.
// It needs preemption (JOS lab 4 part C): environments spin waiting for
// each other.
#include <inc/lib.h>

namespace {
volatile int counter;
}

void
umain(int, char **)
{
	envid_t parent = sys_getenvid();
	envid_t kids[20];
	int i;
	for (i = 0; i < 20; i++)
		if ((kids[i] = fork()) == 0)
			break;
	if (i == 20) {
		// Wait until every child has run at least once. The children
		// spin until this environment is gone, so without preemption
		// the first ones keep their CPUs, this loop keeps this one,
		// and the rest never start: the test needs the timer whatever
		// the timing, not only when no CPU happened to be idle.
		for (envid_t kid : kids)
			while (envs[ENVX(kid)].env_runs == 0)
				asm volatile("pause");
		sys_yield();
		return;
	}

	// Wait for the parent to finish forking.
	while (envs[ENVX(parent)].env_status != ENV_FREE)
		asm volatile("pause");

	for (i = 0; i < 10; i++) {
		sys_yield();
		for (int j = 0; j < 10000; j++)
			counter = counter + 1;
	}
	if (counter != 10 * 10000)
		panic("ran on two CPUs at once (counter is %d)", counter);

	// Show that the environments did run on different CPUs.
	cprintf("[%08x] stresssched on CPU %d\n", thisenv->env_id, thisenv->env_cpunum);
}
