// Interrupt descriptor table, per-CPU task state, and trap dispatch.
#pragma once

#include <inc/trap.h>

// Builds the IDT, every gate for the kernel only, and loads it on the boot
// CPU. Runs first thing, so that even early faults print a register dump
// instead of resetting the machine.
void idt_init();
// Lab 3: opens the gates user code may use (breakpoint, system call).
void trap_init();
// Gives this CPU its own GDT and loads its own TSS, with the stack pointers
// trap_init_percpu puts in it. Every CPU runs it first: until TR holds a
// 64-bit TSS the CPU state is not valid for VMX, and KVM emulates the guest
// instruction by instruction.
void gdt_init_percpu();
// Points this CPU's TSS at its kernel stack and IST stacks (gdt_init_percpu
// calls it before loading the TSS).
void trap_init_percpu();
// Lets the IDT's double-fault and NMI gates use the IST stacks, and loads
// the IDT. Runs on every CPU once its stacks are mapped.
void idt_init_percpu();
// Loads the shared IDT on this CPU (an AP's first step).
void idt_load();
void print_trapframe(const Trapframe *tf);
extern "C" void trap(Trapframe *tf);
// Prints the NMIs this CPU took while the console was busy (trap() calls
// it on every other trap; boot_aps once the APs are up).
void nmi_report_deferred();
