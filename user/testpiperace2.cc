// The other direction of the race: the child dups and closes a descriptor
// for the pipe while the parent asks whether it is closed (JOS lab 5). On a
// multiprocessor they run at the same time, not by turns.
#include <inc/lib.h>

void
umain(int, char **)
{
	int p[2], r, i;
	Fd *fd;

	cprintf("testing for pipeisclosed race...\n");
	if ((r = pipe(p)) < 0)
		panic("pipe: %s", error_string(r));
	if ((r = fork()) < 0)
		panic("fork: %s", error_string(r));
	if (r == 0) {
		close(p[1]);
		for (i = 0; i < 200; i++) {
			if (i % 10 == 0)
				cprintf("%d.", i);
			dup(p[0], 10);
			sys_yield();
			close(10);
			sys_yield();
		}
		exit();
	}

	// We hold both ends, so the pipe is never closed, whatever the child
	// does with its descriptors meanwhile.
	const volatile Env *kid = &envs[ENVX(r)];
	while (kid->env_id == r && (kid->env_status == ENV_RUNNABLE ||
				    kid->env_status == ENV_RUNNING))
		if (pipeisclosed(p[0])) {
			cprintf("\nRACE: pipe appears closed\n");
			sys_env_destroy(r);
			exit();
		}
	cprintf("child done with loop\n");
	if (pipeisclosed(p[0]))
		panic("somehow the other end of p[0] got closed!");
	if ((r = fd_lookup(p[0], &fd)) < 0)
		panic("cannot look up p[0]: %s", error_string(r));
	(void)fd2data(fd);
	cprintf("race didn't happen\n");
}
