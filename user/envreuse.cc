// Forks a child, waits until it is gone, forks again: the second child
// reuses the slot with a new generation in its environment ID.
#include <inc/lib.h>

namespace {
envid_t
fork_and_wait()
{
	envid_t child = dumbfork();
	if (child == 0) {
		cprintf("child %08x here\n", thisenv->env_id);
		exit();
	}
	while (envs[ENVX(child)].env_status != ENV_FREE)
		sys_yield();
	return child;
}
} // namespace

void
umain(int, char **)
{
	envid_t first = fork_and_wait();
	envid_t second = fork_and_wait();
	cprintf("first child %08x, second child %08x: same slot %s, new id %s\n", first, second,
		ENVX(first) == ENVX(second) ? "yes" : "no", first != second ? "yes" : "no");
}
