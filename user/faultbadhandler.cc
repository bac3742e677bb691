// An exception stack, but an upcall address where nothing is mapped.
#include <inc/lib.h>

void
umain(int, char **)
{
	sys_page_alloc(0, reinterpret_cast<void *>(UXSTACKTOP - PGSIZE), PTE_P | PTE_U | PTE_W);
	sys_env_set_pgfault_upcall(0, reinterpret_cast<void (*)()>(0xDeadBeef));
	*reinterpret_cast<volatile int *>(0) = 0;
}
