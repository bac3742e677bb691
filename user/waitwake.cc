// A wait that an environment left another way must not end later, in the
// middle of something else. The child waits for a key (sys_cgetc_wait);
// its parent makes it runnable instead (sys_env_set_status), and the child
// then calls its parent (sys_ipc_call), which is not receiving: the child
// waits in the parent's queue of callers. Then a key comes, which the
// parent reads; it then takes the child's call, and answers it with 7. The
// child's call must return that answer. A kernel that left the child's
// wait for a key standing gave it the key instead, and woke it while it
// still stood in the queue.
#include <inc/lib.h>
#include <inc/x86.h>

namespace {

// Yields until done() holds, at most 10000 times: whether it came to hold.
template <typename F>
bool
yield_until(F done)
{
	for (int i = 0; i < 10000; i++) {
		if (done())
			return true;
		sys_yield();
	}
	return done();
}

} // namespace

void
umain(int, char **)
{
	envid_t parent = thisenv->env_id;
	envid_t child = fork();
	if (child < 0)
		panic("fork: %s", error_string(child));
	if (child == 0) {
		sys_cgetc_wait();
		void *no_page = reinterpret_cast<void *>(UTOP);
		int r = sys_ipc_call(parent, 1, no_page, 0, no_page);
		cprintf("waitwake: the child's call returned %d, answer %u\n", r,
			r < 0 ? 0 : thisenv->env_ipc_value);
		return;
	}
	const volatile Env *c = &envs[ENVX(child)];
	if (!yield_until([c] { return c->env_status == ENV_NOT_RUNNABLE; })) {
		cprintf("waitwake: the child never waited for a key (no console interrupts?)\n");
		return;
	}
	int r = sys_env_set_status(child, ENV_RUNNABLE);
	if (r < 0)
		panic("sys_env_set_status: %s", error_string(r));
	if (!yield_until([c] { return c->env_ipc_recving && c->env_status == ENV_NOT_RUNNABLE; })) {
		cprintf("waitwake: the child never called\n");
		return;
	}
	// A key comes. The parent lets it arrive first (it yields for about
	// 2^31 TSC ticks, most of a second, without reading the console), then
	// reads it, polling for up to 2^34 ticks more. A kernel that left the
	// child's wait standing gives the key to the child at its interrupt.
	cprintf("waitwake: type a key\n");
	uint64_t start = rdtsc();
	while (rdtsc() - start < (uint64_t{1} << 31))
		sys_yield();
	int key = 0;
	while (key == 0 && rdtsc() - start < (uint64_t{1} << 34))
		if ((key = sys_cgetc()) == 0)
			sys_yield();
	cprintf("waitwake: the parent %s\n", key ? "got the key" : "saw no key");
	envid_t who;
	ipc_recv(&who, nullptr, nullptr);
	if (who != child)
		panic("waitwake: a call from %08x, not the child", who);
	// A child woken by the key is no longer waiting for the answer: it
	// is not waited for without a bound.
	for (int i = 0; i < 1000; i++) {
		if ((r = sys_ipc_try_send(child, 7, reinterpret_cast<void *>(UTOP), 0)) !=
		    -E_IPC_NOT_RECV)
			break;
		sys_yield();
	}
	cprintf("waitwake: the parent's answer: %s\n", r < 0 ? error_string(r) : "sent");
	yield_until([c, child] { return c->env_id != child || c->env_status == ENV_FREE; });
}
