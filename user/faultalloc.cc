// A handler that backs each faulting address with a fresh page and writes a
// string there. The second string crosses a page boundary: writing it
// faults again inside the handler, on the exception stack.
#include <inc/lib.h>

namespace {
void
handler(UTrapframe *utf)
{
	uintptr_t addr = utf->utf_fault_va;
	cprintf("fault %lx\n", addr);
	int r = sys_page_alloc(0, reinterpret_cast<void *>(ROUNDDOWN(addr, PGSIZE)),
			       PTE_P | PTE_U | PTE_W);
	if (r < 0)
		panic("allocating at %lx in page fault handler: %s", addr, error_string(r));
	snprintf(reinterpret_cast<char *>(addr), 100, "this string was faulted in at %lx", addr);
}
} // namespace

void
umain(int, char **)
{
	set_pgfault_handler(handler);
	cprintf("%s\n", reinterpret_cast<const char *>(0xDeadBeef));
	cprintf("%s\n", reinterpret_cast<const char *>(0xCafeBffe));
}
