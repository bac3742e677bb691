// Trap entry: one 16-byte stub per vector pushes a zero error code (where
// the CPU pushes none) and the vector number, then joins the common path,
// which saves the registers into a Trapframe and calls trap().

#include <inc/mmu.h>
#include <inc/trap.h>

#define STUB_SIZE 16

.text
.balign STUB_SIZE
.globl vector_stubs
vector_stubs:
.set vec, 0
.rept 256
	.balign STUB_SIZE
	.if !(vec == T_DBLFLT || (vec >= T_TSS && vec <= T_PGFLT) || vec == T_ALIGN || vec == T_CTRLPROT || vec == 29 || vec == 30)
	pushq	$0
	.endif
	pushq	$vec
	.if vec == T_NMI || vec == T_DBLFLT || vec == T_MCHK
	jmp	paranoid_entry
	.else
	jmp	alltraps
	.endif
	.set vec, vec + 1
.endr
// If a stub outgrew STUB_SIZE, the stubs now end past this point and the
// assembler stops with "attempt to move .org backwards".
.org vector_stubs + 256 * STUB_SIZE

.macro SAVE_REGS
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rbp
	pushq	%rdi
	pushq	%rsi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro RESTORE_REGS
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rsi
	popq	%rdi
	popq	%rbp
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
.endm

// RFLAGS.AC suspends SMAP: user code may set it (popf) and then trap, and
// the CPU keeps it on entry, so the kernel would run with SMAP off. Clear
// it on every entry (iretq puts back the interrupted code's flags). Not
// with clac: KVM's instruction emulator on hosts without hardware
// virtualization (PVM) has no clac or stac, and stops the guest there.
// popfq runs everywhere; it is skipped when AC is already clear, as it
// nearly always is.
.macro CLEAR_AC
	pushfq
	testl	$FL_AC, (%rsp)
	jz	87f
	andl	$~FL_AC, (%rsp)
	popfq
	jmp	88f
87:	leaq	8(%rsp), %rsp
88:
.endm

// Common path. From user mode the GS base is the user's: swap it for the
// CPU record's (and back on the way out).
alltraps:
	CLEAR_AC
	testb	$3, (TF_CS - TF_TRAPNO)(%rsp)
	jz	1f
	swapgs
1:	SAVE_REGS
	cld				// the C++ ABI wants DF clear
	movq	%rsp, %rdi
	call	trap
.globl trapret
trapret:
	RESTORE_REGS
	addq	$16, %rsp		// vector number and error code
	testb	$3, 8(%rsp)		// CS of the interrupted code
	jz	1f
	swapgs
1:	iretq

// Returns to the user environment whose registers tf (RDI) holds.
.globl env_pop_tf
env_pop_tf:
	movq	%rdi, %rsp
	RESTORE_REGS
	addq	$16, %rsp		// vector number and error code
	swapgs				// the user's GS base
	iretq

// NMI, double fault and machine check may arrive anywhere, even between a
// swapgs and the iretq after it, so CS does not tell which GS base is
// loaded: the GS base itself does (kernel addresses are negative).
paranoid_entry:
	CLEAR_AC
	SAVE_REGS
	cld
	movl	$MSR_GS_BASE, %ecx
	rdmsr
	xorl	%ebx, %ebx		// EBX (callee-saved): 1 if we swapped
	testl	%edx, %edx
	js	1f
	swapgs
	movl	$1, %ebx
1:	movq	%rsp, %rdi
	call	trap
	testl	%ebx, %ebx
	jz	2f
	swapgs
2:	RESTORE_REGS
	addq	$16, %rsp
	iretq
