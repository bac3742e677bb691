// Trap numbers and the trap frame, shared by kernel, user code and assembly.
#pragma once

// Processor-defined exceptions.
#define T_DIVIDE	0	// divide error
#define T_DEBUG		1	// debug exception
#define T_NMI		2	// non-maskable interrupt
#define T_BRKPT		3	// breakpoint
#define T_OFLOW		4	// overflow
#define T_BOUND		5	// bounds check
#define T_ILLOP		6	// illegal opcode
#define T_DEVICE	7	// device not available
#define T_DBLFLT	8	// double fault
#define T_TSS		10	// invalid task switch segment
#define T_SEGNP		11	// segment not present
#define T_STACK		12	// stack exception
#define T_GPFLT		13	// general protection fault
#define T_PGFLT		14	// page fault
#define T_FPERR		16	// floating point error
#define T_ALIGN		17	// alignment check
#define T_MCHK		18	// machine check
#define T_SIMDERR	19	// SIMD floating point error
#define T_VIRT		20	// virtualization exception
#define T_CTRLPROT	21	// control protection exception

#define T_SYSCALL	48	// system call (int $0x30)

#define IRQ_OFFSET	32	// IRQ 0 corresponds to int IRQ_OFFSET
#define IRQ_TIMER	0
#define IRQ_KBD		1
#define IRQ_SERIAL	4
#define IRQ_SPURIOUS	7
#define IRQ_NIC		11	// the network card (lab 6), whichever GSI it is on
#define IRQ_IDE		14
#define IRQ_ERROR	19

#define T_IPI_WAKEUP	0xF0	// wakes a halted CPU: there is work
#define T_IPI_CALL	0xF1	// a request from another CPU (kern/ipi.cc)
#define T_LAPIC_SPURIOUS 0xFF	// the local APIC's spurious-interrupt vector

// Trapframe layout, for assembly.
#define TF_TRAPNO	120
#define TF_ERR		128
#define TF_RIP		136
#define TF_CS		144
#define TF_RFLAGS	152
#define TF_RSP		160
#define TF_SS		168
#define TF_SIZE		176

// UTrapframe layout, for lib/pfentry.S.
#define UTF_FAULT_VA	0
#define UTF_ERR		8
#define UTF_REGS	16
#define UTF_RIP		136
#define UTF_RFLAGS	144
#define UTF_RSP		152
#define UTF_SIZE	160

#ifndef __ASSEMBLER__
#include <cstddef>
#include <inc/types.h>

// General registers in the order the trap entry code pushes them.
struct PushRegs {
	uint64_t reg_r15;
	uint64_t reg_r14;
	uint64_t reg_r13;
	uint64_t reg_r12;
	uint64_t reg_r11;
	uint64_t reg_r10;
	uint64_t reg_r9;
	uint64_t reg_r8;
	uint64_t reg_rsi;
	uint64_t reg_rdi;
	uint64_t reg_rbp;
	uint64_t reg_rdx;
	uint64_t reg_rcx;
	uint64_t reg_rbx;
	uint64_t reg_rax;
};

struct Trapframe {
	PushRegs tf_regs;
	uint64_t tf_trapno;
	uint64_t tf_err;	// error code (0 for traps without one)
	// What the CPU pushes (always all five in 64-bit mode).
	uint64_t tf_rip;
	uint64_t tf_cs;
	uint64_t tf_rflags;
	uint64_t tf_rsp;
	uint64_t tf_ss;
};

static_assert(offsetof(Trapframe, tf_trapno) == TF_TRAPNO);
static_assert(offsetof(Trapframe, tf_err) == TF_ERR);
static_assert(offsetof(Trapframe, tf_rip) == TF_RIP);
static_assert(offsetof(Trapframe, tf_cs) == TF_CS);
static_assert(offsetof(Trapframe, tf_rflags) == TF_RFLAGS);
static_assert(offsetof(Trapframe, tf_rsp) == TF_RSP);
static_assert(offsetof(Trapframe, tf_ss) == TF_SS);
static_assert(sizeof(Trapframe) == TF_SIZE);
static_assert(TF_SIZE % 16 == 0, "the entry code relies on a 16-byte aligned frame");

// What the kernel pushes on the user exception stack before it enters the
// environment's page-fault upcall: the fault, and the registers to resume
// with (the same PushRegs layout as the Trapframe's).
struct UTrapframe {
	uint64_t utf_fault_va;	// va for T_PGFLT, 0 otherwise
	uint64_t utf_err;
	PushRegs utf_regs;
	uint64_t utf_rip;
	uint64_t utf_rflags;
	uint64_t utf_rsp;
};

static_assert(offsetof(UTrapframe, utf_fault_va) == UTF_FAULT_VA);
static_assert(offsetof(UTrapframe, utf_err) == UTF_ERR);
static_assert(offsetof(UTrapframe, utf_regs) == UTF_REGS);
static_assert(offsetof(UTrapframe, utf_rip) == UTF_RIP);
static_assert(offsetof(UTrapframe, utf_rflags) == UTF_RFLAGS);
static_assert(offsetof(UTrapframe, utf_rsp) == UTF_RSP);
static_assert(sizeof(UTrapframe) == UTF_SIZE);
static_assert(UTF_SIZE % 16 == 0, "the upcall starts on a 16-byte aligned stack");
#endif
