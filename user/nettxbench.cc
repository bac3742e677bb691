// make bench's network row: how many frames per second the card's
// transmit path takes (system call, ring, QEMU), with no network server:
// kFrames minimum-size Ethernet frames, sent as fast as the ring frees.
#include <inc/lib.h>

namespace {

constexpr int kFrames = 20000;

} // namespace

void
umain(int, char **)
{
	uint8_t frame[60] = {};
	memset(frame, 0xFF, 6);			// broadcast,
	sys_net_mac(frame + 6);			// from us,
	frame[12] = 0x88;			// a local experimental EtherType
	frame[13] = 0xB5;
	int64_t start = sys_time_msec();
	int full = 0;
	for (int i = 0; i < kFrames; i++) {
		int r;
		while ((r = sys_net_try_send(frame, sizeof(frame))) == -E_TX_FULL) {
			full++;
			sys_yield();
		}
		if (r < 0)
			panic("sys_net_try_send: %s", error_string(r));
	}
	int64_t ms = sys_time_msec() - start;
	cprintf("nettxbench: %d frames in %ld ms (the ring was full %d times)\n", kFrames, ms, full);
}
