// The timer environment: wakes the core when lwIP's timers are due. It
// sleeps in the kernel (sys_sleep_until) rather than spinning on
// sys_yield as JOS's did: an idle network costs no CPU.

#include "ns.h"

void
timer(envid_t ns_envid, uint32_t initial_ms)
{
	binaryname = "ns_timer";
	// lwIP's TCP needs a clock (retransmissions, delayed ACKs, closing
	// connections): without one the server stops here, as JOS's did.
	int64_t now = sys_time_msec();
	if (now < 0)
		panic("ns_timer: sys_time_msec: %s", error_string(static_cast<int>(now)));
	uint64_t stop = static_cast<uint64_t>(now) + initial_ms;
	for (;;) {
		sys_sleep_until(stop);
		ipc_send(ns_envid, NSREQ_TIMER, nullptr, 0);
		// The core answers with how long to wait; anyone else is ignored.
		for (;;) {
			envid_t whom;
			int32_t to = ipc_recv(&whom, nullptr, nullptr);
			if (whom != ns_envid) {
				cprintf("ns_timer: IPC from %08x, not the network server; ignored\n",
					whom);
				continue;
			}
			stop = static_cast<uint64_t>(sys_time_msec()) + static_cast<uint32_t>(to);
			break;
		}
	}
}
