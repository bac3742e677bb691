// Parent and child, on different CPUs, write the same copy-on-write page
// at the same time, each its own pattern, and check every word they read
// back: each must see only its own writes.
#include <inc/lib.h>
#include <inc/x86.h>

namespace {

constexpr int kWords = PGSIZE / sizeof(uint64_t);
constexpr int kRounds = 1000;
// How long to wait for the other CPU: TSC cycles, some seconds at the TSC
// rates of today's hosts (a user program has no clock of its own).
constexpr uint64_t kPatience = 10'000'000'000;
alignas(PGSIZE) volatile uint64_t page[kWords];
// A page the two really share, mapped after fork: the starting line.
constexpr uintptr_t kShared = 0x10000000;
auto *const ready = reinterpret_cast<volatile uint32_t *>(kShared);
// Where each started: its CPU + 1 (0: not yet); the parent's is [0].
auto *const started = reinterpret_cast<volatile int *>(kShared + 64);

bool
mapped(uintptr_t va)
{
	return (uvpml4[va >> PML4XSHIFT] & PTE_P) && (uvpdp[va >> PDPXSHIFT] & PTE_P) &&
	       (uvpd[va >> PDXSHIFT] & PTE_P) && (uvpt[va >> PTXSHIFT] & PTE_P);
}

// Both start at once, as far as two CPUs can: each waits until the other
// is running on another CPU, or has already started on one other than its
// own. (Under a loaded host one virtual CPU can stall, and the other then
// runs both in turn: that would be no race at all.) Returns the CPU this
// one started on.
int
wait_for_the_other(envid_t other_id, int me)
{
	const volatile Env *other = &envs[ENVX(other_id)];
	__atomic_fetch_add(ready, 1, __ATOMIC_SEQ_CST);
	uint64_t start = rdtsc();
	for (;;) {
		if (rdtsc() - start > kPatience)
			panic("the %s never saw the other run on another CPU: is only one CPU running?",
			      me ? "child" : "parent");
		int cpu = thisenv->env_cpunum;
		int other_cpu = other->env_cpunum;
		bool other_runs = other->env_status == ENV_RUNNING && other_cpu >= 0;
		int other_start = started[1 - me];
		if (*ready >= 2 && cpu >= 0 &&
		    ((other_runs && other_cpu != cpu) || (other_start > 0 && other_start - 1 != cpu))) {
			started[me] = cpu + 1;
			return cpu;
		}
		sys_yield();
	}
}

void
scribble(uint64_t mine, const char *who, envid_t other_id, int me)
{
	int cpu = wait_for_the_other(other_id, me);
	int bad = 0;
	for (int round = 0; round < kRounds; round++) {
		uint64_t v = mine + round;
		for (int i = 0; i < kWords; i++)
			page[i] = v;
		for (int i = 0; i < kWords; i++)
			bad += page[i] != v;
	}
	cprintf("cowrace: the %s (CPU %d) %s\n", who, cpu,
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
		scribble(0xc41d000000000000UL, "child", thisenv->env_parent_id, 1);
		return;
	}
	int r;
	if ((r = sys_page_alloc(0, (void *) kShared, PTE_P | PTE_U | PTE_W)) < 0 ||
	    (r = sys_page_map(0, (void *) kShared, kid, (void *) kShared, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sharing a page with the child: %s", error_string(r));
	scribble(0x9a4e000000000000UL, "parent", kid, 0);
	const volatile Env *e = &envs[ENVX(kid)];
	while (e->env_id == kid && e->env_status != ENV_FREE)
		sys_yield();
}
