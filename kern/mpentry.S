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
	// A known CR0, not INIT's with bits added: INIT leaves CD and NW set
	// (caches off), and OR-ing PE and PG into that would keep them so.
	movl	$CR0_PE, %eax
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
	movl	$(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG), %eax
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
// It finds its own slot in cpus[] by its APIC ID and runs mp_main(slot) on
// that slot's stack. It writes no memory but counters until it is on that
// stack: an AP that is not expected (its ID is in no slot), or that is
// handed a stack not its own (it arrived after the boot CPU moved on), halts.
.text
mp_high64:
	// A GDT at a kernel address: the trampoline's goes away with the
	// identity map when mp_main loads kern_pgdir.
	LOAD_BOOT_GDT

	// This AP's 32-bit APIC ID, into ESI. An APIC already in x2APIC mode
	// says it in MSR 0x802; else CPUID leaf 0xB has it. Without leaf 0xB,
	// leaf 1 has only 8 bits, which cannot tell CPU 256 from CPU 0: if the
	// kernel chose x2APIC mode, switch to it (EN first, then EXTD: the SDM
	// allows no direct step from disabled to x2APIC) and ask the MSR.
	movl	$MSR_APIC_BASE, %ecx
	rdmsr
	testl	$APIC_BASE_EXTD, %eax
	jnz	3f
	movl	%eax, %edi			// APIC base, low half
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
	jmp	4f
1:	movabsq	$mpentry_x2apic, %rax
	cmpl	$0, (%rax)
	je	2f
	movl	$MSR_APIC_BASE, %ecx
	rdmsr
	orl	$APIC_BASE_EN, %eax
	wrmsr
	orl	$APIC_BASE_EXTD, %eax
	wrmsr
3:	movl	$MSR_X2APIC_ID, %ecx
	rdmsr
	movl	%eax, %esi
	jmp	4f
2:	movl	$1, %eax
	cpuid
	shrl	$24, %ebx
	movl	%ebx, %esi

	// The slot: cpus[1..ncpu) (cpus[0] is the boot CPU, whose APIC ID an
	// 8-bit ID may alias), RDI its address, RDX its index.
4:	movabsq	$cpus + CPU_SIZE, %rdi
	movabsq	$ncpu, %rax
	movl	(%rax), %ecx
	movl	$1, %edx
5:	cmpl	%ecx, %edx
	jae	8f
	cmpl	%esi, CPU_OFF_APIC_ID(%rdi)
	je	6f
	addq	$CPU_SIZE, %rdi
	incl	%edx
	jmp	5b

	// Its stack: KSTACKTOP - index * (KSTKSIZE + KSTKGAP). In serial
	// bring-up the boot CPU also names it in mpentry_kstack; in parallel
	// bring-up mpentry_kstack is 0.
6:	movq	%rdx, %rax
	imulq	$(KSTKSIZE + KSTKGAP), %rax
	movabsq	$KSTACKTOP, %rsp
	subq	%rax, %rsp
	movabsq	$mpentry_kstack, %rax
	movq	(%rax), %rax
	testq	%rax, %rax
	jz	7f
	cmpq	%rax, %rsp
	je	7f
	movabsq	$mpentry_wrong_stack, %rax	// the stack of another CPU
	lock incl (%rax)
	movabsq	$mpentry_wrong_stack_cpu, %rax
	movl	%edx, (%rax)
	jmp	9f
7:	xorl	%ebp, %ebp			// ends backtraces
	movabsq	$mp_main, %rax
	call	*%rax				// mp_main(slot) never returns
	jmp	9f

8:	movabsq	$mpentry_stray, %rax		// an ID no slot has
	lock incl (%rax)
	movabsq	$mpentry_stray_id, %rax
	movl	%esi, (%rax)
9:	cli
	hlt
	jmp	9b
