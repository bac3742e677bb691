// System calls refuse what JOS's lab 4 says they must: a writable mapping
// of a read-only page, a page at or above UTOP or unaligned, a status other
// than runnable or not runnable, and another environment's state from one
// that is not its parent. Each answer is printed, and then whether it is
// the one the rules ask for.
#include <inc/lib.h>

namespace {

int failures;

void
expect(const char *what, int got, int want)
{
	bool ok = want < 0 ? got == want : got >= 0;
	cprintf("sysrefuse: %s: %s (%d)%s\n", what, got < 0 ? error_string(got) : "ok", got,
		ok ? "" : ", which the rules forbid");
	failures += !ok;
}

void
spin_forever()
{
	for (;;)
		sys_yield();
}

} // namespace

void
umain(int, char **)
{
	auto *ro = reinterpret_cast<void *>(0x10000000);
	auto *rw = reinterpret_cast<void *>(0x10001000);
	expect("sys_page_alloc of a read-only page", sys_page_alloc(0, ro, PTE_P | PTE_U), 0);
	expect("sys_page_map of a read-only page, writable",
	       sys_page_map(0, ro, 0, rw, PTE_P | PTE_U | PTE_W), -E_INVAL);
	expect("sys_page_alloc at UTOP", sys_page_alloc(0, reinterpret_cast<void *>(UTOP),
							 PTE_P | PTE_U | PTE_W), -E_INVAL);
	expect("sys_page_alloc at the kernel's base",
	       sys_page_alloc(0, reinterpret_cast<void *>(KERNBASE), PTE_P | PTE_U | PTE_W), -E_INVAL);
	expect("sys_page_alloc at an unaligned address",
	       sys_page_alloc(0, reinterpret_cast<void *>(0x10002010), PTE_P | PTE_U | PTE_W),
	       -E_INVAL);

	envid_t child = sys_exofork();
	if (child < 0)
		panic("sys_exofork: %s", error_string(child));
	if (child == 0)
		spin_forever();		// never run: its parent destroys it
	expect("sys_env_set_status to 7", sys_env_set_status(child, 7), -E_INVAL);
	// The file server, or the kernel's first environment: never this one's
	// child (and 0x1000 is this environment only if it runs first).
	envid_t other = thisenv->env_id == 0x1000 ? 0x1001 : 0x1000;
	expect("sys_env_set_pgfault_upcall of an environment that is not its child",
	       sys_env_set_pgfault_upcall(other, spin_forever), -E_BAD_ENV);
	expect("sys_env_set_status of an environment that is not its child",
	       sys_env_set_status(other, ENV_NOT_RUNNABLE), -E_BAD_ENV);
	sys_env_destroy(child);
	cprintf("sysrefuse: %d answer(s) the rules forbid\n", failures);
}
