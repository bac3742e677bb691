// Assembly macros shared by the boot CPU's and the APs' entry code.
#pragma once

#ifdef __ASSEMBLER__
#include <inc/mmu.h>

// Loads the kernel's boot GDT at its link address and the data segment
// registers (FS and GS null: their bases come from MSRs). Clobbers RAX.
.macro LOAD_BOOT_GDT
	movabsq	$boot_gdtdesc64, %rax
	lgdt	(%rax)
	movl	$GD_KD, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
.endm
#endif
