// Kernel entry and the boot sequence, panic and warn.

#include <inc/atomic.h>
#include <inc/assert.h>
#include <inc/stdio.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/bootinfo.h>
#include <kern/cmdline.h>
#include <kern/clock.h>
#include <kern/console.h>
#include <kern/cpu.h>
#include <kern/env.h>
#include <kern/exit.h>
#include <kern/fsenv.h>
#include <kern/ioapic.h>
#include <kern/kdebug.h>
#include <kern/lab.h>
#include <kern/lapic.h>
#include <kern/monitor.h>
#include <kern/nsenv.h>
#include <kern/pci.h>
#include <kern/pmap.h>
#include <kern/printf.h>
#include <kern/sched.h>
#include <kern/smpboot.h>
#include <kern/spinlock.h>
#include <kern/tabledump.h>
#include <kern/trace.h>
#include <kern/trap.h>

constinit BootInfo boot_info{};
// The lab this tree is for (conf/lab.mk's TREE_LAB; make passes it to
// this file alone).
#ifndef JOS_LAB
#define JOS_LAB 6
#endif
constinit KernelArgs kargs{.lab = JOS_LAB};
constinit Cpu cpus[NCPU]{};
int ncpu = 1;
Cpu *bootcpu = &cpus[0];

namespace {

// Set by the first CPU to panic; other CPUs that trap afterwards stop.
Atomic<bool> panicked;

const void *
early_phys_map(void *, uint64_t pa, uint64_t len)
{
	return phys_map(pa, len);
}

void
print_cmdline_problem(void *, const char *msg)
{
	cprintf("warning: %s\n", msg);
}

void
print_boot_info()
{
	cprintf("boot: %s, command line \"%s\"%s\n",
		boot_info.protocol == BootProtocol::Pvh ? "PVH (QEMU -kernel)"
		: boot_info.efi				  ? "multiboot2 (GRUB), UEFI firmware"
							  : "multiboot2 (GRUB)",
		boot_info.cmdline, boot_info.cmdline_truncated ? " (truncated)" : "");
	for (int i = 0; i < boot_info.nmmap; i++) {
		const MemRegion &r = boot_info.mmap[i];
		cprintf("  mem [0x%09lx-0x%09lx] %s\n", r.base, r.base + r.len - 1,
			mem_type_name(r.type));
	}
	if (boot_info.efi_descs > 0) {
		// GRUB made the map above from this one.
		cprintf("  EFI memory map, %u descriptors:", boot_info.efi_descs);
		const char *sep = " ";
		for (uint32_t t = 0; t < kEfiMemTypes; t++)
			if (boot_info.efi_pages[t] > 0) {
				cprintf("%s%s %lu KiB", sep, efi_mem_type_name(t),
					boot_info.efi_pages[t] * 4);
				sep = ", ";
			}
		if (boot_info.efi_other_types > 0)
			cprintf("%s%u of types the UEFI specification does not define", sep,
				boot_info.efi_other_types);
		cprintf("\n");
	}
	if (boot_info.mmap_truncated)
		cprintf("warning: the firmware memory map has more than %zu entries; "
			"the rest are ignored\n", ARRAY_SIZE(boot_info.mmap));
}

// memmap=: each range the command line reserves joins the memory map, so
// that everything which reads the map (detect_memory, the free spans,
// boot_alloc, page_init) keeps its hands off it.
void
reserve_memmap_ranges()
{
	for (int i = 0; i < kargs.nmemmap; i++) {
		const MemmapRange &m = kargs.memmap[i];
		if (mem_reserve(&boot_info, m.base, m.len))
			cprintf("memmap: [0x%09lx-0x%09lx] reserved, as the command line asks\n", m.base,
				m.base + m.len - 1);
		else
			cprintf("warning: memmap: [0x%09lx-0x%09lx] is not reserved: the memory map "
				"already has %zu regions\n", m.base, m.base + m.len - 1,
				ARRAY_SIZE(boot_info.mmap));
	}
}

// Lab 1: JOS's test of the backtrace. Built without optimization, so that
// its argument lives in its frame, where a backtrace can read it (the
// compiler's debug information says where: kern/mkdebuginfo.py).
[[gnu::noinline, gnu::optimize("O0")]] void
test_backtrace(int x)
{
	cprintf("entering test_backtrace %d\n", x);
	if (x > 0)
		test_backtrace(x - 1);
	else
		mon_backtrace(0, nullptr, nullptr);
	cprintf("leaving test_backtrace %d\n", x);
}

int overflow_depth_limit = 1 << 30;	// not constant, so the recursion is not "infinite"

[[gnu::noinline]] int
recurse_until_overflow(int depth)
{
	volatile char frame[256];
	frame[0] = static_cast<char>(depth);
	if (depth >= overflow_depth_limit)
		return frame[0];
	return recurse_until_overflow(depth + 1) + frame[0];
}

// Masks both 8259 PICs, after moving their vectors clear of the CPU's
// exceptions (in case one still raises a spurious interrupt). The kernel
// uses only the local APICs.
void
pic_disable()
{
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
	outb(0x20, 0x11);		// ICW1: init, ICW4 follows
	outb(0xA0, 0x11);
	outb(0x21, IRQ_OFFSET);		// ICW2: vector base
	outb(0xA1, IRQ_OFFSET + 8);
	outb(0x21, 1 << 2);		// ICW3: slave on IRQ2
	outb(0xA1, 2);
	outb(0x21, 0x01);		// ICW4: 8086 mode
	outb(0xA1, 0x01);
	outb(0x21, 0xFF);		// OCW1: everything masked
	outb(0xA1, 0xFF);
}

} // namespace

namespace {
Spinlock crash_demo("crash_demo");
}

// crash=NAME crashcpu=N: this CPU faults on purpose if it is CPU N. Not
// inlined, so that reports name it.
[[gnu::noinline]] void
crash_if_asked()
{
	// lockstall: CPU N (an AP, which gets here first) takes a lock and
	// keeps it; the boot CPU then waits for it.
	if (kargs.crash == Crash::LockStall && cpunum() == 0 && kargs.crashcpu != 0 &&
	    kargs.crashcpu < static_cast<uint32_t>(ncpu)) {
		cprintf("crash: CPU 0 waits for lock %s\n", crash_demo.name());
		crash_demo.lock();
		panic("crash=lockstall: CPU 0 got lock %s, which CPU %u should still hold",
		      crash_demo.name(), kargs.crashcpu);
	}
	// Handled where the AP reports in (kern/smpboot.cc), in sys_cputs,
	// where a CPU answers a request (kern/ipi.cc), or after mem_init.
	bool elsewhere = kargs.crash == Crash::ApStall || kargs.crash == Crash::ApLate ||
			 kargs.crash == Crash::ApDeadline || kargs.crash == Crash::SysSmap ||
			 kargs.crash == Crash::LateAck || kargs.crash == Crash::ApSlow ||
			 kargs.crash == Crash::ApMiss || kargs.crash == Crash::FreeTwice ||
			 kargs.crash == Crash::FreeUsed;
	if (kargs.crash == Crash::None || elsewhere ||
	    kargs.crashcpu != static_cast<uint32_t>(cpunum()))
		return;
	bool needs_ap = kargs.crash == Crash::LockStall || kargs.crash == Crash::NmiLock ||
			kargs.crash == Crash::ApOverflow;
	if (needs_ap && cpunum() == 0) {
		cprintf("warning: this crash= needs crashcpu=N with N >= 1 (an AP); nothing "
			"happens\n");
		return;
	}
	switch (kargs.crash) {
	case Crash::PageFault:
		cprintf("crash: CPU %d reads unmapped address 0xdeadb000\n", cpunum());
		(void)*reinterpret_cast<volatile uint64_t *>(0xdeadb000UL);
		break;
	case Crash::Overflow:
	case Crash::ApOverflow:
		cprintf("crash: CPU %d recurses until its kernel stack overflows\n", cpunum());
		recurse_until_overflow(0);
		break;
	case Crash::TripleFault: {
		cprintf("crash: CPU %d loads an empty IDT and traps\n", cpunum());
		Pseudodesc empty = {0, 0};
		lidt(&empty);
		asm volatile("int3");
		break;
	}
	case Crash::Relock:
		cprintf("crash: CPU %d takes lock %s twice\n", cpunum(), crash_demo.name());
		crash_demo.lock();
		crash_demo.lock();
		break;
	case Crash::LockStall:
		cprintf("crash: CPU %d takes lock %s and keeps it\n", cpunum(), crash_demo.name());
		crash_demo.lock();
		return;
	case Crash::NmiLock: {
		// CPU 0's NMI handler must not wait for the console: a wait
		// enables interrupts, and the second NMI would then land on the
		// first one's stack.
		cprintf("crash: CPU %d holds the console while it sends CPU 0 two NMIs\n",
			cpunum());
		ConsoleGuard guard;
		for (int i = 0; i < 2; i++) {
			lapic_send_nmi(bootcpu->apic_id);
			udelay(20000);
		}
		return;
	}
	case Crash::Smap:
	case Crash::Smep: {
		// A user page (PTE_U) in the page table this CPU runs on, holding
		// a `ret`: touching it from the kernel is what SMAP (a read without
		// RFLAGS.AC) and SMEP (running it) forbid.
		PageInfo *pp = page_alloc(ALLOC_ZERO);
		if (pp == nullptr || page_insert(kern_pgdir, pp, UTEMP, PTE_U | PTE_W) < 0)
			panic("crash: no memory for a user page");
		*static_cast<uint8_t *>(page2kva(pp)) = 0xC3;
		bool smap = kargs.crash == Crash::Smap;
		uint32_t ebx = cpuid(0).eax >= 7 ? cpuid(7, 0).ebx : 0;
		if (!(ebx & (smap ? 1U << 20 : 1U << 7)))
			cprintf("warning: this CPU has no %s: the kernel may %s user pages\n",
				smap ? "SMAP" : "SMEP", smap ? "read" : "run");
		cprintf("crash: CPU %d %s the user page at %#lx\n", cpunum(),
			smap ? "reads" : "runs", UTEMP);
		if (smap)
			(void)*reinterpret_cast<volatile uint8_t *>(UTEMP);
		else
			reinterpret_cast<void (*)()>(UTEMP)();
		break;
	}
	case Crash::None:
	case Crash::ApStall:
	case Crash::ApLate:
	case Crash::ApDeadline:
	case Crash::SysSmap:
	case Crash::LateAck:
	case Crash::ApSlow:
	case Crash::ApMiss:
	case Crash::FreeTwice:
	case Crash::FreeUsed:
		break;
	}
	panic("crash: CPU %d asked for a fault, but none happened", cpunum());
}

namespace {

// crash=freetwice|freeused: page_free gets a page it must refuse, a free
// one or one still referenced. It must panic, naming the page: a page on
// the free list twice makes the list a cycle, and a page handed out while
// in use is shared by two owners, each unaware of the other.
void
page_free_crash_if_asked()
{
	if (kargs.crash != Crash::FreeTwice && kargs.crash != Crash::FreeUsed)
		return;
	PageInfo *pp = page_alloc(0);
	if (pp == nullptr)
		panic("crash: no free page to free");
	if (kargs.crash == Crash::FreeTwice) {
		cprintf("crash: page_free(page %#lx) twice\n", page2pa(pp));
		page_free(pp);
		page_free(pp);
	} else {
		pp->pp_ref = 1;
		cprintf("crash: page_free(page %#lx) with pp_ref 1\n", page2pa(pp));
		page_free(pp);
	}
	panic("crash: page_free took page %#lx without a word", page2pa(pp));
}

uint32_t
max_apic_id()
{
	uint32_t m = 0;
	for (int i = 0; i < ncpu; i++)
		m = MAX(m, cpus[i].apic_id);
	return m;
}

// The environments this boot starts with: run=PROG[,PROG...], where
// PROG*N starts N copies (run=yield*9); run=hello by default.
void
create_environments()
{
	// Lab 5: the file-system server, when a program needs it (fs=).
	if (kargs.lab >= 5)
		fs_env_start();
	// Lab 6: the network server, when a program needs it (ns=).
	if (kargs.lab >= 6)
		ns_env_start();
	for (int i = 0; i < kargs.nrun; i++)
		for (uint32_t n = 0; n < kargs.run[i].copies; n++)
			if (env_create(kargs.run[i].name) == nullptr)
				break;
}

// Lab 1: JOS's checks of formatted printing and of the backtrace. Inlined
// into kern_main, so that test_backtrace(5)'s caller is kern_main's frame,
// as in JOS's eight frames (lab1.md's question 15 asks about its line).
[[gnu::always_inline]] inline void
lab1_checks()
{
	cprintf("6828 decimal is %o octal!\n", 6828);
	// The field width, its flags and '#', as C's printf has them.
	cprintf("octal in a field: [%5o] [%-5o] [%05o] [%#o] [%#5o] [%#o] [%lo]\n", 8, 8, 8, 8, 8, 0,
		01000000000000UL);
	test_backtrace(5);
}

// lab=3 ends the boot as JOS's lab 3 does: one environment (run='s first
// program) on this CPU, without the big kernel lock or a scheduler. When it
// is destroyed, so is the boot (env_destroy says so).
[[noreturn]] void
lab3_run()
{
	if (kargs.nrun > 1 || kargs.run[0].copies > 1)
		cprintf("lab=3: only %s runs: more environments need lab 4's scheduler\n",
			kargs.run[0].name);
	Env *e = env_create(kargs.run[0].name);
	if (e == nullptr)
		lab_done(3, "mp_init (kern/smpboot.cc)");
	env_run(e);
}

// Second half of the boot, on CPU 0's own kernel stack (guard gap below).
[[noreturn]] void
kern_main_on_kstack()
{
	idt_init_percpu();
	mmu_init_percpu();
	bootcpu->cpu_status.store(CPU_STARTED);
	page_free_crash_if_asked();
	if (kargs.lab == 2)
		lab_done(2, "env_init (kern/env.cc)");

	// Lab 3: environments and traps.
	env_init();
	trap_init();
	boot_phase("env_init+trap_init");
	if (kargs.lab == 3)
		lab3_run();

	// Lab 4: the other CPUs, the big kernel lock, the scheduler.
	mp_init();
	boot_phase("mp_init");
	mem_init_mp();
	boot_phase("mem_init_mp");
	check_kern_pgdir();
	boot_phase("check_kern_pgdir");
	pic_disable();
	lapic_setup(smp_config.lapic_pa, max_apic_id());
	lapic_init();
	clock_init();
	boot_phase("clock_init");
	trace_init();
	ioapic_init();
	// Lab 5: console input by interrupt (its handler is lab 5's console_intr).
	// A lab 4 boot polls, as the monitor always does: lab 5's code must not
	// run in it, stubbed or not.
	if (kargs.lab >= 5)
		cons_enable_interrupts();
	// Lab 6: the PCI bus, and the network card's driver.
	if (kargs.lab >= 6)
		pci_init();
	if (kargs.crashcpu >= static_cast<uint32_t>(ncpu) && kargs.crash != Crash::None)
		cprintf("warning: crashcpu=%u: there is no such CPU; nothing will crash\n",
			kargs.crashcpu);
	// LAB 4 EXERCISE kernel_lock BEGIN
	// Take the big kernel lock before waking the APs: none of them may
	// reach the scheduler while the boot CPU is still setting up.
	lock_kernel();
	// LAB 4 EXERCISE kernel_lock END
	// The APs that have started wait for the kernel lock until every CPU
	// has: hundreds of CPUs, one at a time, take many seconds.
	thiscpu->busy_with.store("starting the other CPUs", MemoryOrder::relaxed);
	boot_aps();
	thiscpu->busy_with.store(nullptr, MemoryOrder::relaxed);
	boot_phase("boot_aps");
	boot_phase_report();
	crash_if_asked();
	if (kargs.exitat == ExitAt::Smp)
		kernel_exit(true);
	create_environments();
	sched_yield();
}

} // namespace

void
cpu_set_gs(Cpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, reinterpret_cast<uint64_t>(c));
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

// Called by boot/entry.S on the boot CPU, in long mode on the boot page
// tables, with the loader's magic and boot information address.
extern "C" [[noreturn]] void
kern_main(uint32_t magic, uint32_t info_pa)
{
	boot_tsc = rdtsc();
	cpu_set_gs(bootcpu);
	gdt_init_percpu();
	cons_init();
	cprintf("smpjos: x86_64 teaching kernel\n");
	idt_init();
	boot_phase("console+traps");

	// The recorder remembers what the parser read, for tabledump=on (which
	// the command line inside the boot information may ask for).
	static constinit TableRecorder bootinfo_reads(PhysMem{early_phys_map, nullptr});
	if (!bootinfo_parse(magic, info_pa, bootinfo_reads.mem(), &boot_info))
		panic("cannot use the boot information: %s", boot_info.error);
	cons_init_display(boot_info);
	print_boot_info();
	boot_phase("boot info");
	cmdline_parse(boot_info.cmdline, &kargs, print_cmdline_problem, nullptr);
	reserve_memmap_ranges();
	if (kargs.tabledump) {
		cprintf("tabledump: boot %#x %#x\n", magic, info_pa);
		bootinfo_reads.print("bootinfo");
	}
	if (kargs.exitat == ExitAt::Entry) {
		cprintf("exitat=entry: exiting %lu us after kernel entry\n",
			tsc_to_us(rdtsc() - boot_tsc));
		kernel_exit(true);
	}

	// Lab 1: the console, printf and the monitor's backtrace.
	lab1_checks();
	if (kargs.lab == 1)
		lab_done(1, "mem_init (kern/pmap.cc)");

	// Lab 2: physical pages and the kernel's page table, ending with CPU
	// 0's own kernel stack (a guard gap below it), which the rest runs on.
	mem_init();
	boot_phase("mem_init");
	call_on_stack(kstack_top(0), kern_main_on_kstack);
}

// Reports an unrecoverable kernel error on this CPU, then waits in the
// monitor, or exits QEMU with the fail status when monitor=off.
void
_panic(const char *file, int line, const char *fmt, ...)
{
	cli();
	Cpu *c = thiscpu;
	if (c->panicking) {
		// A panic while panicking (say, the console faulted): say the
		// least and stop, rather than recursing.
		cprintf("kernel panic on CPU %d at %s:%d while panicking; halting\n",
			cpunum(), file, line);
		if (!kargs.monitor)
			kernel_exit(false);
		for (;;)
			hlt();
	}
	c->panicking = true;
	panicked.store(true);

	{
		ConsoleGuard guard;
		va_list ap;
		va_start(ap, fmt);
		cprintf("kernel panic on CPU %d at %s:%d: ", cpunum(), file, line);
		vcprintf(fmt, ap);
		cprintf("\n");
		va_end(ap);
		print_backtrace(read_rbp(), 0);
	}
	if (!kargs.monitor)
		kernel_exit(false);
	for (;;)
		monitor(nullptr);
}

void
_warn(const char *file, int line, const char *fmt, ...)
{
	ConsoleGuard guard;
	va_list ap;
	va_start(ap, fmt);
	cprintf("kernel warning on CPU %d at %s:%d: ", cpunum(), file, line);
	vcprintf(fmt, ap);
	cprintf("\n");
	va_end(ap);
}

bool
kernel_panicked()
{
	return panicked.load(MemoryOrder::relaxed);
}
