// A child of fork writes to a page its parent has read-only (this
// program's read-only data): copy-on-write is for writable pages, so the
// child must fault, and its page-fault handler (fork's pgfault) refuse.
// A fork that marked read-only pages copy-on-write too would let the
// child write there, into a copy the handler made writable.
#include <inc/lib.h>

namespace {
const char message[] = "read-only data";
} // namespace

void
umain(int, char **)
{
	envid_t child = fork();
	if (child < 0)
		panic("fork: %s", error_string(child));
	if (child == 0) {
		cprintf("forkro: the child writes to read-only data at %p\n", &message[0]);
		*const_cast<volatile char *>(&message[0]) = 'W';
		cprintf("forkro: the child's write went through: '%s'\n", message);
		return;
	}
	// Until the child has ended, one way or the other.
	while (envs[ENVX(child)].env_id == child && envs[ENVX(child)].env_status != ENV_FREE)
		sys_yield();
	cprintf("forkro: the parent's read-only data: '%s'\n", message);
}
