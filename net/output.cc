// The output environment: the core's frames to the card.

#include "ns.h"

namespace {

JifPkt *const pkt = reinterpret_cast<JifPkt *>(0x0ffff000);

} // namespace

void
output(envid_t ns_envid)
{
	binaryname = "ns_output";
	// LAB 6 EXERCISE transmit BEGIN
	// Loop: receive a page at pkt (ipc_recv); take only NSREQ_OUTPUT from
	// ns_envid (say so and ignore anything else); send pkt->jp_data,
	// pkt->jp_len bytes, with sys_net_try_send, trying again (after a
	// sys_yield) while the card's ring is full (-E_TX_FULL); panic on any
	// other error (no card, no transmit ring).
	//> (void)ns_envid, (void)pkt;
	//> panic("output: not implemented (LAB 6 exercise transmit)");
	for (;;) {
		envid_t whom;
		int32_t req = ipc_recv(&whom, pkt, nullptr);
		if (req != NSREQ_OUTPUT || whom != ns_envid) {
			cprintf("ns_output: request %d from %08x ignored\n", req, whom);
			continue;
		}
		if (pkt->jp_len <= 0 || static_cast<size_t>(pkt->jp_len) > sizeof(pkt->jp_data)) {
			cprintf("ns_output: a frame of %d bytes ignored\n", pkt->jp_len);
			continue;
		}
		int r;
		while ((r = sys_net_try_send(pkt->jp_data, static_cast<size_t>(pkt->jp_len))) ==
		       -E_TX_FULL)
			sys_yield();
		if (r < 0)
			panic("ns_output: sys_net_try_send: %s", error_string(r));
	}
	// LAB 6 EXERCISE transmit END
}
