// sys_env_set_status on a child while it runs on another CPU. Marking it
// runnable must not let a second CPU run it too (both would share its one
// saved register set and lose each other's counting); marking it not
// runnable must stop it, and marking it runnable again must let it finish.
#include <inc/lib.h>

namespace {

constexpr long kCount = 20000000;
volatile long counter;
constexpr uintptr_t kShared = 0x10000000;
auto *const progress = reinterpret_cast<volatile long *>(kShared);

bool
alive(const volatile Env *e, envid_t id)
{
	return e->env_id == id && e->env_status != ENV_FREE;
}

} // namespace

void
umain(int, char **)
{
	int r;
	if ((r = sys_page_alloc(0, (void *) kShared, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_alloc: %s", error_string(r));
	envid_t kid = dumbfork_stopped();
	if (kid == 0) {
		for (long i = 0; i < kCount; i++) {
			counter = counter + 1;
			*progress = counter;
		}
		cprintf("setstatus: the child counted to %ld (of %ld)\n", counter, kCount);
		return;
	}
	if ((r = sys_page_map(0, (void *) kShared, kid, (void *) kShared, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_map: %s", error_string(r));
	if ((r = sys_env_set_status(kid, ENV_RUNNABLE)) < 0)
		panic("sys_env_set_status: %s", error_string(r));
	const volatile Env *e = &envs[ENVX(kid)];
	while (*progress == 0)
		sys_yield();

	// Runnable while it runs: it must go on running, on one CPU only.
	r = 0;
	for (int i = 0; i < 500 && r == 0 && alive(e, kid); i++) {
		r = sys_env_set_status(kid, ENV_RUNNABLE);
		sys_yield();
	}
	cprintf("setstatus: marking the running child runnable: %s\n",
		r == 0 ? "ok" : error_string(r));

	// Not runnable while it runs: it leaves its CPU (env_cpunum -1), once
	// that CPU has taken the kick, and stays stopped.
	if (alive(e, kid)) {
		r = sys_env_set_status(kid, ENV_NOT_RUNNABLE);
		bool still = false;
		for (int tries = 0; tries < 100000 && !still; tries++) {
			still = e->env_cpunum == -1;
			sys_yield();
		}
		long at = *progress;
		for (int i = 0; i < 50; i++)
			sys_yield();
		bool stopped = r == 0 && e->env_status == ENV_NOT_RUNNABLE && still && *progress == at;
		cprintf("setstatus: the child stopped at %s: %s\n", at < kCount ? "mid-count" : "the end",
			stopped ? "yes" : "no");
		if (!stopped)
			cprintf("setstatus: set_status %d, status %d, progress %ld then %ld, %s\n", r,
				e->env_status, at, *progress, still ? "off its CPU" : "still on a CPU");
		if ((r = sys_env_set_status(kid, ENV_RUNNABLE)) < 0)
			panic("sys_env_set_status: %s", error_string(r));
	}
	while (alive(e, kid))
		sys_yield();
}
