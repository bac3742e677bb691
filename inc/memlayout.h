// The x86_64 virtual memory map, shared by kernel, user programs and assembly.
#pragma once

#include <inc/mmu.h>

/*
 * Virtual memory map                                        Permissions
 *                                                           kernel/user
 *
 *  0xFFFFFFFFFFFFFFFF -->  +------------------------------+
 *                          |  kernel image (linked at     | text R-X, rodata R--,
 *                          |  KERNBASE+1MiB) and the      | data/bss RW-      --/--
 *                          |  boot_alloc()ed memory       |
 *  KERNBASE, KSTACKTOP --> +------------------------------+ 0xFFFFFFFF80000000
 *                          |     CPU0's Kernel Stack      | RW-/--  KSTKSIZE   |
 *                          | - - - - - - - - - - - - - - -|                    |
 *                          |      Invalid Memory (*)      | --/--  KSTKGAP     |
 *                          +------------------------------+                    |
 *                          |     CPU1's Kernel Stack      | RW-/--  KSTKSIZE   |
 *                          | - - - - - - - - - - - - - - -|            NCPU slots
 *                          |      Invalid Memory (*)      | --/--  KSTKGAP     |
 *                          +------------------------------+                    |
 *                          :              .               :                    |
 *  ISTSTACKTOP ----------> +------------------------------+
 *                          |  per-CPU IST stacks (#DF,    | RW-/--  ISTSIZE each,
 *                          |  NMI), each over a guard page|         ISTGAP below
 *                          +------------------------------+
 *                          :              .               :
 *  MMIOLIM --------------> +------------------------------+
 *                          |      Memory-mapped I/O       | RW-/--  (PCD|PWT)
 *  MMIOBASE -------------> +------------------------------+
 *                          :              .               :
 *                          +------------------------------+ DIRECTMAP + RAM size
 *                          |  Direct map of physical RAM  | RW-/--
 *  DIRECTMAP ------------> +------------------------------+ 0xFFFF800000000000
 *                          :   non-canonical addresses    :
 *  ULIM -----------------> +------------------------------+ 0x0000800000000000
 *                          |  Cur. Page Table (User R-)   | R-/R-  512 GiB (PML4 slot 255)
 *  UVPT -----------------> +------------------------------+ 0x00007F8000000000
 *                          |          RO PAGES            | R-/R-  256 GiB
 *  UPAGES ---------------> +------------------------------+ 0x00007F4000000000
 *                          |           RO ENVS            | R-/R-  256 GiB (PML4 slot 254,
 *  UTOP, UENVS ----------> +------------------------------+ 0x00007F0000000000  shared)
 *  UXSTACKTOP -/           |     User Exception Stack     | RW/RW  PGSIZE
 *                          +------------------------------+
 *                          |       Empty Memory (*)       | --/--  PGSIZE
 *  USTACKTOP  -----------> +------------------------------+
 *                          |      Normal User Stack       | RW/RW  PGSIZE
 *                          +------------------------------+
 *                          :              .               :
 *  UTEXT ----------------> +------------------------------+ 0x0000000000800000
 *  PFTEMP ---------------> |       Empty Memory (*)       |
 *  UTEMP ----------------> +------------------------------+ 0x0000000000400000
 *                          |       Empty Memory (*)       |
 *  0 --------------------> +------------------------------+
 *
 * (*) never mapped: touching it faults, which is what catches a kernel
 *     stack overflow (the gap below each stack) and null pointers.
 */

#define KERNBASE	0xFFFFFFFF80000000UL
#define KERNLOAD	0x100000UL	// physical (and KERNBASE-relative) load address

#define NCPU		512		// CPUs the kernel can manage (APIC IDs may be sparse)

#define KSTACKTOP	KERNBASE
#define KSTKSIZE	(8 * PGSIZE)	// size of a kernel stack
#define KSTKGAP		(8 * PGSIZE)	// unmapped guard below each kernel stack

// Interrupt Stack Table stacks: NIST per CPU, so that a double fault or an
// NMI always has a good stack, even when the kernel stack overflowed.
#define NIST		2
#define IST_DF		1		// TSS IST index for #DF
#define IST_NMI		2		// TSS IST index for NMI
#define ISTSIZE		(2 * PGSIZE)
#define ISTGAP		PGSIZE
#define ISTSTACKTOP	(KSTACKTOP - NCPU * (KSTKSIZE + KSTKGAP))

#define MMIOLIM		((ISTSTACKTOP - NCPU * NIST * (ISTSIZE + ISTGAP)) & ~(PTSIZE - 1))
#define MMIOBASE	(MMIOLIM - 0x4000000UL)		// 64 MiB of MMIO space

#define DIRECTMAP	0xFFFF800000000000UL
#define DIRECTMAPSIZE	0x0000400000000000UL	// 64 TiB of physical address space

// The read-only windows have PML4 slots of their own: UVPT is each address
// space's own PML4 (slot 255), UPAGES and UENVS share slot 254 with every
// environment. Everything an environment owns lies below UTOP.
#define ULIM		0x0000800000000000UL
#define UVPT		0x00007F8000000000UL	// PML4 slot 255 maps the PML4 itself
// Through that slot each level of an environment's page table appears at a
// fixed place (read-only): the entry for va at level n is element
// va >> (12 + 9 * (n - 1)) of that level's window (PTEs at UVPT, then PDEs,
// PDPTEs, PML4Es). Each step through the slot takes one level off.
#define UVPD		(UVPT + (PML4X(UVPT) << PDPXSHIFT))
#define UVPDP		(UVPD + (PML4X(UVPT) << PDXSHIFT))
#define UVPML4		(UVPDP + (PML4X(UVPT) << PTXSHIFT))
#define UPAGES		0x00007F4000000000UL
#define UENVS		0x00007F0000000000UL
#define UTOP		UENVS
#define UXSTACKTOP	UTOP
#define USTACKTOP	(UTOP - 2 * PGSIZE)
#define UTEXT		0x800000UL
#define UTEMP		0x400000UL
#define PFTEMP		(UTEMP + PTSIZE - PGSIZE)

// Physical memory landmarks.
#define MPENTRY_PADDR	0x7000UL	// where APs start in real mode (4 KiB aligned)
#define IOPHYSMEM	0x0A0000UL	// start of the legacy ISA hole
#define EXTPHYSMEM	0x100000UL	// end of the legacy hole

// What the boot page tables map: the kernel image and a direct map of the
// low 4 GiB, enough for boot info and firmware tables until mem_init.
#define EARLY_MAP_LIMIT	0x100000000UL

#ifndef __ASSEMBLER__
#include <inc/types.h>

// One per physical page: the free-list link and a reference count. It is
// not the page itself; page2pa()/page2kva() map between the two.
struct PageInfo {
	PageInfo *pp_link;	// next page on the free list (valid only when free)
	// Pointers to this page (page-table mappings, mostly). 64 bits, so that
	// it cannot wrap: each reference is an 8-byte page-table entry, and
	// 2^64 of them would need more memory than any machine has. (With 16
	// bits, 65536 mappings of one page wrapped it to 0, and the page was
	// freed while still mapped.)
	uint64_t pp_ref;
};

// The kernel stack of CPU i: [kstack_bottom(i), kstack_top(i)).
constexpr uint64_t kstack_top(int cpu) { return KSTACKTOP - cpu * (KSTKSIZE + KSTKGAP); }
constexpr uint64_t kstack_bottom(int cpu) { return kstack_top(cpu) - KSTKSIZE; }
// IST stack k (1-based TSS index) of CPU i.
constexpr uint64_t ist_top(int cpu, int k)
{
	return ISTSTACKTOP - (cpu * NIST + (k - 1)) * (ISTSIZE + ISTGAP);
}

static_assert(MMIOBASE > DIRECTMAP + DIRECTMAPSIZE);
static_assert(UVPD == 0x00007FBFC0000000UL && UVPML4 == 0x00007FBFDFEFF000UL);
static_assert(UENVS > UTEXT);
static_assert(PML4X(UPAGES) == PML4X(UENVS) && PML4X(UENVS) != PML4X(UTOP - 1));
#endif
