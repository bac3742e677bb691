// The input environment: frames from the card to the core.

#include "ns.h"

namespace {

// Where the frame being received is built: a fresh page each time, since
// the core keeps the last one mapped until it is done with it.
JifPkt *const pkt = reinterpret_cast<JifPkt *>(0x0ffff000);

} // namespace

void
input(envid_t ns_envid)
{
	binaryname = "ns_input";
	// LAB 6 EXERCISE receive BEGIN
	// Loop: allocate a page at pkt (sys_page_alloc, writable); receive a
	// frame into pkt->jp_data (sys_net_try_recv); if none has arrived
	// (-E_RX_EMPTY), wait for one with sys_net_wait, which blocks until
	// the card's interrupt, and try again. Set pkt->jp_len and send the
	// page to the core (ipc_send, NSREQ_INPUT, PTE_P | PTE_U | PTE_W).
	// The core now maps that page: the next frame needs a new one.
	//> (void)ns_envid, (void)pkt;
	//> panic("input: not implemented (LAB 6 exercise receive)");
	for (;;) {
		int r = sys_page_alloc(0, pkt, PTE_P | PTE_U | PTE_W);
		if (r < 0)
			panic("input: sys_page_alloc: %s", error_string(r));
		while ((r = sys_net_try_recv(pkt->jp_data, sizeof(pkt->jp_data))) == -E_RX_EMPTY)
			sys_net_wait();
		if (r < 0)
			panic("input: sys_net_try_recv: %s", error_string(r));
		pkt->jp_len = r;
		ipc_send(ns_envid, NSREQ_INPUT, pkt, PTE_P | PTE_U | PTE_W);
	}
	// LAB 6 EXERCISE receive END
}
