// Function names for addresses, and frame-pointer walks, for backtraces.
#pragma once

#include <inc/types.h>

// One function of the kernel image (kern/Makefrag generates the table from
// the first link pass).
struct Ksym {
	uint64_t addr;
	uint64_t size;		// 0 when the symbol has no recorded size
	const char *name;	// demangled, without the parameter list
};

struct RipDebugInfo {
	const char *fn_name;	// "<unknown>" when no function contains rip
	uint64_t fn_addr;	// start of that function
};

// Fills info for the function containing rip; false if none does.
bool debuginfo_rip(uint64_t rip, RipDebugInfo *info);

// Walks saved frame pointers from rbp, storing up to max return addresses
// in pcs; stops at a null or unreadable frame. Returns how many it stored.
int backtrace_pcs(uint64_t rbp, uint64_t *pcs, int max);

// Prints one "  rbp ... rip ... fn+off" line per frame from rbp.
void print_backtrace(uint64_t rbp, uint64_t rip);
