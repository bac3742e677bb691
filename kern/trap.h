// Interrupt descriptor table, per-CPU task state, and trap dispatch.
#pragma once

#include <inc/trap.h>

// Builds the IDT and loads it on the boot CPU. Runs before mem_init so that
// even early faults print a register dump instead of resetting the machine.
void trap_init();
// Gives this CPU its GDT and TSS (kernel stack and IST stacks) and loads
// the IDT. Runs on every CPU once its stacks are mapped.
void trap_init_percpu();
void print_trapframe(const Trapframe *tf);
extern "C" void trap(Trapframe *tf);
