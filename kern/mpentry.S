// The AP trampoline. boot_aps copies mpentry_start..mpentry_end to
// MPENTRY_PADDR and sends each AP a STARTUP IPI for it. The AP begins in
// real mode at CS:IP = (MPENTRY_PADDR >> 4):0, so this code cannot use its
// link addresses: MPBOOTPHYS turns a symbol into the physical address of
// its copy (JOS's trick). Real -> protected -> long mode, on a small page
// table (boot_aps builds it) that identity-maps the first 2 MiB and shares
// the kernel's upper half; then on to mp_main at its link address.

#include <inc/mmu.h>
#include <inc/memlayout.h>
#include <kern/asm.h>
#include <kern/cpu.h>

#define MPBOOTPHYS(s)	((s) - mpentry_start + MPENTRY_PADDR)
#define TRAMP_CS32	0x18

.section .mpentry, "a"
.code16
.globl mpentry_start
mpentry_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	lgdtl	MPBOOTPHYS(mp_gdtdesc)
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$TRAMP_CS32, $MPBOOTPHYS(mp_start32)

.code32
mp_start32:
	movl	$GD_KD, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	MPBOOTPHYS(mpentry_cr3), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	MPBOOTPHYS(mpentry_efer), %eax	// LME, and NXE if the BSP has it
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP), %eax
	movl	%eax, %cr0
	ljmpl	$GD_KT, $MPBOOTPHYS(mp_start64)

.code64
mp_start64:
	movabsq	$mp_high64, %rax
	jmp	*%rax

.balign 8
mp_gdt:
	.quad	0
	.quad	SEG_CODE64_KERNEL		// GD_KT
	.quad	SEG_DATA_KERNEL			// GD_KD
	.quad	SEG_CODE32			// TRAMP_CS32
mp_gdtdesc:
	.short	mp_gdtdesc - mp_gdt - 1
	.long	MPBOOTPHYS(mp_gdt)

// Filled in by boot_aps in the copy at MPENTRY_PADDR.
.balign 4
.globl mpentry_cr3, mpentry_efer
mpentry_cr3:	.long 0			// the trampoline page table (below 4 GiB)
mpentry_efer:	.long 0			// EFER bits to set
.globl mpentry_end
mpentry_end:

// From here on the AP runs at link addresses, on the trampoline page table.
.text
mp_high64:
	// A GDT at a kernel address: the trampoline's goes away with the
	// identity map when mp_main loads kern_pgdir.
	LOAD_BOOT_GDT

	// Serial bring-up (JOS): boot_aps put this AP's stack top in
	// mpentry_kstack before starting it.
	movabsq	$mpentry_kstack, %rax
	movq	(%rax), %rsp
	testq	%rsp, %rsp
	jnz	2f

	// Parallel bring-up: every AP runs this at once, so each finds its own
	// stack: the index of its APIC ID in cpus[] (CPUID leaf 0xB's 32-bit
	// ID where available, else leaf 1's 8 bits, as cpuid_apic_id()).
	xorl	%eax, %eax
	cpuid
	cmpl	$0xB, %eax
	jb	1f
	movl	$0xB, %eax
	xorl	%ecx, %ecx
	cpuid
	testl	%ebx, %ebx
	jz	1f
	movl	%edx, %esi
	jmp	3f
1:	movl	$1, %eax
	cpuid
	shrl	$24, %ebx
	movl	%ebx, %esi
3:	movabsq	$cpus, %rdi
	movabsq	$ncpu, %rax
	movl	(%rax), %ecx
	xorl	%edx, %edx			// index
4:	cmpl	%ecx, %edx
	jae	5f
	cmpl	%esi, CPU_OFF_APIC_ID(%rdi)
	je	6f
	addq	$CPU_SIZE, %rdi
	incl	%edx
	jmp	4b
5:	cli					// not in cpus[]: nothing to run on
	hlt
	jmp	5b
6:	imulq	$(KSTKSIZE + KSTKGAP), %rdx
	movabsq	$KSTACKTOP, %rsp
	subq	%rdx, %rsp

2:	xorl	%ebp, %ebp			// ends backtraces
	movabsq	$mp_main, %rax
	call	*%rax
7:	cli
	hlt
	jmp	7b
