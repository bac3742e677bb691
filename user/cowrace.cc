// Parent and child, on different CPUs, write the same copy-on-write page
// at the same time, each its own pattern, and check every word they read
// back: each must see only its own writes.
#include <inc/lib.h>

namespace {

constexpr int kWords = PGSIZE / sizeof(uint64_t);
constexpr int kRounds = 200;
alignas(PGSIZE) volatile uint64_t page[kWords];
// A page the two really share, mapped after fork: the starting line.
constexpr uintptr_t kShared = 0x10000000;
auto *const ready = reinterpret_cast<volatile uint32_t *>(kShared);

bool
mapped(uintptr_t va)
{
	return (uvpml4[va >> PML4XSHIFT] & PTE_P) && (uvpdp[va >> PDPXSHIFT] & PTE_P) &&
	       (uvpd[va >> PDXSHIFT] & PTE_P) && (uvpt[va >> PTXSHIFT] & PTE_P);
}

void
scribble(uint64_t mine, const char *who)
{
	// Both start at once, as far as two CPUs can.
	__atomic_fetch_add(ready, 1, __ATOMIC_SEQ_CST);
	while (*ready < 2)
		sys_yield();
	int bad = 0;
	for (int round = 0; round < kRounds; round++) {
		uint64_t v = mine + round;
		for (int i = 0; i < kWords; i++)
			page[i] = v;
		for (int i = 0; i < kWords; i++)
			bad += page[i] != v;
	}
	cprintf("cowrace: the %s (CPU %d) %s\n", who, thisenv->env_cpunum,
		bad ? "saw the other's writes" : "saw only its own writes");
}

} // namespace

void
umain(int, char **)
{
	for (int i = 0; i < kWords; i++)
		page[i] = 0;
	envid_t kid = fork();
	if (kid < 0)
		panic("fork: %s", error_string(kid));
	if (kid == 0) {
		while (!mapped(kShared))
			sys_yield();
		scribble(0xc41d000000000000UL, "child");
		return;
	}
	int r;
	if ((r = sys_page_alloc(0, (void *) kShared, PTE_P | PTE_U | PTE_W)) < 0 ||
	    (r = sys_page_map(0, (void *) kShared, kid, (void *) kShared, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sharing a page with the child: %s", error_string(r));
	scribble(0x9a4e000000000000UL, "parent");
	const volatile Env *e = &envs[ENVX(kid)];
	while (e->env_id == kid && e->env_status != ENV_FREE)
		sys_yield();
}
