// Two environments pass a counter back and forth until it reaches 10.
#include <inc/lib.h>

void
umain(int, char **)
{
	envid_t who = fork();
	if (who != 0) {
		cprintf("send 0 from %x to %x\n", sys_getenvid(), who);
		ipc_send(who, 0, nullptr, 0);
	}
	for (;;) {
		uint32_t i = ipc_recv(&who, nullptr, nullptr);
		cprintf("%x got %d from %x\n", sys_getenvid(), i, who);
		if (i == 10)
			return;
		i++;
		ipc_send(who, i, nullptr, 0);
		if (i == 10)
			return;
	}
}
