// Multiprocessor bring-up: CPU discovery, the INIT-SIPI-SIPI sequence in
// serial (JOS) or parallel order, and each AP's first C++ code, mp_main.

#include <inc/assert.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/cpu.h>
#include <kern/lapic.h>
#include <kern/pmap.h>
#include <kern/sched.h>
#include <kern/smpboot.h>
#include <kern/spinlock.h>
#include <kern/tabledump.h>
#include <kern/trap.h>

extern "C" char mpentry_start[], mpentry_end[], mpentry_cr3[], mpentry_efer[];

// Where the next AP's stack ends (serial bring-up), or 0: the AP then finds
// its stack by its APIC ID (parallel bring-up). Read by kern/mpentry.S.
extern "C" uint64_t mpentry_kstack;
uint64_t mpentry_kstack;

SmpConfig smp_config;

void crash_if_asked();

namespace {

// How long an AP may take from its last STARTUP IPI to reporting in. A
// parallel round allows more per CPU in it: under emulation, hundreds of
// virtual CPUs share a few host CPUs.
constexpr uint64_t kApTimeoutUs = 2000000;
constexpr uint64_t kApTimeoutPerCpuUs = 20000;

void
print_warning(void *, const char *msg)
{
	cprintf("warning: %s\n", msg);
}

// Firmware tables live in RAM, ACPI or reserved ranges of the memory map,
// or in the first MiB: anything else is not memory a table can be in.
const void *
firmware_map(void *, uint64_t pa, uint64_t len)
{
	if (len == 0 || pa + len < pa)
		return nullptr;
	bool covered = pa + len <= EXTPHYSMEM;
	for (int i = 0; i < boot_info.nmmap && !covered; i++) {
		const MemRegion &r = boot_info.mmap[i];
		covered = pa >= r.base && pa + len <= r.base + r.len;
	}
	return covered ? phys_map(pa, len) : nullptr;
}

// Builds the page table the trampoline switches to: the first 2 MiB
// identity-mapped (the AP is executing at MPENTRY_PADDR when paging comes
// on) and the kernel's half of kern_pgdir. It must lie below 4 GiB: the
// trampoline loads CR3 in 32-bit mode.
physaddr_t
trampoline_pgdir()
{
	PageInfo *pml4 = page_alloc(ALLOC_ZERO | ALLOC_LOW);
	PageInfo *pdpt = page_alloc(ALLOC_ZERO | ALLOC_LOW);
	PageInfo *pd = page_alloc(ALLOC_ZERO | ALLOC_LOW);
	if (!pml4 || !pdpt || !pd)
		panic("boot_aps: no memory below 4 GiB for the trampoline page table");
	pml4->pp_ref++, pdpt->pp_ref++, pd->pp_ref++;
	auto *l4 = static_cast<pte_t *>(page2kva(pml4));
	static_cast<pte_t *>(page2kva(pdpt))[0] = page2pa(pd) | PTE_P | PTE_W;
	static_cast<pte_t *>(page2kva(pd))[0] = 0 | PTE_P | PTE_W | PTE_PS;
	l4[0] = page2pa(pdpt) | PTE_P | PTE_W;
	for (int i = NPTENTRIES / 2; i < NPTENTRIES; i++)
		l4[i] = kern_pgdir[i];
	return page2pa(pml4);
}

template <typename T>
void
set_trampoline_param(char *copy, char *sym, T value)
{
	memcpy(copy + (sym - mpentry_start), &value, sizeof(value));
}

// Waits for c to report in. It may have gone on to halt (CPU_HALTED) by
// the time we look: any state past CPU_UNUSED counts.
bool
wait_started(Cpu *c, uint64_t deadline)
{
	while (c->cpu_status.load(MemoryOrder::acquire) == CPU_UNUSED)
		if (clock_passed(deadline))
			return false;
		else
			cpu_relax();
	return true;
}

// An AP that missed its deadline might still wake up later, on a stack
// that by then belongs to another CPU. INIT parks it for good.
void
give_up_on(Cpu *c)
{
	cprintf("SMP: CPU with APIC ID %u did not start\n", c->apic_id);
	lapic_send_init(c->apic_id);
}

// "SMP: APIC IDs 0 1 2 4 5 6": the id <-> index map, CPU 0 first.
void
print_apic_ids()
{
	char line[160];
	int len = snprintf(line, sizeof(line), "SMP: APIC IDs");
	for (int i = 0; i < ncpu; i++) {
		if (len > static_cast<int>(sizeof(line)) - 24) {
			snprintf(line + len, sizeof(line) - len, " ... (%d more)", ncpu - i);
			break;
		}
		len += snprintf(line + len, sizeof(line) - len, " %u", cpus[i].apic_id);
	}
	cprintf("%s\n", line);
}

// How a bring-up went: CPUs running (the boot CPU counts), per-AP times.
struct BringupStats {
	int started = 1;
	uint64_t min_us = ~0UL, max_us = 0;
};

// False (and says so) if this APIC ID cannot be sent an IPI in the
// current mode.
bool
addressable(const Cpu *c)
{
	if (lapic_can_address(c->apic_id))
		return true;
	cprintf("SMP: CPU with APIC ID %u did not start: xAPIC mode cannot address it\n",
		c->apic_id);
	return false;
}

// JOS: one AP at a time; each must report before the next starts.
void
start_aps_serially(BringupStats *stats)
{
	for (Cpu *c = cpus + 1; c < cpus + ncpu; c++) {
		if (!addressable(c))
			continue;
		// LAB 4 EXERCISE boot_aps BEGIN
		// Start CPU c, the JOS way: tell the trampoline which stack to use
		// (mpentry_kstack: the top of c's kernel stack, see kstack_top),
		// send INIT-SIPI-SIPI for MPENTRY_PADDR (lapic_startap), then wait
		// for c to report in, but only until kApTimeoutUs has passed
		// (wait_started, clock_deadline_us). If it does not answer,
		// give_up_on(c) names it and parks it. Count the CPUs that started
		// (stats->started) and time each (stats->min_us, stats->max_us).
		//> cprintf("boot_aps: starting CPU %ld is not implemented (LAB 4 exercise)\n", c - cpus);
		//> (void)stats;
		mpentry_kstack = kstack_top(c - cpus);
		uint64_t t0 = rdtsc();
		lapic_startap(c->apic_id, MPENTRY_PADDR);
		if (!wait_started(c, clock_deadline_us(kApTimeoutUs))) {
			give_up_on(c);
			continue;
		}
		uint64_t us = tsc_to_us(rdtsc() - t0);
		stats->min_us = MIN(stats->min_us, us);
		stats->max_us = MAX(stats->max_us, us);
		stats->started++;
		// LAB 4 EXERCISE boot_aps END
	}
}

// One INIT-SIPI-SIPI round for every AP at once: each finds its own stack
// and record by its APIC ID (mpentry_kstack 0 tells the trampoline so).
void
start_aps_in_parallel(BringupStats *stats)
{
	static uint32_t apic_ids[NCPU];
	for (int i = 1; i < ncpu; i++)
		apic_ids[i - 1] = cpus[i].apic_id;
	mpentry_kstack = 0;
	lapic_startaps(apic_ids, ncpu - 1, MPENTRY_PADDR);
	uint64_t deadline = clock_deadline_us(kApTimeoutUs + kApTimeoutPerCpuUs * ncpu);
	for (Cpu *c = cpus + 1; c < cpus + ncpu; c++) {
		if (!addressable(c))
			continue;
		if (wait_started(c, deadline))
			stats->started++;
		else
			give_up_on(c);
	}
}

// tabledump=on: one dump holding both kinds of table, so the parser that
// was not needed reads its tables too (its results are thrown away).
void
dump_firmware_tables(TableRecorder &reads, bool used_acpi)
{
	static SmpConfig scratch;
	PhysMem mem = reads.mem();
	Diag quiet = {[](void *, const char *) {}, nullptr};
	if (used_acpi)
		mptable_parse(mem, &scratch, quiet);
	else
		acpi_parse_madt(boot_info.rsdp, boot_info.rsdp_len, mem, &scratch, quiet);
	cprintf("tabledump: rsdp %u ", boot_info.rsdp_len);
	for (uint32_t i = 0; i < boot_info.rsdp_len; i++)
		cprintf("%02x", boot_info.rsdp[i]);
	cprintf("\n");
	reads.print("firmware");
}

} // namespace

void
mp_init()
{
	Diag diag = {print_warning, nullptr};
	static constinit TableRecorder reads(PhysMem{firmware_map, nullptr});
	PhysMem mem = reads.mem();
	SmpConfig &cfg = smp_config;
	const char *source;

	bool found = false;
	if (kargs.acpi) {
		found = acpi_parse_madt(boot_info.rsdp, boot_info.rsdp_len, mem, &cfg, diag);
		if (!found)
			cprintf("warning: ACPI does not describe the CPUs; trying MP tables\n");
	}
	source = "ACPI MADT";
	if (!found) {
		found = mptable_parse(mem, &cfg, diag);
		source = "MP configuration table";
	}
	if (kargs.tabledump)
		dump_firmware_tables(reads, found && kargs.acpi);
	if (!found) {
		cprintf("warning: neither ACPI nor MP tables describe the CPUs: running on the "
			"boot CPU only\n");
		memset(&cfg, 0, sizeof(cfg));
		cfg.lapic_pa = rdmsr(MSR_APIC_BASE) & ~0xFFFUL;
		cfg.ncpu = 1;
		cfg.apic_ids[0] = cpuid_apic_id();
		source = "none";
	} else {
		cprintf("SMP: CPUs from the %s (%s at %#lx)\n", source, cfg.table_name,
			cfg.table_pa);
	}

	// The boot CPU is cpus[0] (it has been since kern_main's first line);
	// the others follow in table order.
	uint32_t bsp_id = cpuid_apic_id();
	if (cfg.has_bsp_id && cfg.bsp_apic_id != bsp_id)
		cprintf("warning: the MP table marks APIC ID %u as the boot CPU, but it is %u\n",
			cfg.bsp_apic_id, bsp_id);
	bootcpu->apic_id = bsp_id;
	int n = 1;
	bool bsp_listed = false;
	for (int i = 0; i < cfg.ncpu; i++) {
		if (cfg.apic_ids[i] == bsp_id) {
			bsp_listed = true;
			continue;
		}
		if (n == NCPU) {
			cfg.nbeyond++;
			continue;
		}
		cpus[n].cpu_id = n;
		cpus[n].apic_id = cfg.apic_ids[i];
		n++;
	}
	if (!bsp_listed)
		cprintf("warning: the %s does not list the boot CPU (APIC ID %u)\n", source, bsp_id);
	ncpu = n;
	if (cfg.nbeyond)
		cprintf("warning: %d more CPUs than NCPU=%d are listed; they stay idle\n",
			cfg.nbeyond, NCPU);
	if (cfg.ndisabled)
		cprintf("SMP: %d more CPU(s) listed as disabled (not started)\n", cfg.ndisabled);
	print_apic_ids();
	cprintf("SMP: CPU 0 found %d CPU(s)\n", ncpu);
}

void
boot_aps()
{
	// Copy the trampoline to MPENTRY_PADDR (page_init kept that page free).
	auto *code = static_cast<char *>(KADDR(MPENTRY_PADDR));
	memmove(code, mpentry_start, mpentry_end - mpentry_start);
	set_trampoline_param(code, mpentry_cr3, static_cast<uint32_t>(trampoline_pgdir()));
	set_trampoline_param(code, mpentry_efer,
			     static_cast<uint32_t>(EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE)));

	uint64_t t0 = rdtsc();
	BringupStats stats;
	if (kargs.smpboot == SmpBoot::Serial)
		start_aps_serially(&stats);
	else if (ncpu > 1)
		start_aps_in_parallel(&stats);
	uint64_t total_us = tsc_to_us(rdtsc() - t0);

	cprintf("SMP: %d of %d CPUs started\n", stats.started, ncpu);
	if (kargs.smpboot == SmpBoot::Serial && stats.started > 1)
		cprintf("SMP: serial bring-up took %lu us (per AP %lu-%lu us); %lu us since "
			"kernel entry\n", total_us, stats.min_us, stats.max_us,
			tsc_to_us(rdtsc() - boot_tsc));
	else
		cprintf("SMP: %s bring-up took %lu us; %lu us since kernel entry\n",
			kargs.smpboot == SmpBoot::Serial ? "serial" : "parallel", total_us,
			tsc_to_us(rdtsc() - boot_tsc));
}

// The first C++ code on an AP, on its own kernel stack, still on the
// trampoline page table, with interrupts off.
extern "C" [[noreturn]] void
mp_main()
{
	// Faults before trap_init_percpu must still reach a handler.
	idt_load();
	uint32_t id = cpuid_apic_id();
	Cpu *c = nullptr;
	for (int i = 1; i < ncpu && c == nullptr; i++)
		if (cpus[i].apic_id == id)
			c = &cpus[i];
	if (c == nullptr)
		for (;;)
			hlt();		// not ours to run; the trampoline checked already
	cpu_set_gs(c);
	gdt_init_percpu();
	lcr3(PADDR(kern_pgdir));
	lapic_init();
	cprintf("SMP: CPU %d starting\n", cpunum());
	trap_init_percpu();
	mmu_init_percpu();

	// A requested crash happens before this CPU reports in, while the boot
	// CPU still waits for it: the boot cannot finish (and exit) first.
	if (kargs.crash == Crash::ApStall && kargs.crashcpu == c->cpu_id) {
		cprintf("crash: CPU %d stalls before reporting in\n", cpunum());
		for (;;)
			hlt();
	}
	crash_if_asked();
	// Release: everything this CPU set up is visible before the boot CPU
	// sees it started (and moves mpentry_kstack on).
	c->cpu_status.store(CPU_STARTED, MemoryOrder::release);

	// exitat=smp: the boot ends once every CPU is up; nobody schedules.
	if (kargs.exitat == ExitAt::Smp)
		for (;;)
			sti_hlt();

	// LAB 4 EXERCISE kernel_lock BEGIN
	// Take the big kernel lock before this CPU looks for an environment.
	lock_kernel();
	// LAB 4 EXERCISE kernel_lock END
	sched_yield();
}
