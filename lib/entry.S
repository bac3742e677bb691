// Where every user program starts: libmain(argc, argv) on the user stack.
// argc and argv arrive in RDI and RSI: spawn (lib/spawn.cc) sets them in
// the child's registers; a program the kernel starts has all its
// registers zeroed (env_alloc), which means no arguments.

.text
.globl _start
_start:
	xorl	%ebp, %ebp		// ends backtraces
	call	libmain
1:	jmp	1b

.section .note.GNU-stack, "", @progbits
