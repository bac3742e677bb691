// A reader must never see its pipe closed while another environment dups
// and closes a descriptor for it (JOS lab 5's dup race): here the parent
// dups as fast as it can while the child keeps asking.
#include <inc/lib.h>

void
umain(int, char **)
{
	int p[2], r, i;
	constexpr int kMax = 200;
	Fd *fd;

	cprintf("testing for dup race...\n");
	if ((r = pipe(p)) < 0)
		panic("pipe: %s", error_string(r));
	if ((r = fork()) < 0)
		panic("fork: %s", error_string(r));
	if (r == 0) {
		close(p[1]);
		// p[0]'s Fd page is mapped 2 or 3 times as the parent dups and
		// closes it; the pipe page once more (the parent's p[1]). Any
		// instant where the counts say "closed" is a race.
		for (i = 0; i < kMax; i++) {
			if (pipeisclosed(p[0])) {
				cprintf("RACE: pipe appears closed\n");
				exit();
			}
			sys_yield();
		}
		// Not runnable, without exiting.
		ipc_recv(nullptr, nullptr, nullptr);
	}
	envid_t pid = r;
	cprintf("pid is %d\n", pid);
	const volatile Env *kid = &envs[ENVX(pid)];
	cprintf("kid is %d\n", static_cast<int>(ENVX(pid)));
	dup(p[0], 10);
	while (kid->env_status == ENV_RUNNABLE || kid->env_status == ENV_RUNNING)
		dup(p[0], 10);

	cprintf("child done with loop\n");
	if (pipeisclosed(p[0]))
		panic("somehow the other end of p[0] got closed!");
	if ((r = fd_lookup(p[0], &fd)) < 0)
		panic("cannot look up p[0]: %s", error_string(r));
	char *va = fd2data(fd);
	if (pageref(va) != 3 + 1)
		cprintf("\nchild detected race\n");
	else
		cprintf("\nrace didn't happen\n");
	sys_env_destroy(pid);
}
