// The concurrent prime sieve: a chain of environments, one per prime, each
// passing on the numbers its prime does not divide. The first number an
// environment receives is its prime; it forks the next link on seeing it.
#include <inc/lib.h>

namespace {

[[noreturn]] void
primeproc()
{
	envid_t from;
	for (;;) {
		int p = ipc_recv(&from, nullptr, nullptr);
		cprintf("CPU %d: %d ", thisenv->env_cpunum, p);
		envid_t next = fork();
		if (next < 0)
			panic("fork: %s", error_string(next));
		if (next == 0)
			continue;	// the child waits for its own prime
		for (;;) {
			int i = ipc_recv(&from, nullptr, nullptr);
			if (i % p)
				ipc_send(next, i, nullptr, 0);
		}
	}
}

} // namespace

void
umain(int, char **)
{
	envid_t id = fork();
	if (id < 0)
		panic("fork: %s", error_string(id));
	if (id == 0)
		primeproc();
	for (uint32_t i = 2;; i++)
		ipc_send(id, i, nullptr, 0);
}
