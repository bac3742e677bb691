// Per-CPU state: one Cpu record per processor, reached through GS.
#pragma once

// Offsets and size of the record, for assembly (static_asserted below).
#define CPU_OFF_SELF		0
#define CPU_OFF_SCRATCH		8
#define CPU_OFF_APIC_ID		20
#define CPU_OFF_STATUS		24
#define CPU_SIZE		320

// Values of cpu_status (for assembly too).
#define CPU_UNUSED		0	// not started, or not yet reported in
#define CPU_STARTED		1	// running kernel code or an environment
#define CPU_HALTED		2	// idle in sched_halt, the big kernel lock given away
#define CPU_BOOTING		3	// an AP claimed its slot and is setting itself up
#define CPU_GIVEN_UP		4	// the boot CPU gave up on it (parked with INIT)
#define CPU_RESTARTING		5	// the boot CPU starts it again (it missed its start)

#ifndef __ASSEMBLER__
#include <inc/atomic.h>
#include <cstddef>
#include <inc/memlayout.h>
#include <inc/mmu.h>
#include <inc/types.h>

struct Env;

// How many NMIs one CPU remembers while its console is busy (trap.cc).
constexpr int kNmiBacklog = 4;

struct Cpu {
	Cpu *self;			// %gs:0 holds the record's own address
	uint64_t scratch;		// for entry code that has no free register
	uint32_t cpu_id;		// index in cpus[]
	uint32_t apic_id;		// the local APIC's ID (32 bits in x2APIC mode)
	// CPU_* above. An AP's slot goes UNUSED -> BOOTING (the AP claims it)
	// or UNUSED -> GIVEN_UP (the boot CPU gives up on it): one
	// compare-and-exchange decides, so the two never both happen.
	Atomic<uint32_t> cpu_status;
	Env *cpu_env;			// the environment this CPU is running
	pte_t *cpu_pgdir;		// the page table in CR3 (load_pgdir keeps it)
	Atomic<uint64_t> ipi_ack;	// the last cross-CPU request answered (ipi.cc)
	uint64_t slice_end;		// TSC when the running environment's slice ends; 0: none yet
	uint64_t asked_tsc;		// TSC when this CPU's environment last asked the
					// kernel for something (a trap other than an
					// interrupt) or gave the CPU up (sched_yield)
	uint32_t nmi_unreported;	// NMIs taken while the console was busy
	uint64_t nmi_rips[kNmiBacklog];	// where the first of those arrived
	bool panicking;			// set by _panic, to catch a panic inside a panic
	bool lapic_on;			// lapic_init ran on this CPU
	bool in_monitor;		// in the kernel monitor, waiting for input
	// A long task the CPU does with its locks held, on purpose (the boot
	// CPU starting the others: 255 CPUs one at a time take 17 s under TCG).
	// Those who wait for its locks meanwhile are not reported as stalled.
	Atomic<const char *> busy_with;
	// Bumped while this CPU moves (each step of an AP's start, each turn
	// of a lock wait): the boot CPU waits for an AP that reported in as
	// long as this changes, however slowly the host runs it.
	Atomic<uint64_t> heartbeat;
	struct Trapframe *incoming_tf;	// the last trap from user mode, on this CPU's stack
	uint64_t gdt[GDT_ENTRIES];	// this CPU's GDT; GD_TSS0 points at cpu_ts
	Taskstate cpu_ts;		// this CPU's TSS: rsp0 and the IST stacks
} __attribute__((aligned(64)));	// one cache line per record start

static_assert(offsetof(Cpu, self) == CPU_OFF_SELF);
static_assert(offsetof(Cpu, scratch) == CPU_OFF_SCRATCH);
static_assert(offsetof(Cpu, apic_id) == CPU_OFF_APIC_ID);
static_assert(offsetof(Cpu, cpu_status) == CPU_OFF_STATUS);
static_assert(sizeof(Cpu) == CPU_SIZE, "update CPU_SIZE (kern/mpentry.S walks cpus[])");

extern Cpu cpus[NCPU];
extern int ncpu;			// CPUs found by mp_init (1 until then)
extern Cpu *bootcpu;			// the boot processor's record

// The record of the CPU running this code. Valid once cpu_set_gs() ran on
// this CPU; kernel entry from user mode must swapgs first.
#ifdef HOST_SIM
Cpu *this_cpu();		// the simulator's CPU (grade/lapicsim)
#else
static inline Cpu *
this_cpu()
{
	Cpu *c;
	asm volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}
#endif
#define thiscpu (this_cpu())

// The current CPU's index (JOS's cpunum()).
static inline int cpunum() { return static_cast<int>(this_cpu()->cpu_id); }

// Points this CPU's GS base at its record. Called first thing on every CPU.
void cpu_set_gs(Cpu *c);
// True once any CPU has panicked.
bool kernel_panicked();
#endif
