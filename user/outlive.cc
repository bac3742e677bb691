// Outlives the first program on the kernel's run= list (environment
// 00001000): yields until that one has exited, then exits too. A program
// that checks what it may do to an environment that is not its child
// (sysrefuse) needs one that is certainly there while it checks.
#include <inc/lib.h>

void
umain(int, char **)
{
	const volatile Env *first = &envs[ENVX(0x1000)];
	while (first->env_id == 0x1000 && first->env_status != ENV_FREE)
		sys_yield();
}
