// What lwIP asks of its platform (net/port/arch/cc.h, NO_SYS): the time,
// diagnostics, assertions and random numbers, for the network server.

#include <inc/lib.h>
#include <lwip/arch.h>
#include <lwip/sys.h>

unsigned char *lwip_port_heap;

extern "C" u32_t
sys_now(void)
{
	return static_cast<u32_t>(sys_time_msec());
}

extern "C" void
lwip_port_diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vcprintf(fmt, ap);
	va_end(ap);
}

extern "C" void
lwip_port_assert(const char *msg, const char *file, int line)
{
	_panic(file, line, "lwIP assertion failed: %s", msg);
}

// lwIP's initial sequence numbers and local ports: a generator seeded from
// the clock and the card's address, so that two boots differ.
extern "C" unsigned int
lwip_port_rand(void)
{
	static uint64_t state;
	if (state == 0) {
		uint8_t mac[6] = {};
		sys_net_mac(mac);
		state = static_cast<uint64_t>(sys_time_msec()) * 0x9E3779B97F4A7C15UL ^
			(static_cast<uint64_t>(mac[5]) << 8 | mac[4]) ^ 0x2545F4914F6CDD1DUL;
	}
	// xorshift64*
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return static_cast<unsigned int>((state * 0x2545F4914F6CDD1DUL) >> 32);
}
