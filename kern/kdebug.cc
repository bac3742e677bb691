// Backtraces from frame pointers (-fno-omit-frame-pointer everywhere) and
// tables generated from the kernel's own symbols and DWARF
// (kern/mkdebuginfo.py). Modern GCC emits no stabs, so JOS's stab lookup
// gives way to these: sorted arrays, searched by address.

#include <inc/memlayout.h>
#include <inc/stdio.h>
#include <kern/kdebug.h>
#include <kern/lab.h>
#include <kern/pmap.h>

namespace {

// A frame is walked only if its saved rbp and return address are readable
// kernel memory: a corrupt chain must end the walk, not fault inside it.
bool
frame_readable(uint64_t rbp)
{
	return rbp % 8 == 0 && rbp >= DIRECTMAP && kva_mapped(rbp) && kva_mapped(rbp + 8);
}

// The function that contains rip, or nullptr.
const Ksym *
find_function(uint64_t rip)
{
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
		return nullptr;
	// Sizeless symbols (assembly labels) cover up to the next symbol.
	uint64_t limit = lo->size ? lo->addr + lo->size
				  : (lo + 1 < ksymtab_end ? (lo + 1)->addr : lo->addr);
	return rip < limit ? lo : nullptr;
}

// Where fn keeps its parameters, or nullptr if none lives in its frame.
const Kparams *
find_params(uint64_t fn)
{
	const Kparams *lo = kparams, *hi = kparams_end;
	while (lo < hi) {
		const Kparams *mid = lo + (hi - lo) / 2;
		if (mid->fn == fn)
			return mid;
		if (mid->fn < fn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return nullptr;
}

// Prints the arguments of the function info describes, as its frame at
// rbp holds them: "?" for one kept in a register.
[[maybe_unused]] void
print_args(uint64_t rbp, const RipDebugInfo &info)
{
	cprintf("  args");
	for (int i = 0; i < info.nargs; i++) {
		uint64_t at = rbp + 16 + info.arg_fbreg[i];
		int size = info.arg_size[i];
		if (size == 0 || !kva_mapped(at) || !kva_mapped(at + size - 1)) {
			cprintf(" ?");
			continue;
		}
		const auto *p = reinterpret_cast<const uint8_t *>(at);
		uint64_t v = 0;
		for (int b = MIN(size, 8) - 1; b >= 0; b--)
			v = v << 8 | p[b];
		cprintf(" %0*lx", 2 * MIN(size, 8), v);
	}
}

} // namespace

bool
debuginfo_rip(uint64_t rip, RipDebugInfo *info)
{
	info->file = "<unknown>";
	info->line = 0;
	info->fn_name = "<unknown>";
	info->fn_addr = rip;
	info->nargs = 0;

	const Ksym *fn = find_function(rip);
	if (fn != nullptr) {
		info->fn_name = fn->name;
		info->fn_addr = fn->addr;
		if (const Kparams *p = find_params(fn->addr)) {
			info->nargs = MIN<int>(p->nargs, kMaxArgs);
			for (int i = 0; i < info->nargs; i++) {
				info->arg_size[i] = p->size[i];
				info->arg_fbreg[i] = p->fbreg[i];
			}
		}
	}

	// LAB 1 EXERCISE debuginfo_line BEGIN
	// rip's source line. klines[] (up to klines_end) is sorted by address,
	// and a row covers the addresses from its own up to the next row's:
	// binary-search for the last row whose addr is at or below rip, as
	// find_function does in ksymtab, and fill in info->file
	// (kfiles[row.file]) and info->line. Leave them unknown below the first
	// row, and where rip is in no function or the row found starts before
	// rip's function does (rip is then in code the table has no line for).
	//> (void)klines_end;
	const Kline *lo = klines, *hi = klines_end;
	while (hi - lo > 1) {
		const Kline *mid = lo + (hi - lo) / 2;
		if (mid->addr <= rip)
			lo = mid;
		else
			hi = mid;
	}
	if (lo < klines_end && lo->addr <= rip && fn != nullptr && lo->addr >= fn->addr) {
		info->file = kfiles[lo->file];
		info->line = static_cast<int>(lo->line);
	}
	// LAB 1 EXERCISE debuginfo_line END
	return fn != nullptr;
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

// [[gnu::noinline]]: its return address is in the function whose frame
// the walk starts with (when rip is 0), which owns the first arguments.
[[gnu::noinline]] void
print_backtrace(uint64_t rbp, uint64_t rip)
{
	RipDebugInfo info;
	cprintf("Stack backtrace:\n");
	if (rip != 0) {
		debuginfo_rip(rip, &info);
		cprintf("  rbp %016lx  rip %016lx\n         %s:%d: %s+%lu\n", rbp, rip, info.file,
			info.line, info.fn_name, rip - info.fn_addr);
	}
	// LAB 1 EXERCISE backtrace BEGIN
	// Walk the chain of saved frame pointers from rbp outwards. Every
	// function starts with push %rbp; mov %rsp, %rbp: so at rbp is the
	// caller's rbp, and just above it (rbp + 8) the return address. For
	// each frame print, as JOS does,
	//   "  rbp <rbp, %016lx>  rip <return address, %016lx>  args ..."
	// where the arguments are those of the function running in the frame
	// (print_args, with that function's debuginfo_rip). The first frame's
	// function is the one that called print_backtrace (where rip is, if
	// rip is not 0): __builtin_return_address(0) is an address in it. The
	// next frame out runs the function the return address is in. Then
	//   "         <file>:<line>: <function>+<offset of rip in it>"
	// from debuginfo_rip of the return address (look up rip - 1: after a
	// call to a function that never returns, the return address is
	// already past the caller's end).
	// Stop at rbp 0 (kern_main's caller set it), at a user address (below
	// ULIM: "(user space: the kernel's frames end here)"), and at a frame
	// that is not readable (frame_readable). Deep recursion (a stack
	// overflow) repeats one return address thousands of times: after 8
	// frames with the same one, print only "  ... the frame above N more
	// time(s)" for the rest of that run.
	//> (void)frame_readable(rbp);
	//> lab_todo(1, "the backtrace (print_backtrace in kern/kdebug.cc)");
	// The function running in the first frame: where rip is, or else our
	// caller (the walk starts at its frame).
	RipDebugInfo owner;
	uint64_t owner_pc = rip ? rip : reinterpret_cast<uint64_t>(__builtin_return_address(0)) - 1;
	constexpr int kMaxRepeats = 8;
	uint64_t last_ret = 0;
	int repeats = 0, same = 0;
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
		uint64_t here = rbp;
		rbp = frame[0];
		// Deep recursion: one line for the rest of a long run of
		// identical frames.
		if (ret == last_ret && ++same > kMaxRepeats) {
			repeats++;
			owner_pc = ret - 1;
			continue;
		}
		if (ret != last_ret) {
			if (repeats > 0)
				cprintf("  ... the frame above %d more time(s)\n", repeats);
			repeats = same = 0;
		}
		last_ret = ret;
		debuginfo_rip(owner_pc, &owner);
		debuginfo_rip(ret - 1, &info);
		owner_pc = ret - 1;
		cprintf("  rbp %016lx  rip %016lx", here, ret);
		print_args(here, owner);
		cprintf("\n         %s:%d: %s+%lu\n", info.file, info.line, info.fn_name,
			ret - info.fn_addr);
	}
	if (repeats > 0)
		cprintf("  ... the frame above %d more time(s)\n", repeats);
	// LAB 1 EXERCISE backtrace END
}
