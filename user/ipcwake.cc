// Sends to a receiver whose CPU is halted: the parent never gives up its
// own CPU (it polls for each answer), so the child must run on another,
// which halts whenever the child waits. Each send must wake that CPU at
// once, not at its next idle tick. Prints the time the exchange took, in
// TSC ticks (the kernel's boot log gives the TSC's frequency).
#include <inc/lib.h>
#include <inc/x86.h>

namespace {
constexpr int kMessages = 100;
constexpr uintptr_t kShared = 0x10000000;
auto *const answer = reinterpret_cast<volatile uint32_t *>(kShared);
} // namespace

void
umain(int, char **)
{
	int r;
	if ((r = sys_page_alloc(0, (void *) kShared, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_alloc: %s", error_string(r));
	envid_t kid = dumbfork_stopped();
	if (kid == 0) {
		for (int i = 1; i <= kMessages; i++) {
			envid_t from;
			*answer = ipc_recv(&from, nullptr, nullptr);
		}
		return;
	}
	if ((r = sys_page_map(0, (void *) kShared, kid, (void *) kShared, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_map: %s", error_string(r));
	if ((r = sys_env_set_status(kid, ENV_RUNNABLE)) < 0)
		panic("sys_env_set_status: %s", error_string(r));

	uint64_t start = rdtsc();
	int in_order = 0;
	for (uint32_t i = 1; i <= kMessages; i++) {
		ipc_send(kid, i, nullptr, 0);
		while (*answer != i)
			asm volatile("pause");
		in_order++;
	}
	uint64_t ticks = rdtsc() - start;
	cprintf("ipcwake: %d of %d messages answered, in %lu TSC ticks\n", in_order, kMessages,
		ticks);
}
