// Where every user program starts: libmain(argc, argv) on the user stack.

.text
.globl _start
_start:
	xorl	%edi, %edi		// no arguments
	xorl	%esi, %esi
	xorl	%ebp, %ebp		// ends backtraces
	call	libmain
1:	jmp	1b

.section .note.GNU-stack, "", @progbits
