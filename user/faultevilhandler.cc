// An exception stack, and an upcall in the kernel (its entry code): the
// kernel must not jump there in user mode on the environment's behalf,
// nor let it run kernel code.
#include <inc/lib.h>

void
umain(int, char **)
{
	sys_page_alloc(0, reinterpret_cast<void *>(UXSTACKTOP - PGSIZE), PTE_P | PTE_U | PTE_W);
	sys_env_set_pgfault_upcall(0, reinterpret_cast<void (*)()>(KERNBASE + 0x100020));
	*reinterpret_cast<volatile int *>(0) = 0;
}
