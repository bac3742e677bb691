// A page-fault handler that reports the fault and ends the environment.
#include <inc/lib.h>

namespace {
void
handler(UTrapframe *utf)
{
	cprintf("i faulted at va %lx, err %lx\n", utf->utf_fault_va, utf->utf_err & 7);
	sys_env_destroy(sys_getenvid());
}
} // namespace

void
umain(int, char **)
{
	set_pgfault_handler(handler);
	*reinterpret_cast<volatile int *>(0xDeadBeef) = 0;
}
