// Many environments yielding and counting: if one environment ever ran on
// two CPUs at once, the two would share its counter and lose increments.
#include <inc/lib.h>

namespace {
volatile int counter;
}

void
umain(int, char **)
{
	envid_t parent = sys_getenvid();
	int i;
	for (i = 0; i < 20; i++)
		if (fork() == 0)
			break;
	if (i == 20) {
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
