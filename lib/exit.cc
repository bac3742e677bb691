#include <inc/lib.h>

void
exit()
{
	close_all();
	// sys_env_destroy(0) does not return; if it does, the program cannot
	// end, and says why rather than spinning.
	int r = sys_env_destroy(0);
	panic("exit: sys_env_destroy(0) returned %d (%s): the kernel did not destroy the "
	      "environment (syscall's case SYS_env_destroy, kern/syscall.cc)", r,
	      r < 0 ? error_string(r) : "no error");
}
