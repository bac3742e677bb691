// Its data segment (user/regionround.ld) starts 32 bytes before a page
// boundary: initialized data on one page, more data and the bss on the
// next. The kernel loads it only if region_alloc maps every page the
// segment touches, rounding the range's start down and its end up.
#include <inc/lib.h>

extern "C" char end[];		// the segment's end (user.ld): the bss's last byte is end[-1]

namespace {
char data[64] = "initialized data, across a page boundary";
char bss[256];
} // namespace

void
umain(int, char **)
{
	bool zero = true;
	for (char c : bss)
		zero = zero && c == 0;
	data[sizeof(data) - 1] = 'x';
	bss[sizeof(bss) - 1] = 'x';
	// The segment's last byte, on a page of its own past the data's.
	auto *last = reinterpret_cast<volatile char *>(reinterpret_cast<uintptr_t>(end) - 1);
	(void)*last;
	cprintf("regionround: data at %p and %p, bss at %p..%p, the segment's last byte at %p: "
		"%s, %s\n", &data[0], &data[sizeof(data) - 1], &bss[0], &bss[sizeof(bss) - 1],
		last, data, zero ? "bss zero" : "bss NOT zero");
}
