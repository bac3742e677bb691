// wait: until an environment has exited.

#include <inc/lib.h>

void
wait(envid_t envid)
{
	assert(envid != 0);
	const volatile Env *e = &envs[ENVX(envid)];
	// Its slot is reused with a new id once it is freed: either means gone.
	while (e->env_id == envid && e->env_status != ENV_FREE)
		sys_yield();
}
