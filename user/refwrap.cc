// One page mapped at more addresses than a 16-bit reference count holds:
// unmapping one alias must not free the page, so a page allocated next
// must be another frame; and a fork of all of it must count as much again.
#include <inc/lib.h>

namespace {

constexpr uintptr_t kBase = 0x10000000;			// the page and its aliases
constexpr int kAliases = 65537;		// the page and 65536 aliases
constexpr uintptr_t kFresh = kBase - PGSIZE;		// the page allocated after
constexpr uint32_t kMark = 0x5eed5eed;

uint64_t
frame(uintptr_t va)
{
	return PTE_ADDR(uvpt[PGNUM(va)]);
}

// Maps the page at kBase at aliases [from, to); returns how many it made
// (the kernel may refuse, with an error, once it counts no further).
int
map_aliases(int from, int to)
{
	for (int i = from; i < to; i++) {
		int r = sys_page_map(0, (void *) kBase, 0, (void *) (kBase + i * PGSIZE),
				     PTE_P | PTE_U | PTE_W);
		if (r < 0) {
			cprintf("refwrap: alias %d refused: %s\n", i, error_string(r));
			return i - from;
		}
	}
	return to - from;
}

// After dropping alias 1: a fresh page must be a frame of its own.
void
check_fresh_page(const char *when)
{
	int r;
	if ((r = sys_page_unmap(0, (void *) (kBase + PGSIZE))) < 0)
		panic("sys_page_unmap: %s", error_string(r));
	if ((r = sys_page_alloc(0, (void *) kFresh, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_alloc: %s", error_string(r));
	if (frame(kFresh) == frame(kBase)) {
		cprintf("refwrap: %s, the kernel handed out frame %#lx again while it is still "
			"mapped at %d addresses\n", when, frame(kBase), kAliases - 1);
		exit();
	}
	*reinterpret_cast<volatile uint32_t *>(kFresh) = 0;
	if (*reinterpret_cast<volatile uint32_t *>(kBase + 2 * PGSIZE) != kMark) {
		cprintf("refwrap: %s, writing the fresh page changed the aliased one\n", when);
		exit();
	}
	cprintf("refwrap: %s, the fresh page is a frame of its own\n", when);
	sys_page_unmap(0, (void *) kFresh);
	sys_page_map(0, (void *) kBase, 0, (void *) (kBase + PGSIZE), PTE_P | PTE_U | PTE_W);
}

} // namespace

void
umain(int, char **)
{
	int r;
	if ((r = sys_page_alloc(0, (void *) kBase, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_alloc: %s", error_string(r));
	*reinterpret_cast<volatile uint32_t *>(kBase) = kMark;
	int made = map_aliases(1, kAliases);
	cprintf("refwrap: one page mapped at %d addresses\n", made + 1);
	check_fresh_page("after unmapping one alias");

	// A child shares every alias copy-on-write: as many references again.
	envid_t kid = fork();
	if (kid < 0)
		panic("fork: %s", error_string(kid));
	if (kid == 0) {
		cprintf("refwrap: the child sees %#x\n", *reinterpret_cast<volatile uint32_t *>(kBase + 7 * PGSIZE));
		return;
	}
	while (envs[ENVX(kid)].env_id == kid && envs[ENVX(kid)].env_status != ENV_FREE)
		sys_yield();
	check_fresh_page("after a fork and the child's exit");
}
