// A child on another CPU reads a page in a loop; the parent unmaps that
// page from the child, then writes through its own mapping of it. The child
// must fault: had its CPU kept the old translation in its TLB, it would go
// on reading the page it no longer has, and see the parent's write.
#include <inc/lib.h>
#include <inc/x86.h>

namespace {

constexpr uintptr_t kShared = 0x10000000;
auto *const shared = reinterpret_cast<volatile uint32_t *>(kShared);
constexpr uint32_t kOld = 1, kNew = 2;
// How long to wait for the other CPU: TSC cycles, some seconds at the TSC
// rates of today's hosts (a user program has no clock of its own).
constexpr uint64_t kPatience = 10'000'000'000;

[[noreturn]] void
child()
{
	shared[1] = 1;		// running, and the translation is in the TLB
	while (shared[0] == kOld)
		asm volatile("pause");
	cprintf("tlbshootdown: the child read %u from a page unmapped from it: its CPU kept a "
		"stale TLB entry\n", shared[0]);
	exit();
}

} // namespace

void
umain(int, char **)
{
	int r;
	if ((r = sys_page_alloc(0, (void *) kShared, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_alloc: %s", error_string(r));
	shared[0] = kOld;
	shared[1] = 0;
	envid_t kid = dumbfork_stopped();
	if (kid == 0)
		child();
	if ((r = sys_page_map(0, (void *) kShared, kid, (void *) kShared, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_map: %s", error_string(r));
	if ((r = sys_env_set_status(kid, ENV_RUNNABLE)) < 0)
		panic("sys_env_set_status: %s", error_string(r));

	// Wait until the child runs on another CPU with the page in its TLB
	// (bounded: with one CPU running, that never happens).
	const volatile Env *e = &envs[ENVX(kid)];
	uint64_t start = rdtsc();
	while (shared[1] == 0 || e->env_status != ENV_RUNNING || e->env_cpunum == thisenv->env_cpunum) {
		if (rdtsc() - start > kPatience) {
			sys_env_destroy(kid);
			panic("the child never ran on another CPU: is only one CPU running?");
		}
		sys_yield();
	}
	cprintf("tlbshootdown: the child reads the page on CPU %d; unmapping it\n", e->env_cpunum);
	if ((r = sys_page_unmap(kid, (void *) kShared)) < 0)
		panic("sys_page_unmap: %s", error_string(r));
	shared[0] = kNew;
	while (e->env_id == kid && e->env_status != ENV_FREE)
		sys_yield();
	cprintf("tlbshootdown: the child is gone\n");
}
