// Backtraces from frame pointers (-fno-omit-frame-pointer everywhere) and a
// function table generated from the kernel's own symbols. Modern GCC emits
// no stabs, so JOS's stab lookup gives way to this.

#include <inc/memlayout.h>
#include <inc/stdio.h>
#include <kern/kdebug.h>
#include <kern/pmap.h>

extern "C" const Ksym ksymtab[], ksymtab_end[];

namespace {
// A frame is walked only if its saved rbp and return address are readable
// kernel memory: a corrupt chain must end the walk, not fault inside it.
bool
frame_readable(uint64_t rbp)
{
	return rbp % 8 == 0 && rbp >= DIRECTMAP && kva_mapped(rbp) && kva_mapped(rbp + 8);
}
} // namespace

bool
debuginfo_rip(uint64_t rip, RipDebugInfo *info)
{
	info->fn_name = "<unknown>";
	info->fn_addr = rip;

	// The table is sorted by address: find the last entry at or below rip.
	const Ksym *lo = ksymtab, *hi = ksymtab_end;
	while (hi - lo > 1) {
		const Ksym *mid = lo + (hi - lo) / 2;
		if (mid->addr <= rip)
			lo = mid;
		else
			hi = mid;
	}
	if (lo == ksymtab_end || lo->addr > rip)
		return false;
	// Sizeless symbols (assembly labels) cover up to the next symbol.
	uint64_t limit = lo->size ? lo->addr + lo->size
				  : (lo + 1 < ksymtab_end ? (lo + 1)->addr : lo->addr);
	if (rip >= limit)
		return false;
	info->fn_name = lo->name;
	info->fn_addr = lo->addr;
	return true;
}

int
backtrace_pcs(uint64_t rbp, uint64_t *pcs, int max)
{
	int n = 0;
	for (; n < max && rbp != 0; n++) {
		if (!frame_readable(rbp))
			break;
		auto *frame = reinterpret_cast<const uint64_t *>(rbp);
		pcs[n] = frame[1];
		rbp = frame[0];
	}
	for (int i = n; i < max; i++)
		pcs[i] = 0;
	return n;
}

void
print_backtrace(uint64_t rbp, uint64_t rip)
{
	RipDebugInfo info;
	cprintf("Stack backtrace:\n");
	if (rip != 0) {
		debuginfo_rip(rip, &info);
		cprintf("  rbp %016lx  rip %016lx  %s+%lu\n", rbp, rip, info.fn_name,
			rip - info.fn_addr);
	}
	uint64_t last_ret = 0;
	int repeats = 0;
	for (int depth = 0; rbp != 0 && depth < 4096; depth++) {
		if (rbp < ULIM) {
			cprintf("  rbp %016lx  (user space: the kernel's frames end here)\n", rbp);
			break;
		}
		if (!frame_readable(rbp)) {
			cprintf("  rbp %016lx  (frame not readable; backtrace stops)\n", rbp);
			break;
		}
		auto *frame = reinterpret_cast<const uint64_t *>(rbp);
		uint64_t ret = frame[1];
		if (ret == 0)
			break;
		rbp = frame[0];
		// Deep recursion: one line for each run of identical frames.
		if (ret == last_ret) {
			repeats++;
			continue;
		}
		if (repeats > 0)
			cprintf("  ... the frame above %d more time(s)\n", repeats);
		repeats = 0;
		last_ret = ret;
		// Name the call, not what follows it: after a call to a noreturn
		// function the return address is already past the caller's end.
		debuginfo_rip(ret - 1, &info);
		cprintf("  rbp %016lx  rip %016lx  %s+%lu\n", reinterpret_cast<uint64_t>(frame),
			ret, info.fn_name, ret - info.fn_addr);
	}
	if (repeats > 0)
		cprintf("  ... the frame above %d more time(s)\n", repeats);
}
