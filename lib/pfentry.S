// _pgfault_upcall: where the kernel enters an environment that faulted,
// on the user exception stack, with RSP pointing at a UTrapframe (see
// inc/trap.h). It calls the C handler (set_pgfault_handler), then resumes
// the faulting code with every register as it was, without a system call.
//
// The trick (JOS's): the trap-time rip is written just below the trap-time
// rsp, so that after the registers are restored, switching to that stack
// and `ret` resume the faulting instruction. On the normal stack that word
// is below the live stack (user code is built without a red zone); on the
// exception stack, where a nested fault came from, the kernel left it free.

#include <inc/trap.h>

.text
.globl _pgfault_upcall
_pgfault_upcall:
	// Call the handler with the UTrapframe, on a 16-byte aligned stack
	// (a nested frame lies wherever the trap-time rsp was). RBP keeps the
	// frame: it is restored from the frame below, like every register.
	movq	%rsp, %rbp
	andq	$-16, %rsp
	movq	%rbp, %rdi
	movq	_pgfault_handler(%rip), %rax
	call	*%rax
	movq	%rbp, %rsp

	// LAB 4 EXERCISE pfentry BEGIN
	// Return to the faulting code. RSP points at the UTrapframe (its
	// layout: UTF_* in inc/trap.h). Push the trap-time rip onto the
	// trap-time stack, that is: store it at utf_rsp - 8 and lower utf_rsp
	// by 8. Then restore the general registers (the same order as the
	// kernel's trap frame: utf_regs starts with r15), then rflags, and
	// last switch to the trap-time stack and return. After rflags is
	// restored, no arithmetic may change the flags; after the registers
	// are restored, none may be used.
	//> call	pfentry_not_implemented
	movq	UTF_RIP(%rsp), %rax
	movq	UTF_RSP(%rsp), %rbx
	subq	$8, %rbx
	movq	%rax, (%rbx)
	movq	%rbx, UTF_RSP(%rsp)
	addq	$UTF_REGS, %rsp
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
	addq	$8, %rsp		// utf_rip: already on the trap-time stack
	popfq
	popq	%rsp
	ret
	// LAB 4 EXERCISE pfentry END

.section .note.GNU-stack, "", @progbits
