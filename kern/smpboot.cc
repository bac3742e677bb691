// Multiprocessor bring-up: CPU discovery, the INIT-SIPI-SIPI sequence in
// serial (JOS) or parallel order, and each AP's first C++ code, mp_main.

#include <inc/assert.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/bootinfo.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/cpu.h>
#include <kern/lapic.h>
#include <kern/pmap.h>
#include <kern/printf.h>
#include <kern/sched.h>
#include <kern/smpboot.h>
#include <kern/spinlock.h>
#include <kern/tabledump.h>
#include <kern/trap.h>

extern "C" char mpentry_start[], mpentry_end[], mpentry_cr3[], mpentry_efer[];

// Read and written by kern/mpentry.S at their link addresses.
extern "C" {
// Where the next AP's stack ends (serial bring-up), or 0 (parallel
// bring-up). The trampoline checks it against the stack of the slot the
// AP's APIC ID names, and halts the AP if they differ.
uint64_t mpentry_kstack;
// 1 if the kernel chose x2APIC mode: an AP without CPUID leaf 0xB switches
// to it to read its 32-bit APIC ID.
uint32_t mpentry_x2apic;
// APs that halted in the trampoline: with an APIC ID no slot has (the last
// such ID), or handed another CPU's stack (the last slot that was).
uint32_t mpentry_stray, mpentry_stray_id;
uint32_t mpentry_wrong_stack, mpentry_wrong_stack_cpu;
}

SmpConfig smp_config;

void crash_if_asked();

namespace {

// How long an AP may take from its last STARTUP IPI to reporting in
// (aptimeout=MS, 2 s by default). A parallel round allows more per CPU in
// it: under emulation, hundreds of virtual CPUs share a few host CPUs.
uint64_t
ap_timeout_us()
{
	return static_cast<uint64_t>(kargs.aptimeout_ms) * 1000;
}
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

// APs that claimed too late: the boot CPU had given up on them (mp_main).
Atomic<uint32_t> late_aps;
// crash=apdeadline: the slot whose deadline just passed, for its AP to see.
Atomic<Cpu *> deadline_passed_for;

bool
crash_on(Crash what, const Cpu *c)
{
	return kargs.crash == what && kargs.crashcpu == c->cpu_id;
}

// Waits, until a deadline, for one of the wanted things to become true.
template <typename F>
bool
wait_until(uint64_t us, F done)
{
	uint64_t deadline = clock_deadline_us(us);
	while (!done())
		if (clock_passed(deadline))
			return false;
		else
			cpu_relax();
	return true;
}

// Gives up on an AP that has not claimed its slot by the deadline. The AP
// might still wake up later, on a stack that by then belongs to nobody, and
// take the console lock or mark itself started: so "given up on" and
// "reported in" are one compare-and-exchange on the slot, which either the
// AP (mp_main) or this function wins. The loser backs off. INIT then parks
// the AP for good. Returns true if the AP won: it did report in.
bool
give_up_on(Cpu *c)
{
	if (crash_on(Crash::ApDeadline, c)) {
		// The race, on purpose: the AP reports in now, after its deadline.
		deadline_passed_for.store(c);
		wait_until(1000000, [c] { return c->cpu_status.load() != CPU_UNUSED; });
	}
	uint32_t unused = CPU_UNUSED;
	if (!c->cpu_status.compare_exchange(unused, CPU_GIVEN_UP)) {
		cprintf("SMP: CPU %u (APIC ID %u) reported in after its deadline, just before it "
			"would have been given up on\n", c->cpu_id, c->apic_id);
		return true;
	}
	cprintf("SMP: CPU with APIC ID %u did not start\n", c->apic_id);
	if (crash_on(Crash::ApLate, c)) {
		// The other order, on purpose: the AP arrives now, and must lose.
		uint32_t before = late_aps.load();
		wait_until(1000000, [before] { return late_aps.load() != before; });
	}
	lapic_send_init(c->apic_id);
	return false;
}

// The waits of INIT-SIPI-SIPI (kern/lapic.h), as Linux chooses them: the
// MP specification's 10 ms after INIT (and 200 us between the STARTUPs)
// were for the CPUs of its day, whose APs needed that long to come out of
// reset. Intel's family 6 and later, AMD's family 0xF and later and
// Hygon's 0x18 and later do not: there the round waits microseconds. An
// older or unknown CPU, or an APIC that is not integrated (the 82489DX:
// version below 0x10), gets the full waits; so does apwait=full. An AP
// that misses a short start is started again with the full waits
// (restart_with_full_waits). Returns the reason, for the boot log.
const char *
choose_startup_waits()
{
	CpuidRegs leaf0 = cpuid(0), leaf1 = cpuid(1);
	char vendor[13];
	memcpy(vendor, &leaf0.ebx, 4);
	memcpy(vendor + 4, &leaf0.edx, 4);
	memcpy(vendor + 8, &leaf0.ecx, 4);
	vendor[12] = '\0';
	uint32_t family = (leaf1.eax >> 8) & 0xF;
	if (family == 0xF)
		family += (leaf1.eax >> 20) & 0xFF;
	bool modern = (strcmp(vendor, "GenuineIntel") == 0 && family >= 6) ||
		      (strcmp(vendor, "AuthenticAMD") == 0 && family >= 0xF) ||
		      (strcmp(vendor, "HygonGenuine") == 0 && family >= 0x18);
	bool integrated = (lapic_read(LAPIC_VER) & 0xFF) >= 0x10;
	static char why[96];
	if (kargs.apwait != ApWait::Auto) {
		lapic_startup_waits = kargs.apwait == ApWait::Full ? kMpSpecWaits : kShortWaits;
		snprintf(why, sizeof(why), "apwait=%s", kargs.apwait == ApWait::Full ? "full" : "short");
	} else {
		lapic_startup_waits = modern && integrated ? kShortWaits : kMpSpecWaits;
		snprintf(why, sizeof(why), "%s family %#x%s", vendor, family,
			 integrated ? "" : ", an APIC that is not integrated");
	}
	return why;
}

// crash=apmiss, and an AP that did not answer a short start: how long to
// wait for it before starting it again, with the full waits.
constexpr uint64_t kShortStartGraceUs = 300000;

// Starts c again, the MP specification's way, unless it reported in
// meanwhile. Its slot is RESTARTING from the INIT on, so that the earlier
// start, if it is still on its way, loses the claim (mp_main) and halts;
// the new one finds the slot free after the INIT, before the STARTUPs.
void
restart_with_full_waits(Cpu *c, uint64_t waited_us)
{
	uint32_t unused = CPU_UNUSED;
	if (!c->cpu_status.compare_exchange(unused, CPU_RESTARTING))
		return;
	cprintf("SMP: CPU with APIC ID %u did not answer a start with short waits in %lu ms; "
		"starting it again with the MP specification's waits\n", c->apic_id,
		waited_us / 1000);
	lapic_send_init(c->apic_id);
	udelay(kMpSpecWaits.init_us);
	c->cpu_status.store(CPU_UNUSED, MemoryOrder::release);
	lapic_send_startup(c->apic_id, MPENTRY_PADDR);
	udelay(kMpSpecWaits.sipi_us);
	lapic_send_startup(c->apic_id, MPENTRY_PADDR);
}

// APs that have claimed their slot so far: while this goes up, the
// bring-up as a whole is moving, and an AP that has not yet claimed its
// slot is waited for past its deadline (the host may run it last).
Atomic<uint32_t> aps_claimed;

// Caps on waiting for an AP that keeps moving: nothing waits without a bound.
constexpr uint64_t kApMovingCapUs = 120000000;

// Waits for c to claim its slot, until deadline (or, while other APs still
// claim theirs, until ap_timeout_us() after the last did). Then waits for
// it to finish starting, for as long as it keeps moving (its heartbeat);
// it is given up on only once it has not moved for ap_timeout_us(). An AP
// that reported in is alive: emulating hundreds of CPUs on a few host CPUs
// can stall it for seconds, and it may hold locks, so it is not reset.
// Returns whether it started.
bool
wait_started(Cpu *c, uint64_t deadline)
{
	uint32_t claimed = aps_claimed.load();
	// The grace before a restart: within the AP's own deadline, and
	// counted again while other APs still claim their slots (a busy host
	// may run this one last: it is late, not lost).
	uint64_t grace = MIN(kShortStartGraceUs, ap_timeout_us() / 2);
	uint64_t restart_at = lapic_startup_waits.init_us < kMpSpecWaits.init_us
				      ? clock_deadline_us(grace) : 0;
	while (c->cpu_status.load(MemoryOrder::acquire) == CPU_UNUSED) {
		if (restart_at != 0 && clock_passed(restart_at)) {
			restart_at = 0;
			restart_with_full_waits(c, grace);
			deadline = MAX(deadline, clock_deadline_us(ap_timeout_us()));
			continue;
		}
		if (aps_claimed.load() != claimed) {
			claimed = aps_claimed.load();
			deadline = MAX(deadline, clock_deadline_us(ap_timeout_us()));
			if (restart_at != 0)
				restart_at = clock_deadline_us(grace);
		}
		if (clock_passed(deadline))
			break;
		cpu_relax();
	}
	if (c->cpu_status.load(MemoryOrder::acquire) == CPU_UNUSED && !give_up_on(c))
		return false;
	// Claimed: BOOTING until mp_main has set the CPU up; STARTED or HALTED
	// after. (In a parallel bring-up its first line may wait behind
	// hundreds of others.)
	uint64_t t0 = rdtsc();
	uint64_t beat = c->heartbeat.load(MemoryOrder::relaxed);
	uint64_t still_until = clock_deadline_us(ap_timeout_us());
	uint64_t cap = clock_deadline_us(MAX(kApMovingCapUs, 10 * ap_timeout_us()));
	while (c->cpu_status.load(MemoryOrder::acquire) == CPU_BOOTING) {
		uint64_t now_beat = c->heartbeat.load(MemoryOrder::relaxed);
		if (now_beat != beat) {
			beat = now_beat;
			still_until = clock_deadline_us(ap_timeout_us());
		} else if (clock_passed(still_until)) {
			cprintf("SMP: CPU with APIC ID %u did not start: it reported in as CPU %u, "
				"then did not move for %lu ms\n", c->apic_id, c->cpu_id,
				ap_timeout_us() / 1000);
			return false;
		}
		if (clock_passed(cap)) {
			cprintf("SMP: CPU with APIC ID %u did not start: it reported in as CPU %u and "
				"kept moving, but had not finished starting after %lu s\n", c->apic_id,
				c->cpu_id, tsc_to_us(rdtsc() - t0) / 1000000);
			return false;
		}
		cpu_relax();
	}
	uint64_t took = tsc_to_us(rdtsc() - t0);
	if (took > ap_timeout_us())
		cprintf("SMP: CPU %u (APIC ID %u) took %lu ms to finish starting after it reported "
			"in, more than aptimeout=%lu: the host ran it slowly, but it kept moving\n",
			c->cpu_id, c->apic_id, took / 1000, ap_timeout_us() / 1000);
	return true;
}

// What the trampoline and mp_main counted while APs came up: APs that
// answered without a slot, with another CPU's stack, or too late.
void
report_strays()
{
	if (mpentry_stray)
		cprintf("SMP: %u CPU(s) answered with an APIC ID the firmware did not list (the "
			"last: %u) and were halted\n", mpentry_stray, mpentry_stray_id);
	if (mpentry_wrong_stack) {
		// An AP waits for its STARTUP in xAPIC mode, where a destination
		// matches on its low 8 bits: an IPI for APIC ID 1 also starts a
		// waiting AP with ID 257. The trampoline halts such an AP before it
		// touches the stack; its own INIT-SIPI-SIPI starts it again.
		const Cpu *halted = &cpus[mpentry_wrong_stack_cpu];
		const Cpu *alias = nullptr;
		for (const Cpu *c = cpus + 1; c < cpus + ncpu && !alias; c++)
			if (c != halted && (c->apic_id & 0xFF) == (halted->apic_id & 0xFF))
				alias = c;
		if (alias)
			cprintf("SMP: %u AP(s) also answered the INIT-SIPI-SIPI of a CPU whose APIC ID "
				"has the same low 8 bits (they wait in xAPIC mode, which compares only "
				"those: the last, CPU %u with APIC ID %u, answered CPU %u's, ID %u), and "
				"halted %s\n", mpentry_wrong_stack, halted->cpu_id,
				halted->apic_id, alias->cpu_id, alias->apic_id,
				lapic_can_address(halted->apic_id) ? "until their own" :
				"(xAPIC mode cannot address them: they stay halted)");
		else
			cprintf("SMP: %u AP(s) were halted: mpentry_kstack did not hold the top of "
				"their own stack (the last: CPU %u, whose stack ends at %#lx)\n",
				mpentry_wrong_stack, mpentry_wrong_stack_cpu,
				kstack_top(mpentry_wrong_stack_cpu));
	}
	if (late_aps.load())
		cprintf("SMP: %u AP(s) answered after being given up on, and halted\n",
			late_aps.load());
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

// The order a serial bring-up starts the APs in: the firmware's, except
// that in x2APIC mode an AP with APIC ID 0xFF goes last. Until it starts,
// an AP's local APIC is in xAPIC mode (reset leaves it there, and qboot
// does not change it), where destination 0xFF means every CPU: INIT-SIPI-
// SIPI for ID 255 would also start every AP still waiting, each on a stack
// not its own (the trampoline halts them, and they are started again in
// their turn). Last, it finds none waiting: the APs started before it
// switched themselves to x2APIC mode, where 0xFF is one CPU's ID.
int
serial_start_order(Cpu **order)
{
	int n = 0;
	Cpu *last = nullptr;
	for (Cpu *c = cpus + 1; c < cpus + ncpu; c++) {
		if (c->apic_id == 0xFF && lapic_mode == LapicMode::X2apic)
			last = c;
		else
			order[n++] = c;
	}
	if (last)
		order[n++] = last;
	return n;
}

// JOS: one AP at a time; each must report before the next starts.
void
start_aps_serially(BringupStats *stats)
{
	static Cpu *order[NCPU];
	int naps = serial_start_order(order);
	for (int i = 0; i < naps; i++) {
		Cpu *c = order[i];
		if (!addressable(c))
			continue;
		// LAB 4 EXERCISE boot_aps BEGIN
		// Start CPU c, the JOS way: tell the trampoline which stack to use
		// (mpentry_kstack: the top of c's kernel stack, see kstack_top),
		// send INIT-SIPI-SIPI for MPENTRY_PADDR (lapic_startap), then wait
		// for c to report in, but only until ap_timeout_us() has passed
		// (wait_started with a clock_deadline_us, which names and parks an
		// AP that does not answer in time). Count the CPUs that started
		// (stats->started) and time each (stats->min_us, stats->max_us).
		//> static bool said;
		//> if (!said)
		//> 	cprintf_aside("boot_aps: starting the other CPUs is not implemented (LAB 4 exercise): CPU 0 goes on alone\n");
		//> said = true;
		//> (void)stats;
		mpentry_kstack = kstack_top(c - cpus);
		uint64_t t0 = rdtsc();
		lapic_startap(c->apic_id, MPENTRY_PADDR);
		if (!wait_started(c, clock_deadline_us(ap_timeout_us())))
			continue;
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
	uint64_t deadline = clock_deadline_us(ap_timeout_us() + kApTimeoutPerCpuUs * ncpu);
	for (Cpu *c = cpus + 1; c < cpus + ncpu; c++) {
		if (!addressable(c))
			continue;
		if (wait_started(c, deadline))
			stats->started++;
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

// Which of cfg's CPUs is this one (the boot CPU), by its local APIC's ID:
// an index, or kNotListed. Where the xAPIC ID's 8 bits match several
// entries (0 and 256), the APIC is switched to x2APIC mode now to read all
// 32 bits: a machine with such IDs needs x2APIC mode anyway.
int
find_boot_cpu(const SmpConfig &cfg)
{
	bool full;
	uint32_t id = lapic_own_id(cfg.lapic_pa, &full);
	int self = smpconfig_find_self(cfg, id, !full);
	if (self == kAmbiguous) {
		if (lapic_x2apic_now())
			return smpconfig_find_self(cfg, static_cast<uint32_t>(rdmsr(MSR_X2APIC_ID)), false);
		cprintf("warning: the boot CPU's xAPIC ID %u matches several CPUs the firmware "
			"lists, and it offers no x2APIC to tell them apart; taking the first\n", id);
		for (int i = 0; i < cfg.ncpu; i++)
			if ((cfg.apic_ids[i] & 0xFF) == id)
				return i;
	}
	return self;
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
		bool full;
		cfg.apic_ids[0] = lapic_own_id(cfg.lapic_pa, &full);
		source = "none";
	} else {
		cprintf("SMP: CPUs from the %s (%s at %#lx)\n", source, cfg.table_name,
			cfg.table_pa);
	}

	// The boot CPU is cpus[0] (it has been since kern_main's first line);
	// the others follow in table order. Which entry is the boot CPU, its
	// own local APIC says: firmware need not list it first, and CPUID may
	// be wrong. It is never sent INIT (that would reset it).
	int self = find_boot_cpu(cfg);
	uint32_t bsp_id = cfg.apic_ids[self < 0 ? 0 : self];
	if (self < 0) {
		bool full;
		bsp_id = lapic_own_id(cfg.lapic_pa, &full);
		cprintf("warning: the %s does not list the boot CPU (APIC ID %u%s)\n", source,
			bsp_id, full ? "" : ", or one whose low 8 bits are that");
	}
	if (cfg.has_bsp_id && cfg.bsp_apic_id != bsp_id)
		cprintf("warning: the MP table marks APIC ID %u as the boot CPU, but it is %u\n",
			cfg.bsp_apic_id, bsp_id);
	bootcpu->apic_id = bsp_id;
	int n = 1;
	for (int i = 0; i < cfg.ncpu; i++) {
		if (i == self)
			continue;
		if (n == NCPU) {
			cfg.nbeyond++;
			continue;
		}
		cpus[n].cpu_id = n;
		cpus[n].apic_id = cfg.apic_ids[i];
		n++;
	}
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
	// The trampoline goes over whatever is at MPENTRY_PADDR: never over
	// memory the firmware keeps (under UEFI, its runtime code may be there).
	const MemRegion *blocker;
	if (ncpu > 1 && !mem_range_usable(boot_info, MPENTRY_PADDR, PGSIZE, &blocker)) {
		if (blocker)
			cprintf("SMP: MPENTRY_PADDR %#lx lies in firmware memory [%#lx-%#lx] (%s): "
				"the APs are not started\n", MPENTRY_PADDR, blocker->base,
				blocker->base + blocker->len - 1, mem_type_name(blocker->type));
		else
			cprintf("SMP: MPENTRY_PADDR %#lx is in no region of the firmware memory map: "
				"the APs are not started\n", MPENTRY_PADDR);
		cprintf("SMP: 1 of %d CPUs started\n", ncpu);
		return;
	}
	// Copy the trampoline to MPENTRY_PADDR (page_init kept that page free).
	auto *code = static_cast<char *>(KADDR(MPENTRY_PADDR));
	memmove(code, mpentry_start, mpentry_end - mpentry_start);
	set_trampoline_param(code, mpentry_cr3, static_cast<uint32_t>(trampoline_pgdir()));
	set_trampoline_param(code, mpentry_efer,
			     static_cast<uint32_t>(EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE)));
	mpentry_x2apic = lapic_mode == LapicMode::X2apic;
	if (ncpu > 1) {
		const char *why = choose_startup_waits();
		cprintf("SMP: INIT-SIPI-SIPI waits %u us after INIT and %u us between the STARTUPs "
			"(%s)\n", lapic_startup_waits.init_us, lapic_startup_waits.sipi_us, why);
	}
	if (kargs.crash == Crash::ApMiss && kargs.crashcpu > 0 &&
	    kargs.crashcpu < static_cast<uint32_t>(ncpu)) {
		lapic_miss_startups_of = cpus[kargs.crashcpu].apic_id;
		cprintf("crash: CPU %u gets no STARTUP from its first INIT-SIPI-SIPI round\n",
			kargs.crashcpu);
	}

	uint64_t t0 = rdtsc();
	BringupStats stats;
	if (kargs.smpboot == SmpBoot::Serial)
		start_aps_serially(&stats);
	else if (ncpu > 1)
		start_aps_in_parallel(&stats);
	uint64_t total_us = tsc_to_us(rdtsc() - t0);
	lapic_restore_warm_reset();

	report_strays();
	nmi_report_deferred();
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

// The first C++ code on an AP, on the kernel stack of its slot c (the
// trampoline found c by the AP's APIC ID), still on the trampoline page
// table, with interrupts off.
extern "C" [[noreturn]] void
mp_main(Cpu *c)
{
	// Faults before trap_init_percpu must still reach a handler.
	idt_load();
	if (crash_on(Crash::ApLate, c))
		wait_until(10 * ap_timeout_us(), [c] { return c->cpu_status.load() != CPU_UNUSED; });
	if (crash_on(Crash::ApDeadline, c))
		wait_until(10 * ap_timeout_us(), [c] { return deadline_passed_for.load() == c; });

	// Report in: claim the slot, unless the boot CPU has given up on us.
	// Nothing shared is touched before this (no lock, not even c->self):
	// a loser is about to be reset, perhaps while holding what it took.
	uint32_t unused = CPU_UNUSED;
	if (!c->cpu_status.compare_exchange(unused, CPU_BOOTING)) {
		if (unused != CPU_RESTARTING)		// restarted: the INIT is on its way
			late_aps.fetch_add(1);
		for (;;) {
			cli();
			hlt();
		}
	}
	aps_claimed.fetch_add(1);
	// Each step shows the boot CPU that this one is still moving (the lock
	// waits in between beat too).
	cpu_set_gs(c);
	gdt_init_percpu();
	c->heartbeat.fetch_add(1, MemoryOrder::relaxed);
	load_pgdir(kern_pgdir);
	lapic_init();
	c->heartbeat.fetch_add(1, MemoryOrder::relaxed);
	cprintf("SMP: CPU %d starting\n", cpunum());
	if (crash_on(Crash::ApSlow, c)) {
		cprintf("crash: CPU %d takes 3 s to finish starting\n", cpunum());
		for (int i = 0; i < 30; i++) {
			udelay(100000);
			c->heartbeat.fetch_add(1, MemoryOrder::relaxed);
		}
	}
	if (crash_on(Crash::ApOverflow, c))
		crash_if_asked();
	c->heartbeat.fetch_add(1, MemoryOrder::relaxed);
	idt_init_percpu();
	mmu_init_percpu();
	c->heartbeat.fetch_add(1, MemoryOrder::relaxed);

	// A requested crash happens before this CPU reports in, while the boot
	// CPU still waits for it: the boot cannot finish (and exit) first.
	if (crash_on(Crash::ApStall, c)) {
		cprintf("crash: CPU %d stalls before reporting in\n", cpunum());
		for (;;)
			hlt();
	}
	crash_if_asked();
	// Release: everything this CPU set up is visible before the boot CPU
	// sees it started.
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
