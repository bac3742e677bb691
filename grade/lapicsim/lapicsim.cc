// lapicsim: kern/lapic.cc and kern/apicbase.h, built for the host, run
// against simulated local APICs. It grades the x2APIC exercise on any
// machine: no KVM, no QEMU whose TCG emulates x2APIC.
//
// The model follows the Intel SDM (vol. 3A, chapter 11 "Advanced
// Programmable Interrupt Controller"), not the kernel:
// - IA32_APIC_BASE (MSR 0x1B): EN is bit 11, EXTD bit 10. Allowed steps:
//   disabled -> xAPIC -> x2APIC, and back to disabled from either. Disabled
//   -> x2APIC in one write, x2APIC -> xAPIC, and EXTD without EN raise #GP.
// - In x2APIC mode register offset X is MSR 0x800 + X/16. Those MSRs raise
//   #GP outside x2APIC mode, as do the ones that do not exist (the ICR's
//   high half, 0x831), writes to read-only ones (ID, version), reads of
//   write-only ones (EOI) and a nonzero EOI. The ICR is one 64-bit MSR with
//   a 32-bit destination in bits 63:32.
// - In xAPIC mode the registers are 32-bit words in a 4 KiB page; the ICR is
//   two words, the destination in bits 31:24 of the high one, and writing
//   the low one sends. In x2APIC mode the page is not the APIC: this model
//   stops the run at the first access to it (hardware would drop writes and
//   read all ones, silently: the zCore bug).
//
// The page is a real host page kept inaccessible; an access to it faults,
// and the fault handler either stops the run (x2APIC mode) or performs the
// access on the model, by filling the page with the register values,
// letting the one instruction run (the trap flag), and reading back what
// it wrote.
//
// One run is one boot: the boot CPU chooses the mode (lapic_setup) and sets
// itself up (lapic_init); it starts the APs (lapic_startap one by one, or
// lapic_startaps at once); each AP runs lapic_init and reads its ID; then
// IPIs, EOIs, an NMI and the timer. It prints what the kernel printed
// ("kernel: ..."), each APIC access with --trace, and ends with
// "lapicsim: PASS" (exit 0) or "lapicsim: FAIL: <why>" (exit 1).

#include <inc/assert.h>
#include <inc/mmu.h>
#include <inc/trap.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/cpu.h>
#include <kern/lapic.h>
#include <kern/pmap.h>

#include <csetjmp>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <ucontext.h>
#include <vector>

// What the kernel file expects from the rest of the kernel.
KernelArgs kargs;
Cpu cpus[NCPU];
int ncpu = 1;
Cpu *bootcpu = &cpus[0];
uint64_t lapic_timer_hz = 62500000;
uint64_t tsc_hz = 1000000000;

namespace {

constexpr uint64_t kLapicPa = 0xFEE00000;
constexpr uint32_t kVersion = 0x00050014;	// version 0x14, 6 LVT entries
constexpr uint64_t kMpentry = 0x7000;

bool trace;
uint64_t now_ns;		// the virtual clock (TSC at 1 GHz)
int current;			// the CPU running kernel code now
sigjmp_buf stop_run;
std::string failure;
std::vector<std::string> kernel_lines;
std::string kernel_partial;

enum class Mode { Disabled, Xapic, X2apic };

const char *
mode_name(Mode m)
{
	return m == Mode::X2apic ? "x2APIC" : m == Mode::Xapic ? "xAPIC" : "disabled";
}

struct Ipi {
	int from;
	uint32_t icr_low;
	uint64_t at_ns;
};

struct SimApic {
	uint32_t id = 0;
	uint64_t base = kLapicPa;
	uint32_t regs[64] = {};		// by offset / 16
	std::vector<Ipi> received;
	int eois = 0;
	int fences_since_icr = 0;	// mfence/lfence since this CPU's last ICR write

	Mode mode() const
	{
		if (!(base & APIC_BASE_EN))
			return Mode::Disabled;
		return (base & APIC_BASE_EXTD) ? Mode::X2apic : Mode::Xapic;
	}
};

std::vector<SimApic> apics;
int started;			// CPUs up at the end (the boot CPU counts)
bool offer_x2apic = true;
bool leaf_0xb = true;

// Stops the run with a reason (from the fault handler too).
[[noreturn]] void
fail(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (failure.empty())
		failure = buf;
	siglongjmp(stop_run, 1);
}

void
tracef(const char *fmt, ...)
{
	if (!trace)
		return;
	va_list ap;
	va_start(ap, fmt);
	printf("  cpu %d: ", current);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

SimApic &
me()
{
	return apics[current];
}

// Delivers an IPI written to CPU `current`'s ICR, to the CPU whose APIC ID
// matches dest in the sender's mode. Physical destination mode, no
// shorthand: the kernel uses nothing else.
void
deliver(uint32_t dest, uint32_t icr_low)
{
	const SimApic &src = me();
	uint32_t delivery = (icr_low >> 8) & 7;
	tracef("IPI to APIC ID %u: delivery mode %u, vector %#x", dest, delivery, icr_low & 0xFF);
	if (icr_low & (1U << 11))
		fail("CPU %d sent an IPI in logical destination mode (ICR bit 11): the kernel "
		     "addresses CPUs by APIC ID (physical mode)", current);
	if ((icr_low >> 18) & 3)
		fail("CPU %d sent an IPI with a destination shorthand (ICR bits 19:18 = %u): the "
		     "kernel addresses each CPU by its APIC ID", current, (icr_low >> 18) & 3);
	bool found = false;
	for (size_t i = 0; i < apics.size(); i++) {
		SimApic &dst = apics[i];
		uint32_t match = src.mode() == Mode::X2apic ? dst.id : dst.id & 0xFF;
		if (match != dest)
			continue;
		found = true;
		if (delivery == 5 && !(icr_low & (1U << 14)))
			continue;	// INIT level de-assert: no effect
		if ((delivery == 5 || delivery == 6) && (i == 0 || static_cast<int>(i) == current))
			fail("CPU %d sent %s to APIC ID %u, which is %s: it would reset the CPU that "
			     "is starting the others (is the destination in the right bits?)", current,
			     delivery == 5 ? "INIT" : "STARTUP", dest,
			     i == 0 ? "the boot CPU's" : "its own");
		dst.received.push_back(Ipi{current, icr_low, now_ns});
	}
	if (!found)
		fail("CPU %d (APIC ID %u, %s mode) sent an IPI to APIC ID %u, which no CPU has "
		     "(the destination field is %s)", current, src.id, mode_name(src.mode()), dest,
		     src.mode() == Mode::X2apic ? "bits 63:32 of the x2APIC ICR"
						: "bits 31:24 of the xAPIC ICR's high word");
}

// x2APIC MSRs (0x800 + offset/16) that exist, and how they may be used.
enum Access { kNone = 0, kRead = 1, kWrite = 2, kBoth = 3 };

Access
x2apic_access(uint32_t index)
{
	switch (index) {
	case 0x02: case 0x03:			// ID, version
	case 0x0A: case 0x0D:			// PPR, LDR
	case 0x10 ... 0x17:			// ISR
	case 0x18 ... 0x1F:			// TMR
	case 0x20 ... 0x27:			// IRR
	case 0x39:				// timer current count
		return kRead;
	case 0x0B: case 0x3F:			// EOI, self IPI
		return kWrite;
	case 0x08: case 0x0F: case 0x28:	// TPR, SVR, ESR
	case 0x2F: case 0x30:			// LVT CMCI, ICR (64 bits)
	case 0x32 ... 0x38:			// LVTs, timer initial count
	case 0x3E:				// timer divide
		return kBoth;
	default:				// 0x31 (ICR high) among them
		return kNone;
	}
}

// A register write, whichever way it came; index is offset / 16.
void
reg_write(uint32_t index, uint64_t v)
{
	SimApic &a = me();
	if (index == 0x0B) {
		a.eois++;
		return;
	}
	if (index == 0x30) {
		uint32_t dest = a.mode() == Mode::X2apic ? static_cast<uint32_t>(v >> 32)
							 : a.regs[0x31] >> 24;
		a.regs[0x30] = static_cast<uint32_t>(v) & ~0x1000U;	// delivered at once
		if (a.mode() == Mode::X2apic && a.fences_since_icr == 0)
			fail("CPU %d wrote the x2APIC ICR (MSR 0x830) without a fence before it: "
			     "WRMSR to x2APIC registers is not serializing, so earlier stores (the "
			     "AP's stack pointer ...) may not be visible when the IPI arrives; "
			     "mfence and lfence first", current);
		a.fences_since_icr = 0;
		deliver(dest, static_cast<uint32_t>(v));
		return;
	}
	a.regs[index] = static_cast<uint32_t>(v);
}

uint32_t
reg_read(uint32_t index)
{
	SimApic &a = me();
	switch (index) {
	case 0x02:
		return a.mode() == Mode::X2apic ? a.id : a.id << 24;
	case 0x03:
		return kVersion;
	case 0x39:
		return 0;
	default:
		return a.regs[index];
	}
}

// The page the kernel maps for the xAPIC registers (mmio_map_region).
uint8_t *mmio_page;
bool mmio_mapped;
uint32_t mmio_shadow[1024];	// what the page held when the instruction ran
uintptr_t mmio_fault_off;
bool mmio_store;

// Whether the instruction at rip stores to memory: the moves a compiler
// emits for a volatile access (after operand-size and REX prefixes).
bool
is_store(const uint8_t *rip)
{
	while (*rip == 0x66 || (*rip & 0xF0) == 0x40)
		rip++;
	switch (*rip) {
	case 0x88: case 0x89: case 0xC6: case 0xC7:	// mov to memory
		return true;
	case 0x8A: case 0x8B:				// mov from memory
		return false;
	case 0x0F:					// movzx, movsx
		if (rip[1] == 0xB6 || rip[1] == 0xB7 || rip[1] == 0xBE || rip[1] == 0xBF)
			return false;
		break;
	}
	fail("CPU %d accessed the xAPIC page with an instruction the simulator does not know "
	     "(opcode %#x): use a plain 32-bit load or store", current, *rip);
}

void
protect_mmio(int prot)
{
	if (mprotect(mmio_page, 4096, prot) != 0)
		abort();
}

const char *
reg_name(uint32_t off)
{
	switch (off) {
	case 0x020: return "the ID register";
	case 0x030: return "the version register";
	case 0x0B0: return "EOI";
	case 0x300: return "the ICR's low word (which sends the IPI)";
	case 0x310: return "the ICR's high word (the destination)";
	default: return "a register";
	}
}

void
on_segv(int, siginfo_t *si, void *ctx)
{
	auto *uc = static_cast<ucontext_t *>(ctx);
	uintptr_t addr = reinterpret_cast<uintptr_t>(si->si_addr);
	uintptr_t page = reinterpret_cast<uintptr_t>(mmio_page);
	if (addr < page || addr >= page + 4096) {
		if (addr < 4096)
			fail("CPU %d dereferenced a null pointer (address %#lx): in x2APIC mode "
			     "lapic_setup maps no xAPIC page, so code that still uses it gets here "
			     "(the registers are MSRs 0x800 + offset/16)", current,
			     static_cast<unsigned long>(addr));
		fail("CPU %d crashed: segmentation fault at address %#lx", current,
		     static_cast<unsigned long>(addr));
	}
	uint32_t off = static_cast<uint32_t>(addr - page);
	if (me().mode() != Mode::Xapic)
		fail("CPU %d touched the xAPIC MMIO page (offset %#x, %s) while its APIC is in "
		     "%s mode: there the page is not the APIC (reads give all ones, writes are "
		     "dropped), so an IPI sent this way never arrives", current, off,
		     reg_name(off & ~0xFU), mode_name(me().mode()));
	// Let the instruction run on the page, filled with the registers.
	for (uint32_t i = 0; i < 64; i++)
		mmio_shadow[i * 4] = reg_read(i);
	protect_mmio(PROT_READ | PROT_WRITE);
	memcpy(mmio_page, mmio_shadow, sizeof(mmio_shadow));
	mmio_fault_off = off;
	mmio_store = is_store(reinterpret_cast<const uint8_t *>(uc->uc_mcontext.gregs[REG_RIP]));
	uc->uc_mcontext.gregs[REG_EFL] |= 0x100;	// TF: trap after one instruction
}

void
on_trap(int, siginfo_t *, void *ctx)
{
	auto *uc = static_cast<ucontext_t *>(ctx);
	uc->uc_mcontext.gregs[REG_EFL] &= ~0x100L;
	uint32_t off = static_cast<uint32_t>(mmio_fault_off);
	uint32_t v = reinterpret_cast<uint32_t *>(mmio_page)[off / 4];
	protect_mmio(PROT_NONE);
	if (!mmio_store) {
		tracef("xAPIC read %#x", off);
		return;
	}
	if (off % 16 != 0)
		fail("CPU %d wrote offset %#x of the xAPIC page, which is not the start of a "
		     "register (registers are 16-byte aligned)", current, off);
	tracef("xAPIC write %#x = %#x", off, v);
	reg_write(off / 16, v);
}

void
install_handlers()
{
	struct sigaction sa = {};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, nullptr);
	sigaction(SIGBUS, &sa, nullptr);
	sa.sa_sigaction = on_trap;
	sigaction(SIGTRAP, &sa, nullptr);
}

} // namespace

// ---------------------------------------------------------------------------
// The machine, as the kernel file sees it.

Cpu *
this_cpu()
{
	return &cpus[current];
}

uint64_t
rdmsr(uint32_t msr)
{
	SimApic &a = me();
	if (msr == MSR_APIC_BASE) {
		tracef("rdmsr IA32_APIC_BASE = %#lx", static_cast<unsigned long>(a.base));
		return a.base;
	}
	if (msr >= 0x800 && msr <= 0x8FF) {
		uint32_t index = msr - 0x800;
		if (a.mode() != Mode::X2apic)
			fail("CPU %d read MSR %#x while its APIC is in %s mode: #GP (x2APIC registers "
			     "exist only once EXTD is set in IA32_APIC_BASE)", current, msr,
			     mode_name(a.mode()));
		if (!(x2apic_access(index) & kRead))
			fail("CPU %d read MSR %#x: #GP (%s)", current, msr,
			     x2apic_access(index) == kWrite ? "a write-only x2APIC register"
							    : "no such x2APIC register");
		uint64_t v = index == 0x30 ? a.regs[0x30] : reg_read(index);
		tracef("rdmsr %#x = %#lx", msr, static_cast<unsigned long>(v));
		return v;
	}
	fail("CPU %d read MSR %#x, which the simulated machine does not have", current, msr);
}

void
wrmsr(uint32_t msr, uint64_t v)
{
	SimApic &a = me();
	if (msr == MSR_APIC_BASE) {
		tracef("wrmsr IA32_APIC_BASE = %#lx", static_cast<unsigned long>(v));
		Mode from = a.mode();
		bool en = v & APIC_BASE_EN, extd = v & APIC_BASE_EXTD;
		if (extd && !en)
			fail("CPU %d wrote IA32_APIC_BASE = %#lx: EXTD without EN is invalid (#GP)",
			     current, static_cast<unsigned long>(v));
		if (from == Mode::Disabled && extd)
			fail("CPU %d wrote IA32_APIC_BASE = %#lx to a disabled APIC: #GP. From "
			     "disabled, the SDM allows only xAPIC mode (EN); set EXTD in a second "
			     "write", current, static_cast<unsigned long>(v));
		if (from == Mode::X2apic && en && !extd)
			fail("CPU %d wrote IA32_APIC_BASE = %#lx: x2APIC back to xAPIC mode without "
			     "disabling the APIC first is invalid (#GP)", current,
			     static_cast<unsigned long>(v));
		if ((v & ~0xFFFUL) != (a.base & ~0xFFFUL))
			fail("CPU %d moved its APIC's base address to %#lx", current,
			     static_cast<unsigned long>(v & ~0xFFFUL));
		a.base = (v & (APIC_BASE_EN | APIC_BASE_EXTD)) | (a.base & ~(APIC_BASE_EN | APIC_BASE_EXTD));
		return;
	}
	if (msr >= 0x800 && msr <= 0x8FF) {
		uint32_t index = msr - 0x800;
		tracef("wrmsr %#x = %#lx", msr, static_cast<unsigned long>(v));
		if (a.mode() != Mode::X2apic)
			fail("CPU %d wrote MSR %#x while its APIC is in %s mode: #GP (x2APIC "
			     "registers exist only once EXTD is set in IA32_APIC_BASE)", current, msr,
			     mode_name(a.mode()));
		if (!(x2apic_access(index) & kWrite))
			fail("CPU %d wrote MSR %#x: #GP (%s)", current, msr,
			     index == 0x31 ? "there is no ICR high half in x2APIC mode: the ICR is "
					     "the one 64-bit MSR 0x830, destination in bits 63:32"
			     : x2apic_access(index) == kRead ? "a read-only x2APIC register"
							     : "no such x2APIC register");
		if (index == 0x0B && v != 0)
			fail("CPU %d wrote %#lx to the x2APIC EOI register: #GP (only 0 may be "
			     "written)", current, static_cast<unsigned long>(v));
		if (index != 0x30 && (v >> 32) != 0)
			fail("CPU %d wrote %#lx to MSR %#x: #GP (bits 63:32 are reserved)", current,
			     static_cast<unsigned long>(v), msr);
		reg_write(index, v);
		return;
	}
	fail("CPU %d wrote MSR %#x, which the simulated machine does not have", current, msr);
}

CpuidRegs
cpuid(uint32_t leaf, uint32_t subleaf)
{
	const SimApic &a = me();
	switch (leaf) {
	case 0:
		return {leaf_0xb ? 0xBU : 0xAU, 0, 0, 0};
	case 1:
		return {0, (a.id & 0xFF) << 24, offer_x2apic ? 1U << 21 : 0, 1U << 9};
	case 0xB:
		if (leaf_0xb && subleaf == 0)
			return {0, 1, 0x100, a.id};
		return {0, 0, 0, 0};
	default:
		return {0, 0, 0, 0};
	}
}

uint64_t
rdtsc()
{
	return now_ns;
}

void
mfence()
{
	me().fences_since_icr++;
}

void
lfence()
{
	me().fences_since_icr++;
}

void
cpu_relax()
{
	now_ns += 100;
}

namespace {
uint8_t cmos[128];
uint8_t cmos_index;
uint8_t low_memory[0x1000];	// the BIOS data area (the warm-reset vector)
} // namespace

uint8_t
inb(uint16_t port)
{
	if (port == 0x71)
		return cmos[cmos_index & 0x7F];
	fail("CPU %d read I/O port %#x, which the simulated machine does not have", current, port);
}

void
outb(uint16_t port, uint8_t v)
{
	if (port == 0x70)
		cmos_index = v;
	else if (port == 0x71)
		cmos[cmos_index & 0x7F] = v;
	else
		fail("CPU %d wrote I/O port %#x, which the simulated machine does not have", current,
		     port);
}

void *
_kaddr(const char *, int, physaddr_t pa)
{
	if (pa + 4 > sizeof(low_memory))
		fail("KADDR(%#lx): the simulated machine has only the first page of memory",
		     static_cast<unsigned long>(pa));
	return low_memory + pa;
}

void *
mmio_map_region(physaddr_t pa, size_t size)
{
	if (pa != kLapicPa || size > 4096)
		fail("mmio_map_region(%#lx, %zu): the local APIC's page is %#lx, 4096 bytes",
		     static_cast<unsigned long>(pa), size, static_cast<unsigned long>(kLapicPa));
	mmio_mapped = true;
	return mmio_page;
}

uint64_t
clock_deadline_us(uint64_t us)
{
	return now_ns + us * 1000;
}

bool
clock_passed(uint64_t deadline)
{
	now_ns += 1000;
	return now_ns >= deadline;
}

void
udelay(uint64_t us)
{
	tracef("udelay(%lu)", static_cast<unsigned long>(us));
	now_ns += us * 1000;
}

uint64_t
tsc_to_us(uint64_t ticks)
{
	return ticks / 1000;
}

int
vcprintf(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	kernel_partial += buf;
	size_t nl;
	while ((nl = kernel_partial.find('\n')) != std::string::npos) {
		kernel_lines.push_back(kernel_partial.substr(0, nl));
		printf("kernel: %s\n", kernel_lines.back().c_str());
		kernel_partial.erase(0, nl + 1);
	}
	return n;
}

int
cprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vcprintf(fmt, ap);
	va_end(ap);
	return n;
}

namespace {

std::string
vformat(const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	return buf;
}

} // namespace

void
_panic(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	fail("kernel panic on CPU %d at %s:%d: %s", current, file, line, msg.c_str());
}

void
_warn(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	cprintf("kernel warning on CPU %d at %s:%d: %s\n", current, file, line, msg.c_str());
}

// ---------------------------------------------------------------------------
// One boot.

namespace {

struct Options {
	std::vector<uint32_t> ids = {0, 1, 2, 3};
	bool parallel = false;
	bool firmware_x2apic = false;	// the firmware left every APIC in x2APIC mode
	std::string ap_state = "mixed";	// the APs' APIC at wake-up: enabled, disabled, mixed
};

void
run_on(int cpu)
{
	current = cpu;
}

// Checks that CPU i got exactly INIT, STARTUP, STARTUP for the trampoline,
// with the waits the MP specification asks for in between.
void
check_started(int i)
{
	const SimApic &a = apics[i];
	std::vector<Ipi> seq;
	for (const Ipi &p : a.received)
		if (((p.icr_low >> 8) & 7) == 5 || ((p.icr_low >> 8) & 7) == 6)
			seq.push_back(p);
	std::string got;
	for (const Ipi &p : seq)
		got += ((p.icr_low >> 8) & 7) == 5 ? " INIT" : " STARTUP";
	if (seq.size() != 3 || ((seq[0].icr_low >> 8) & 7) != 5 ||
	    ((seq[1].icr_low >> 8) & 7) != 6 || ((seq[2].icr_low >> 8) & 7) != 6)
		fail("CPU %d (APIC ID %u) got%s%s, not INIT STARTUP STARTUP: it did not start", i,
		     a.id, got.empty() ? " no INIT or STARTUP IPI" : "", got.c_str());
	for (int k = 1; k < 3; k++)
		if ((seq[k].icr_low & 0xFF) != kMpentry >> 12)
			fail("CPU %d (APIC ID %u) got a STARTUP IPI with vector %#x, not %#lx "
			     "(MPENTRY_PADDR >> 12)", i, a.id, seq[k].icr_low & 0xFF, kMpentry >> 12);
	if (seq[1].at_ns - seq[0].at_ns < 10000000)
		fail("CPU %d (APIC ID %u) got STARTUP %lu us after INIT: wait 10 ms", i, a.id,
		     static_cast<unsigned long>((seq[1].at_ns - seq[0].at_ns) / 1000));
	if (seq[2].at_ns - seq[1].at_ns < 200000)
		fail("CPU %d (APIC ID %u) got its second STARTUP %lu us after the first: wait "
		     "200 us", i, a.id, static_cast<unsigned long>((seq[2].at_ns - seq[1].at_ns) / 1000));
}

// After lapic_init on CPU i: its mode, its ID as the kernel reads it, and
// what the SDM says a working APIC needs (SVR enabled).
void
check_initialized(int i, Mode want)
{
	const SimApic &a = apics[i];
	if (a.mode() != want)
		fail("after lapic_init, CPU %d's APIC is in %s mode, not %s mode", i,
		     mode_name(a.mode()), mode_name(want));
	if (!(a.regs[0x0F] & 0x100))
		fail("after lapic_init, CPU %d's APIC is software-disabled (SVR bit 8 clear)", i);
	uint32_t id = lapic_id();
	if (id != a.id)
		fail("lapic_id() on CPU %d returned %u (%#x), but its APIC ID is %u (%#x)%s", i, id,
		     id, a.id, a.id,
		     want == Mode::X2apic && id == a.id >> 24
			     ? ": in x2APIC mode the ID register (MSR 0x802) holds all 32 bits, "
			       "not shifted" : "");
}

Mode
expected_mode()
{
	if (apics[0].mode() == Mode::X2apic)
		return Mode::X2apic;
	if (kargs.apic == ApicMode::Xapic || !offer_x2apic)
		return Mode::Xapic;
	return Mode::X2apic;
}

void
boot(const Options &o)
{
	ncpu = static_cast<int>(o.ids.size());
	apics.assign(o.ids.size(), SimApic{});
	uint32_t max_id = 0;
	for (int i = 0; i < ncpu; i++) {
		SimApic &a = apics[i];
		a.id = o.ids[i];
		max_id = a.id > max_id ? a.id : max_id;
		cpus[i].cpu_id = i;
		cpus[i].apic_id = a.id;
		bool enabled = o.ap_state == "enabled" || (o.ap_state == "mixed" && i % 2 == 1);
		if (i == 0) {
			a.base |= APIC_BASE_BSP | APIC_BASE_EN;
			enabled = true;
		}
		if (o.firmware_x2apic)
			a.base |= APIC_BASE_EN | APIC_BASE_EXTD;
		else if (enabled)
			a.base |= APIC_BASE_EN;
		a.regs[0x0F] = 0xFF;	// SVR after reset: vector 0xFF, disabled
		for (uint32_t lvt = 0x32; lvt <= 0x37; lvt++)
			a.regs[lvt] = 0x10000;
	}

	// The boot CPU.
	run_on(0);
	Mode want = expected_mode();
	lapic_setup(kLapicPa, max_id);
	if (lapic_mode != (want == Mode::X2apic ? LapicMode::X2apic : LapicMode::Xapic))
		fail("lapic_setup chose %s mode; this machine calls for %s mode",
		     lapic_mode == LapicMode::X2apic ? "x2APIC" : "xAPIC", mode_name(want));
	lapic_init();
	check_initialized(0, want);

	// The APs: started, then each sets itself up.
	uint32_t ap_ids[NCPU];
	int nap = 0;
	for (int i = 1; i < ncpu; i++)
		if (lapic_can_address(apics[i].id))
			ap_ids[nap++] = apics[i].id;
	if (o.parallel)
		lapic_startaps(ap_ids, nap, kMpentry);
	std::vector<bool> up(ncpu, false);
	for (int i = 1; i < ncpu; i++) {
		if (!lapic_can_address(apics[i].id)) {
			// The kernel says it cannot start this one; it must send it nothing.
			if (!apics[i].received.empty())
				fail("CPU %d (APIC ID %u) cannot be addressed in %s mode, yet got an IPI",
				     i, apics[i].id, mode_name(want));
			continue;
		}
		if (!o.parallel)
			lapic_startap(apics[i].id, kMpentry);
		check_started(i);
		run_on(i);
		lapic_init();
		check_initialized(i, want);
		run_on(0);
		up[i] = true;
	}
	lapic_restore_warm_reset();
	started = 1;
	for (int i = 1; i < ncpu; i++)
		started += up[i];
	if (!apics[0].received.empty())
		fail("the boot CPU (APIC ID %u) was sent an IPI during bring-up (delivery mode %u): "
		     "INIT would reset it", apics[0].id, (apics[0].received[0].icr_low >> 8) & 7);

	// IPIs both ways, each taken and acknowledged (EOI).
	for (int i = 1; i < ncpu; i++) {
		if (!up[i])
			continue;
		for (int from : {0, i}) {
			int to = from == 0 ? i : 0;
			size_t before = apics[to].received.size();
			run_on(from);
			if (!lapic_send_ipi(apics[to].id, T_IPI_WAKEUP))
				fail("lapic_send_ipi from CPU %d to APIC ID %u returned false", from,
				     apics[to].id);
			if (apics[to].received.size() != before + 1 ||
			    (apics[to].received.back().icr_low & 0x7FF) != T_IPI_WAKEUP)
				fail("CPU %d sent APIC ID %u a fixed IPI with vector %#x; it did not arrive "
				     "there", from, apics[to].id, T_IPI_WAKEUP);
			run_on(to);
			int eois = apics[to].eois;
			lapic_eoi();
			if (apics[to].eois != eois + 1)
				fail("lapic_eoi on CPU %d did not write its APIC's EOI register", to);
		}
	}
	run_on(0);
	if (ncpu > 1 && up[1]) {
		size_t before = apics[1].received.size();
		lapic_send_nmi(apics[1].id);
		if (apics[1].received.size() != before + 1 ||
		    ((apics[1].received.back().icr_low >> 8) & 7) != 4)
			fail("lapic_send_nmi(%u) did not deliver an NMI to CPU 1", apics[1].id);
	}
	// The timer: one-shot, unmasked, on the timer vector.
	lapic_timer_oneshot(1000);
	const SimApic &b = apics[0];
	if ((b.regs[0x32] & 0x300FF) != IRQ_OFFSET + IRQ_TIMER || b.regs[0x38] == 0)
		fail("lapic_timer_oneshot left the timer LVT at %#x and its count at %u: it does not "
		     "reach the APIC", b.regs[0x32], b.regs[0x38]);
}

std::vector<uint32_t>
parse_ids(const char *s)
{
	std::vector<uint32_t> ids;
	for (const char *p = s; *p;) {
		char *end;
		unsigned long v = strtoul(p, &end, 0);
		if (end == p)
			break;
		ids.push_back(static_cast<uint32_t>(v));
		p = *end == ',' ? end + 1 : end;
	}
	return ids;
}

int
usage()
{
	fprintf(stderr,
		"usage: lapicsim [--ids A,B,...|--count N] [--parallel] [--no-x2apic] "
		"[--firmware-x2apic] [--no-leaf-0xb] [--apic auto|xapic|x2apic] "
		"[--ap-state enabled|disabled|mixed] [--trace]\n");
	return 2;
}

} // namespace

int
main(int argc, char **argv)
{
	setvbuf(stdout, nullptr, _IOLBF, 0);
	Options o;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--ids" && i + 1 < argc) {
			o.ids = parse_ids(argv[++i]);
		} else if (a == "--count" && i + 1 < argc) {
			o.ids.clear();
			for (int n = atoi(argv[++i]), k = 0; k < n; k++)
				o.ids.push_back(k);
		} else if (a == "--parallel") {
			o.parallel = true;
		} else if (a == "--no-x2apic") {
			offer_x2apic = false;
		} else if (a == "--firmware-x2apic") {
			o.firmware_x2apic = true;
		} else if (a == "--no-leaf-0xb") {
			leaf_0xb = false;
		} else if (a == "--apic" && i + 1 < argc) {
			std::string m = argv[++i];
			kargs.apic = m == "xapic" ? ApicMode::Xapic : m == "x2apic" ? ApicMode::X2apic
										 : ApicMode::Auto;
		} else if (a == "--ap-state" && i + 1 < argc) {
			o.ap_state = argv[++i];
		} else if (a == "--trace") {
			trace = true;
		} else {
			return usage();
		}
	}
	if (o.ids.empty() || o.ids.size() > NCPU)
		return usage();

	mmio_page = static_cast<uint8_t *>(mmap(nullptr, 4096, PROT_NONE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (mmio_page == MAP_FAILED) {
		perror("lapicsim: mmap");
		return 2;
	}
	install_handlers();
	printf("lapicsim: %zu CPUs, APIC IDs", o.ids.size());
	for (size_t i = 0; i < o.ids.size() && i < 16; i++)
		printf(" %u", o.ids[i]);
	printf("%s; %s bring-up; the CPU %s x2APIC%s\n", o.ids.size() > 16 ? " ..." : "",
	       o.parallel ? "parallel" : "serial", offer_x2apic ? "offers" : "does not offer",
	       o.firmware_x2apic ? "; the firmware left every APIC in x2APIC mode" : "");
	if (sigsetjmp(stop_run, 1) == 0)
		boot(o);
	if (!kernel_partial.empty())
		printf("kernel: %s\n", kernel_partial.c_str());
	if (!failure.empty()) {
		printf("lapicsim: FAIL: %s\n", failure.c_str());
		return 1;
	}
	printf("lapicsim: PASS: %d of %d CPUs started in %s mode; IPIs, EOIs, an NMI and the "
	       "timer reached their APICs\n", started, ncpu, lapic_mode == LapicMode::X2apic ? "x2APIC" : "xAPIC");
	return 0;
}
