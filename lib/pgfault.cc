// User-level page-fault handling: set_pgfault_handler and what
// _pgfault_upcall (lib/pfentry.S) calls.

#include <inc/lib.h>

// The handler _pgfault_upcall calls; read from assembly.
extern "C" void (*_pgfault_handler)(UTrapframe *utf);
void (*_pgfault_handler)(UTrapframe *utf);

void
set_pgfault_handler(void (*handler)(UTrapframe *utf))
{
	if (_pgfault_handler == nullptr) {
		// LAB 4 EXERCISE set_pgfault_handler BEGIN
		// The first time: give this environment its exception stack (one
		// page, ending at UXSTACKTOP) and tell the kernel where to enter
		// it on a page fault (_pgfault_upcall). Panic if either fails.
		//> panic("set_pgfault_handler: not implemented (LAB 4 exercise)");
		int r = sys_page_alloc(0, reinterpret_cast<void *>(UXSTACKTOP - PGSIZE),
				       PTE_P | PTE_U | PTE_W | PTE_NX);
		if (r < 0)
			panic("set_pgfault_handler: allocating the exception stack: %s",
			      error_string(r));
		if ((r = sys_env_set_pgfault_upcall(0, _pgfault_upcall)) < 0)
			panic("set_pgfault_handler: sys_env_set_pgfault_upcall: %s", error_string(r));
		// LAB 4 EXERCISE set_pgfault_handler END
	}
	_pgfault_handler = handler;
}

// The pfentry exercise's stub calls this: the handler ran, but nothing
// returns to the faulting code yet.
extern "C" [[noreturn]] void
pfentry_not_implemented()
{
	panic("_pgfault_upcall: returning to the faulting code is not implemented "
	      "(LAB 4 exercise pfentry)");
}
