// Names, source lines and arguments for addresses, and frame-pointer
// walks, for backtraces. The tables come from the kernel's own symbols and
// DWARF (kern/mkdebuginfo.py, run on the first link pass).
#pragma once

#include <inc/types.h>

// One function of the kernel image.
struct Ksym {
	uint64_t addr;
	uint64_t size;		// 0 when the symbol has no recorded size
	const char *name;	// demangled, without the parameter list
};

// One row of the line table: code from addr on (up to the next row) comes
// from line `line` of file kfiles[file].
struct Kline {
	uint64_t addr;
	uint32_t line;
	uint32_t file;
};
static_assert(sizeof(Kline) == 16);

// Where the first parameters of a function live in its frame.
constexpr int kMaxArgs = 5;
struct Kparams {
	uint64_t fn;			// the function's address
	uint8_t nargs;			// its parameters (at most kMaxArgs counted)
	uint8_t size[kMaxArgs];		// 0: kept in a register, not in the frame
	int16_t fbreg[kMaxArgs];	// offset from the frame base, rbp + 16
};
static_assert(sizeof(Kparams) == 24);

extern "C" const Ksym ksymtab[], ksymtab_end[];
extern "C" const Kline klines[], klines_end[];
extern "C" const char *const kfiles[];
extern "C" const Kparams kparams[], kparams_end[];

struct RipDebugInfo {
	const char *file;	// source file of rip ("<unknown>" if none)
	int line;		// its line (0 if unknown)
	const char *fn_name;	// "<unknown>" when no function contains rip
	uint64_t fn_addr;	// start of that function
	int nargs;		// the function's parameters (up to kMaxArgs)
	uint8_t arg_size[kMaxArgs];	// 0 where the parameter is not in the frame
	int16_t arg_fbreg[kMaxArgs];	// where it is: rbp + 16 + arg_fbreg[i]
};

// Fills info for rip: its function, source line and the function's frame
// parameters. Returns false if no function contains rip (info is filled
// with "<unknown>" then).
bool debuginfo_rip(uint64_t rip, RipDebugInfo *info);

// Walks saved frame pointers from rbp, storing up to max return addresses
// in pcs; stops at a null or unreadable frame. Returns how many it stored.
int backtrace_pcs(uint64_t rbp, uint64_t *pcs, int max);

// JOS's backtrace: two lines per frame, from rbp outwards (rip, if not 0,
// is where the innermost frame is now):
//   "  rbp <frame>  rip <return address>  args <first arguments>"
//   "         <file>:<line>: <function>+<offset>"
void print_backtrace(uint64_t rbp, uint64_t rip);
