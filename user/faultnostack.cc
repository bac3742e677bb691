// An upcall but no exception stack: the kernel cannot push the UTrapframe
// and destroys the environment.
#include <inc/lib.h>

void
umain(int, char **)
{
	sys_env_set_pgfault_upcall(0, _pgfault_upcall);
	*reinterpret_cast<volatile int *>(0) = 0;
}
