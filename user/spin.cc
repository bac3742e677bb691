// A child that spins forever, killed by its parent: only the timer takes
// the CPU back from it.
#include <inc/lib.h>

void
umain(int, char **)
{
	cprintf("I am the parent.  Forking the child...\n");
	envid_t env = fork();
	if (env == 0) {
		cprintf("I am the child.  Spinning...\n");
		for (;;)
			asm volatile("" ::: "memory");
	}
	cprintf("I am the parent.  Running the child...\n");
	for (int i = 0; i < 8; i++)
		sys_yield();
	cprintf("I am the parent.  Killing the child...\n");
	sys_env_destroy(env);
}
