// Hands the kernel a bad pointer by mistake.
#include <inc/lib.h>

void
umain(int, char **)
{
	sys_cputs(reinterpret_cast<const char *>(1), 1);
}
