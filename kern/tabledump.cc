// Recording what the firmware-table parsers read.

#include <inc/stdio.h>
#include <inc/string.h>
#include <kern/tabledump.h>

const void *
TableRecorder::map(void *ctx, uint64_t pa, uint64_t len)
{
	auto *self = static_cast<TableRecorder *>(ctx);
	const void *p = self->inner_.map(self->inner_.ctx, pa, len);
	if (p == nullptr)
		return p;
	// Merge with a range it touches (byte-by-byte reads of a string make
	// one range, not hundreds).
	for (int i = 0; i < self->nranges_; i++) {
		Range &r = self->ranges_[i];
		if (pa <= r.pa + r.len && r.pa <= pa + len) {
			uint64_t end = MAX(r.pa + r.len, pa + len);
			r.pa = MIN(r.pa, pa);
			r.len = end - r.pa;
			return p;
		}
	}
	if (self->nranges_ < static_cast<int>(ARRAY_SIZE(self->ranges_)))
		self->ranges_[self->nranges_++] = Range{pa, len};
	else
		self->overflowed_ = true;
	return p;
}

void
TableRecorder::print(const char *what) const
{
	cprintf("tabledump: begin %s\n", what);
	if (overflowed_)
		cprintf("tabledump: warning: more than %zu ranges; the dump is incomplete\n",
			ARRAY_SIZE(ranges_));
	for (int i = 0; i < nranges_; i++) {
		const Range &r = ranges_[i];
		cprintf("tabledump: range %#lx %#lx\n", r.pa, r.len);
		auto *base = static_cast<const uint8_t *>(inner_.map(inner_.ctx, r.pa, r.len));
		for (uint64_t off = 0; off < r.len; off += 32) {
			uint64_t n = MIN<uint64_t>(32, r.len - off);
			bool zero = true;
			for (uint64_t k = 0; k < n; k++)
				zero = zero && base[off + k] == 0;
			if (zero)
				continue;
			char hex[65];
			for (uint64_t k = 0; k < n; k++)
				snprintf(hex + 2 * k, 3, "%02x", base[off + k]);
			cprintf("tabledump: data %#lx %s\n", r.pa + off, hex);
		}
	}
	cprintf("tabledump: end %s\n", what);
}
