// A child blocked in ipc_recv, which its parent marks runnable and then
// sends a message. Marking it runnable must not resume it half-way out of
// its receive (the send would then make it runnable while it runs, and a
// second CPU would pick it up): the kernel refuses, and the message wakes
// it as usual.
#include <inc/lib.h>

void
umain(int, char **)
{
	envid_t kid = fork();
	if (kid < 0)
		panic("fork: %s", error_string(kid));
	if (kid == 0) {
		envid_t from;
		int32_t v = ipc_recv(&from, nullptr, nullptr);
		cprintf("recvwake: the child received %d from %08x\n", v, from);
		return;
	}
	const volatile Env *e = &envs[ENVX(kid)];
	while (!(e->env_ipc_recving && e->env_status == ENV_NOT_RUNNABLE))
		sys_yield();
	int r = sys_env_set_status(kid, ENV_RUNNABLE);
	cprintf("recvwake: marking the receiving child runnable: %s\n",
		r == 0 ? "done" : error_string(r));
	// Give another CPU the chance to run it, if it was made runnable.
	for (int i = 0; i < 100; i++)
		sys_yield();
	ipc_send(kid, 42, nullptr, 0);
	while (e->env_id == kid && e->env_status != ENV_FREE)
		sys_yield();
}
