// JOS's testinput: the input and output environments alone, without the
// network server. This environment stands in for the core: it asks for the
// gateway's Ethernet address (an ARP request, through output), then prints
// every frame input brings as a hex dump, which the grader compares with
// QEMU's packet capture.
#include "ns.h"

namespace {

JifPkt *const pkt = reinterpret_cast<JifPkt *>(0x0fffe000);

void
put16(uint8_t *p, uint16_t v)
{
	p[0] = static_cast<uint8_t>(v >> 8);
	p[1] = static_cast<uint8_t>(v);
}

void
put32(uint8_t *p, uint32_t v)
{
	put16(p, static_cast<uint16_t>(v >> 16));
	put16(p + 2, static_cast<uint16_t>(v));
}

// An ARP request (RFC 826) for the gateway's address, broadcast, from
// this card's address and the guest's.
void
announce(envid_t output_envid)
{
	uint8_t mac[6];
	int r = sys_net_mac(mac);
	if (r < 0)
		panic("sys_net_mac: %s", error_string(r));
	if ((r = sys_page_alloc(0, pkt, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_alloc: %s", error_string(r));
	auto *f = reinterpret_cast<uint8_t *>(pkt->jp_data);
	memset(f, 0xFF, 6);			// Ethernet: to everyone,
	memmove(f + 6, mac, 6);			// from us,
	put16(f + 12, 0x0806);			// ARP
	put16(f + 14, 1);			// hardware: Ethernet
	put16(f + 16, 0x0800);			// protocol: IPv4
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);			// request
	memmove(f + 22, mac, 6);		// sender
	put32(f + 28, NS_IP);
	memset(f + 32, 0, 6);			// target: unknown,
	put32(f + 38, NS_GATEWAY);		// at the gateway's address
	pkt->jp_len = 42;
	ipc_send(output_envid, NSREQ_OUTPUT, pkt, PTE_P | PTE_W | PTE_U);
	sys_page_unmap(0, pkt);
}

// JOS's dump: 16 bytes a line, after the prefix and the offset, in groups
// of two bytes, with an extra space after the eighth byte.
void
hexdump(const char *prefix, const uint8_t *data, int len)
{
	char line[80];
	for (int i = 0; i < len; i += 16) {
		int n = snprintf(line, sizeof(line), "%s%04x   ", prefix, i);
		for (int k = i; k < len && k < i + 16; k++) {
			n += snprintf(line + n, static_cast<int>(sizeof(line)) - n, "%02x", data[k]);
			if (k % 2 == 1 && k + 1 < len && k % 16 != 15)
				line[n++] = ' ';
			if (k % 16 == 7 && k + 1 < len)
				line[n++] = ' ';
		}
		cprintf("%.*s\n", n, line);
	}
}

} // namespace

void
umain(int, char **)
{
	binaryname = "testinput";
	envid_t ns_envid = sys_getenvid();
	envid_t output_envid = fork();
	if (output_envid < 0)
		panic("error forking: %s", error_string(output_envid));
	if (output_envid == 0)
		output(ns_envid);
	envid_t input_envid = fork();
	if (input_envid < 0)
		panic("error forking: %s", error_string(input_envid));
	if (input_envid == 0)
		input(ns_envid);

	cprintf("Sending ARP announcement...\n");
	announce(output_envid);

	bool first = true;
	for (;;) {
		envid_t whom;
		int32_t req = ipc_recv(&whom, pkt, nullptr);
		if (req < 0)
			panic("ipc_recv: %s", error_string(req));
		if (whom != input_envid)
			panic("IPC from unexpected environment %08x", whom);
		if (req != NSREQ_INPUT)
			panic("Unexpected IPC %d", req);
		hexdump("input: ", reinterpret_cast<const uint8_t *>(pkt->jp_data), pkt->jp_len);
		cprintf("\n");
		// The first frame is the ARP reply; then the grader sends its own.
		if (first)
			cprintf("Waiting for packets...\n");
		first = false;
	}
}
