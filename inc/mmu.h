// x86_64 paging, segmentation and control-register definitions.
// Usable from assembly: everything outside __ASSEMBLER__ guards is a macro.
#pragma once

// A virtual address splits into four 9-bit table indexes and a page offset:
//  +--------+--------+--------+--------+------------+
//  | PML4X  |  PDPX  |  PDX   |  PTX   | page offset|
//  +--------+--------+--------+--------+------------+
//   47    39 38    30 29    21 20    12 11          0
#define PGSHIFT		12
#define PTXSHIFT	12
#define PDXSHIFT	21
#define PDPXSHIFT	30
#define PML4XSHIFT	39

#define PGSIZE		4096		// bytes mapped by a page
#define NPTENTRIES	512		// entries in any page-table page
#define PTSIZE		(1UL << PDXSHIFT)	// bytes mapped by a PD entry (2 MiB)
#define HUGEPGSIZE	PTSIZE

#define PTX(la)		((((uint64_t) (la)) >> PTXSHIFT) & 0x1FF)
#define PDX(la)		((((uint64_t) (la)) >> PDXSHIFT) & 0x1FF)
#define PDPX(la)	((((uint64_t) (la)) >> PDPXSHIFT) & 0x1FF)
#define PML4X(la)	((((uint64_t) (la)) >> PML4XSHIFT) & 0x1FF)
#define PGNUM(la)	(((uint64_t) (la)) >> PGSHIFT)
#define PGOFF(la)	(((uint64_t) (la)) & 0xFFF)

// Page table entry flags.
#define PTE_P		0x001		// Present
#define PTE_W		0x002		// Writeable
#define PTE_U		0x004		// User
#define PTE_PWT		0x008		// Write-Through
#define PTE_PCD		0x010		// Cache-Disable
#define PTE_A		0x020		// Accessed
#define PTE_D		0x040		// Dirty
#define PTE_PS		0x080		// Page Size (2 MiB in a PD entry)
#define PTE_G		0x100		// Global
#define PTE_AVAIL	0xE00		// Available for software use
#define PTE_NX		(1UL << 63)	// No-Execute (needs EFER.NXE)

// Copy-on-write: a page fork shares read-only and copies on the first write
// (lib/fork.cc). One of the bits the MMU leaves to software.
#define PTE_COW		0x800
// Shared: fork and spawn map the page into the child as it is, writable
// or not, so both keep using the one page (JOS lab 5: the file-descriptor
// table and pipe buffers).
#define PTE_SHARE	0x400

// Flags the system-call layer lets user code set (JOS's PTE_SYSCALL).
#define PTE_SYSCALL	(PTE_AVAIL | PTE_P | PTE_W | PTE_U)

// Physical address held by a table entry, and the flags around it.
#define PTE_ADDR(pte)	(((uint64_t) (pte)) & 0x000FFFFFFFFFF000UL)
#define PTE_FLAGS(pte)	(((uint64_t) (pte)) & ~0x000FFFFFFFFFF000UL)

// Control register flags.
#define CR0_PE		0x00000001	// Protection Enable
#define CR0_MP		0x00000002	// Monitor coProcessor
#define CR0_EM		0x00000004	// Emulation
#define CR0_TS		0x00000008	// Task Switched
#define CR0_ET		0x00000010	// Extension Type
#define CR0_NE		0x00000020	// Numeric Errror
#define CR0_WP		0x00010000	// Write Protect
#define CR0_AM		0x00040000	// Alignment Mask
#define CR0_NW		0x20000000	// Not Writethrough
#define CR0_CD		0x40000000	// Cache Disable
#define CR0_PG		0x80000000	// Paging

#define CR4_PSE		0x00000010	// Page size extensions
#define CR4_PAE		0x00000020	// Physical address extension
#define CR4_PGE		0x00000080	// Global pages
#define CR4_OSFXSR	0x00000200
#define CR4_SMEP	0x00100000	// Supervisor-mode execution prevention
#define CR4_SMAP	0x00200000	// Supervisor-mode access prevention

// Model-specific registers.
#define MSR_APIC_BASE	0x0000001B
#define APIC_BASE_BSP	0x100		// this is the boot processor
#define APIC_BASE_EXTD	0x400		// x2APIC mode
#define APIC_BASE_EN	0x800		// the APIC is enabled
#define MSR_X2APIC_ID	0x00000802	// the 32-bit APIC ID, in x2APIC mode
#define MSR_EFER	0xC0000080
#define MSR_STAR	0xC0000081
#define MSR_LSTAR	0xC0000082
#define MSR_FMASK	0xC0000084
#define MSR_FS_BASE	0xC0000100
#define MSR_GS_BASE	0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102

#define EFER_SCE	0x00000001	// System-call extensions
#define EFER_LME	0x00000100	// Long mode enable
#define EFER_LMA	0x00000400	// Long mode active
#define EFER_NXE	0x00000800	// No-execute enable

// RFLAGS.
#define FL_CF		0x00000001
#define FL_TF		0x00000100	// Trap Flag
#define FL_IF		0x00000200	// Interrupt Flag
#define FL_DF		0x00000400
#define FL_IOPL_MASK	0x00003000	// I/O privilege level bitmask
#define FL_IOPL_0	0x00000000	//   IOPL == 0
#define FL_IOPL_3	0x00003000	//   IOPL == 3: user code may use I/O ports
#define FL_NT		0x00004000	// Nested Task
#define FL_AC		0x00040000	// Alignment check (SMAP override)

// Page fault error code bits.
#define FEC_PR		0x1	// Page fault caused by protection violation
#define FEC_WR		0x2	// Page fault caused by a write
#define FEC_U		0x4	// Page fault occured while in user mode
#define FEC_RSV		0x8	// Reserved bit set in a table entry
#define FEC_I		0x10	// Instruction fetch

// Global descriptor numbers (the same layout on every CPU).
#define GD_KT		0x08	// kernel text (64-bit)
#define GD_KD		0x10	// kernel data
#define GD_UT		0x18	// user text (64-bit); JOS's selectors: user CS 0x1b,
#define GD_UD		0x20	// user data; SS 0x23 (int/iret need no sysret order)
#define GD_TSS0		0x28	// this CPU's TSS (a 16-byte descriptor)
#define GDT_ENTRIES	7

// Segment descriptor access/flag bits used by the GDTs.
#define SEG_CODE64_KERNEL	0x00AF9A000000FFFFUL	// P, DPL0, code, R, L
#define SEG_DATA_KERNEL		0x00CF92000000FFFFUL	// P, DPL0, data, W
#define SEG_CODE64_USER		0x00AFFA000000FFFFUL	// P, DPL3, code, R, L
#define SEG_DATA_USER		0x00CFF2000000FFFFUL	// P, DPL3, data, W
#define SEG_CODE32		0x00CF9A000000FFFFUL	// P, DPL0, code, R, D
#define SEG_CODE16		0x00009A000000FFFFUL	// 16-bit code (real-mode limits)

#ifndef __ASSEMBLER__
#include <inc/types.h>

using pte_t = uint64_t;

// The 64-bit task state segment (Intel SDM vol. 3, 8.7).
struct __attribute__((packed)) Taskstate {
	uint32_t ts_reserved0;
	uint64_t ts_rsp[3];	// stack pointers loaded on a privilege change to ring 0-2
	uint64_t ts_reserved1;
	uint64_t ts_ist[7];	// interrupt stack table, ts_ist[0] is IST1
	uint64_t ts_reserved2;
	uint16_t ts_reserved3;
	uint16_t ts_iomb;	// I/O map base
};
static_assert(sizeof(Taskstate) == 104);

// A 16-byte interrupt or trap gate.
struct Gatedesc {
	uint16_t off_15_0;
	uint16_t sel;
	uint8_t ist;		// IST index (0 = no stack switch)
	uint8_t type_attr;	// P, DPL, type
	uint16_t off_31_16;
	uint32_t off_63_32;
	uint32_t reserved;
};
static_assert(sizeof(Gatedesc) == 16);

enum : uint8_t {
	STS_IG64 = 0xE,		// 64-bit interrupt gate (clears IF)
	STS_TG64 = 0xF,		// 64-bit trap gate
	STS_T64A = 0x9,		// available 64-bit TSS
};

constexpr Gatedesc
make_gate(uint64_t handler, uint8_t type, uint8_t dpl, uint8_t ist)
{
	return Gatedesc{
		static_cast<uint16_t>(handler & 0xFFFF), GD_KT, ist,
		static_cast<uint8_t>(0x80 | (dpl << 5) | type),
		static_cast<uint16_t>((handler >> 16) & 0xFFFF),
		static_cast<uint32_t>(handler >> 32), 0,
	};
}

// Pseudo-descriptor for lgdt/lidt.
struct __attribute__((packed)) Pseudodesc {
	uint16_t pd_lim;
	uint64_t pd_base;
};
#endif
