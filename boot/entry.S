// The kernel's first instructions. Two loaders reach them:
//  - GRUB (multiboot2): EAX = 0x36d76289, EBX = physical address of the boot
//    information, 32-bit protected mode, paging off;
//  - QEMU -kernel through the PVH ELF note (qboot or SeaBIOS): EBX = physical
//    address of the hvm_start_info, 32-bit protected mode, paging off.
// Both paths build the same early page tables, switch to long mode and call
// kern_main(protocol magic, boot info physical address) on the boot stack.

#include <inc/mmu.h>
#include <inc/memlayout.h>
#include <kern/asm.h>

#define RELOC(x)	((x) - KERNBASE)	// link address -> physical address

#define MB2_HEADER_MAGIC	0xE85250D6
#define MB2_BOOTLOADER_MAGIC	0x36D76289
#define PVH_START_MAGIC		0x336EC578
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define BOOT_CS32		0x18	// 32-bit code, boot GDT only

// ---------------------------------------------------------------------------
// Multiboot2 header: first in the image, 8-byte aligned, within 32 KiB.
.section .multiboot2, "a"
.balign 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	0				// architecture: i386 protected mode
	.long	mb2_header_end - mb2_header
	.long	0x100000000 - (MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
	// Information request (optional): command line, memory map, the
	// screen, the EFI system table and memory map, RSDPs.
	.balign 8
1:	.short	1, 1
	.long	2f - 1b
	.long	1, 6, 8, 12, 14, 15, 17
2:	.balign	8
	// Entry address: the 32-bit physical entry point.
1:	.short	3, 0
	.long	2f - 1b
	.long	RELOC(mb2_entry)
2:	.balign	8
	// Console flags: an EGA text console is supported.
1:	.short	4, 1
	.long	2f - 1b
	.long	2
2:	.balign	8
	// Framebuffer (optional): a linear RGB one is supported too, and is
	// what UEFI gives (there is no text mode there). 1024x768 in 32 bits
	// is a wish, not a need; grub.cfg keeps text mode under a BIOS.
1:	.short	5, 1
	.long	2f - 1b
	.long	1024, 768, 32
2:	.balign	8
	.short	0, 0				// end tag
	.long	8
mb2_header_end:

// ---------------------------------------------------------------------------
// PVH entry note, read by QEMU's -kernel loader. Desc is the 32-bit physical
// entry point, stored as a 64-bit value in an ELF64 image.
.section .note.Xen, "a", @note
.balign 4
	.long	4				// name size
	.long	8				// desc size
	.long	XEN_ELFNOTE_PHYS32_ENTRY
	.asciz	"Xen"
	.balign	4
	.quad	RELOC(pvh_entry)

// ---------------------------------------------------------------------------
.section .boot32, "ax"
.code32
.globl mb2_entry
mb2_entry:
	cli
	cld
	movl	%eax, %ebp			// protocol magic, kept in EBP until kern_main
	jmp	start32

.globl pvh_entry
pvh_entry:
	cli
	cld
	movl	$PVH_START_MAGIC, %ebp

// EBP = protocol magic, EBX = boot information (physical). Nothing else from
// the loader is trusted: not the GDT, not the stack. The info pointer moves
// to ESI at once: CPUID below overwrites EBX.
start32:
	movl	%ebx, %esi
	lgdt	RELOC(boot_gdtdesc32)
	ljmp	$BOOT_CS32, $RELOC(1f)
1:	movl	$GD_KD, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	// Zero .bss (the loaders do, but the page tables below must be clean
	// whoever loaded us). Clobbers EAX, ECX, EDI only; ESI and EBP survive
	// everything from here to kern_main.
	movl	$RELOC(__bss_start), %edi
	movl	$RELOC(__bss_end), %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl
	movl	$RELOC(bootstacktop), %esp

	// Long mode is required: CPUID 0x80000001 EDX bit 29.
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_long_mode
	movl	$0x80000001, %eax
	cpuid
	testl	$(1 << 29), %edx
	jz	no_long_mode
	pushl	%edx				// bit 20: NX available

	// 2048 PD entries of 2 MiB pages: physical 0 .. 4 GiB.
	movl	$RELOC(early_pd), %edi
	movl	$(PTE_P | PTE_W | PTE_PS), %eax
	xorl	%edx, %edx
	movl	$(4 * NPTENTRIES), %ecx
1:	movl	%eax, (%edi)
	movl	%edx, 4(%edi)
	addl	$PTSIZE, %eax
	adcl	$0, %edx
	addl	$8, %edi
	loop	1b
	// The low PDPT points at the four PDs.
	movl	$RELOC(early_pdpt_lo), %edi
	movl	$(RELOC(early_pd) + PTE_P + PTE_W), %eax
	movl	$4, %ecx
1:	movl	%eax, (%edi)
	addl	$PGSIZE, %eax
	addl	$8, %edi
	loop	1b
	// KERNBASE (PDPT slots 510, 511) maps physical 0 .. 2 GiB.
	movl	$(RELOC(early_pd) + PTE_P + PTE_W), RELOC(early_pdpt_hi) + 510 * 8
	movl	$(RELOC(early_pd) + PGSIZE + PTE_P + PTE_W), RELOC(early_pdpt_hi) + 511 * 8
	// PML4: identity (for the next few instructions), direct map, kernel.
	movl	$(RELOC(early_pdpt_lo) + PTE_P + PTE_W), RELOC(early_pml4)
	movl	$(RELOC(early_pdpt_lo) + PTE_P + PTE_W), RELOC(early_pml4) + 256 * 8
	movl	$(RELOC(early_pdpt_hi) + PTE_P + PTE_W), RELOC(early_pml4) + 511 * 8

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$RELOC(early_pml4), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	popl	%edx
	testl	$(1 << 20), %edx
	jz	1f
	orl	$EFER_NXE, %eax
1:	xorl	%edx, %edx
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PE | CR0_PG | CR0_WP), %eax
	movl	%eax, %cr0
	ljmp	$GD_KT, $RELOC(start64)

// Report on the serial port and the VGA screen, then stop.
no_long_mode:
	movl	$RELOC(no_long_mode_msg), %esi
	movl	$0xB8000, %edi
1:	lodsb
	testb	%al, %al
	jz	2f
	movw	$0x3F8, %dx
	outb	%al, %dx
	movb	$0x4F, %ah
	movw	%ax, (%edi)
	addl	$2, %edi
	jmp	1b
2:	hlt
	jmp	2b

.code64
start64:
	movabsq	$high64, %rax
	jmp	*%rax

.text
high64:
	// Reload the GDT at its linked address: the identity map goes away
	// when mem_init switches page tables.
	LOAD_BOOT_GDT
	movabsq	$bootstacktop, %rsp
	movl	%ebp, %edi			// kern_main(magic, info_pa): ESI already
	xorl	%ebp, %ebp			// ends backtraces
	call	kern_main
1:	hlt
	jmp	1b

.section .rodata
no_long_mode_msg:
	.asciz	"smpjos: this CPU has no 64-bit long mode; use qemu-system-x86_64\r\n"

.balign 8
boot_gdt:
	.quad	0
	.quad	SEG_CODE64_KERNEL		// GD_KT
	.quad	SEG_DATA_KERNEL			// GD_KD
	.quad	SEG_CODE32			// BOOT_CS32
boot_gdt_end:
boot_gdtdesc32:
	.short	boot_gdt_end - boot_gdt - 1
	.long	RELOC(boot_gdt)
	.balign	8
.globl boot_gdtdesc64
boot_gdtdesc64:
	.short	boot_gdt_end - boot_gdt - 1
	.quad	boot_gdt

// Boot structures: page_init never hands these out (they are in the image).
.bss
.balign PGSIZE
.globl early_pml4
early_pml4:	.space PGSIZE
early_pdpt_lo:	.space PGSIZE
early_pdpt_hi:	.space PGSIZE
early_pd:	.space 4 * PGSIZE
.globl bootstack, bootstacktop
bootstack:	.space KSTKSIZE
bootstacktop:
