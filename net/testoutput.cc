// JOS's testoutput: the output environment alone, without the network
// server. This environment stands in for the core and sends it
// kTestOutputCount frames, "Packet 00", "Packet 01", ...; the grader finds
// them in QEMU's packet capture.
#include "ns.h"

namespace {

constexpr int kTestOutputCount = 100;
JifPkt *const pkt = reinterpret_cast<JifPkt *>(0x0fffe000);

} // namespace

void
umain(int, char **)
{
	binaryname = "testoutput";
	envid_t ns_envid = sys_getenvid();
	envid_t output_envid = fork();
	if (output_envid < 0)
		panic("error forking: %s", error_string(output_envid));
	if (output_envid == 0)
		output(ns_envid);

	for (int i = 0; i < kTestOutputCount; i++) {
		int r = sys_page_alloc(0, pkt, PTE_P | PTE_U | PTE_W);
		if (r < 0)
			panic("sys_page_alloc: %s", error_string(r));
		pkt->jp_len = snprintf(pkt->jp_data, sizeof(pkt->jp_data), "Packet %02d", i);
		cprintf("Transmitting packet %d\n", i);
		ipc_send(output_envid, NSREQ_OUTPUT, pkt, PTE_P | PTE_W | PTE_U);
		sys_page_unmap(0, pkt);
	}
	// The output environment sends the last one and then waits for more,
	// not runnable: once it does, nothing is left to run, and a boot with
	// monitor=off ends.
}
