// Requests one CPU makes of others through an IPI: invalidate a TLB entry
// (shootdown) or stop running an environment (eviction).
#pragma once

#include <inc/mmu.h>
#include <inc/trap.h>

struct Cpu;
struct Env;

// Invalidates va's TLB entry on every other CPU that has pgdir loaded, and
// waits for each to confirm, however long that takes (a CPU slower than 2 s
// is named, every 2 s). Caller holds the big kernel lock (so that no CPU
// loads or drops pgdir meanwhile), or no other CPU is running yet.
void tlb_shootdown(pte_t *pgdir, uintptr_t va);

// Makes CPU c, which is running e, stop: c switches to the kernel's page
// table and forgets e, without saving e's registers (e is being
// destroyed). Waits for c as tlb_shootdown does. Caller holds the big
// kernel lock. False only if the kernel panicked meanwhile.
bool cpu_evict(Cpu *c, Env *e);

// Interrupts CPU c so that it enters the kernel and looks at its
// environment's status again (for example, one just made not runnable).
void cpu_kick(Cpu *c);

// The T_IPI_CALL handler, at the top of trap(), without any lock. Does not
// return if it evicted the environment this CPU was running in user mode.
void ipi_call_handle(Trapframe *tf);
