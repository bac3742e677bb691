// spawn: faultio, which must trap on its I/O instruction.
#include <inc/lib.h>

void
umain(int, char **)
{
	cprintf("i am parent environment %08x\n", thisenv->env_id);
	envid_t r = spawnl("faultio", "faultio", nullptr);
	if (r < 0)
		panic("spawn(faultio) failed: %s", error_string(r));
}
