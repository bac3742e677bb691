// Destroys each of many running children twice. The first destroy must
// stop the child on whatever CPU runs it before freeing it; the second
// must find nothing left to destroy.
#include <inc/lib.h>

void
umain(int, char **)
{
	constexpr int kChildren = 20;
	int second_ok = 0;
	for (int i = 0; i < kChildren; i++) {
		envid_t child = dumbfork();
		if (child == 0)
			for (;;)
				asm volatile("" ::: "memory");	// spin until destroyed
		for (int y = 0; y < 3; y++)
			sys_yield();
		int first = sys_env_destroy(child);
		int second = sys_env_destroy(child);
		if (first != 0)
			panic("destroying running child %08x: %s", child, error_string(first));
		if (second == -E_BAD_ENV)
			second_ok++;
		else
			cprintf("destroytwice: destroying child %08x again returned %d, not "
				"-E_BAD_ENV\n", child, second);
	}
	cprintf("destroytwice: %d children destroyed; destroying one again said \"bad "
		"environment\" %d times\n", kChildren, second_ok);
}
