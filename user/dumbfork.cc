// Parent and child take turns (JOS lab 4).
#include <inc/lib.h>

void
umain(int, char **)
{
	envid_t who = dumbfork();
	for (int i = 0; i < (who ? 10 : 20); i++) {
		cprintf("%d: I am the %s!\n", i, who ? "parent" : "child");
		sys_yield();
	}
}
