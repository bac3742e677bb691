// The registers the kernel saves in the UTrapframe, and the registers the
// faulting code sees after _pgfault_upcall returns to it, must be exactly
// those at the faulting instruction. The instruction writes to UTEMP
// (unmapped); the handler maps a page there and returns.
#include <inc/lib.h>

// Every register, as the assembly below stores them (rip: where it was).
struct Regs {
	PushRegs regs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t rip;
};

extern "C" {
Regs faultregs_before, faultregs_after;
Regs faultregs_utf;
extern char faultregs_fault[], faultregs_resume[];
}

namespace {

// Stores every register but rip into the Regs at symbol `where`, without
// changing any: RIP-relative stores need no scratch register, and none of
// these instructions writes the flags (pushfq/popq move rsp and back).
#define SAVE_REGS(where)                                                       \
	"movq %%r15, " where "+0(%%rip)\n\t"                                   \
	"movq %%r14, " where "+8(%%rip)\n\t"                                   \
	"movq %%r13, " where "+16(%%rip)\n\t"                                  \
	"movq %%r12, " where "+24(%%rip)\n\t"                                  \
	"movq %%r11, " where "+32(%%rip)\n\t"                                  \
	"movq %%r10, " where "+40(%%rip)\n\t"                                  \
	"movq %%r9, " where "+48(%%rip)\n\t"                                   \
	"movq %%r8, " where "+56(%%rip)\n\t"                                   \
	"movq %%rsi, " where "+64(%%rip)\n\t"                                  \
	"movq %%rdi, " where "+72(%%rip)\n\t"                                  \
	"movq %%rbp, " where "+80(%%rip)\n\t"                                  \
	"movq %%rdx, " where "+88(%%rip)\n\t"                                  \
	"movq %%rcx, " where "+96(%%rip)\n\t"                                  \
	"movq %%rbx, " where "+104(%%rip)\n\t"                                 \
	"movq %%rax, " where "+112(%%rip)\n\t"                                 \
	"movq %%rsp, " where "+128(%%rip)\n\t"                                 \
	"pushfq\n\t"                                                           \
	"popq " where "+120(%%rip)\n\t"

static_assert(offsetof(Regs, rflags) == 120 && offsetof(Regs, rsp) == 128);

bool
check(const char *a_name, const Regs &a, const char *b_name, const Regs &b, const char *what)
{
	static const char *const names[] = {"r15", "r14", "r13", "r12", "r11", "r10", "r9",
					    "r8",  "rsi", "rdi", "rbp", "rdx", "rcx", "rbx",
					    "rax"};
	const uint64_t *av = &a.regs.reg_r15, *bv = &b.regs.reg_r15;
	bool ok = true;
	cprintf("%-6s %-18s %-18s\n", "", a_name, b_name);
	auto row = [&](const char *name, uint64_t x, uint64_t y) {
		cprintf("%-6s 0x%016lx 0x%016lx %s\n", name, x, y, x == y ? "OK" : "MISMATCH");
		ok = ok && x == y;
	};
	for (int i = 0; i < 15; i++)
		row(names[i], av[i], bv[i]);
	row("rip", a.rip, b.rip);
	row("rflags", a.rflags, b.rflags);
	row("rsp", a.rsp, b.rsp);
	cprintf("%s %s\n", what, ok ? "OK" : "MISMATCH");
	return ok;
}

void
pgfault(UTrapframe *utf)
{
	if (utf->utf_fault_va != UTEMP)
		panic("pgfault expected at UTEMP, got %#lx (rip %#lx)", utf->utf_fault_va,
		      utf->utf_rip);
	faultregs_utf.regs = utf->utf_regs;
	faultregs_utf.rip = utf->utf_rip;
	faultregs_utf.rflags = utf->utf_rflags;
	faultregs_utf.rsp = utf->utf_rsp;
	check("before", faultregs_before, "trap", faultregs_utf, "Registers in UTrapframe");
	int r = sys_page_alloc(0, reinterpret_cast<void *>(UTEMP), PTE_U | PTE_P | PTE_W);
	if (r < 0)
		panic("sys_page_alloc: %s", error_string(r));
}

} // namespace

void
umain(int, char **)
{
	set_pgfault_handler(pgfault);
	faultregs_before.rip = reinterpret_cast<uint64_t>(faultregs_fault);
	// Distinct values in every register but rbp and rsp (the frame), and
	// every arithmetic flag set, so that a register or flag the upcall
	// loses shows.
	asm volatile(
		"movabsq $0x0101010101010101, %%rax\n\t"
		"movabsq $0x0202020202020202, %%rbx\n\t"
		"movabsq $0x0303030303030303, %%rcx\n\t"
		"movabsq $0x0404040404040404, %%rdx\n\t"
		"movabsq $0x0505050505050505, %%rsi\n\t"
		"movabsq $0x0606060606060606, %%rdi\n\t"
		"movabsq $0x0808080808080808, %%r8\n\t"
		"movabsq $0x0909090909090909, %%r9\n\t"
		"movabsq $0x0a0a0a0a0a0a0a0a, %%r10\n\t"
		"movabsq $0x0b0b0b0b0b0b0b0b, %%r11\n\t"
		"movabsq $0x0c0c0c0c0c0c0c0c, %%r12\n\t"
		"movabsq $0x0d0d0d0d0d0d0d0d, %%r13\n\t"
		"movabsq $0x0e0e0e0e0e0e0e0e, %%r14\n\t"
		"movabsq $0x0f0f0f0f0f0f0f0f, %%r15\n\t"
		"pushfq\n\t"
		"orq $0x8d5, (%%rsp)\n\t"	// CF, PF, AF, ZF, SF, OF
		"popfq\n\t"
		SAVE_REGS("faultregs_before")
		".globl faultregs_fault\n"
		"faultregs_fault:\n\t"
		"movl $0x42, 0x400000\n\t"	// UTEMP: faults
		".globl faultregs_resume\n"
		"faultregs_resume:\n\t"
		SAVE_REGS("faultregs_after")
		::: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
		    "r13", "r14", "r15", "cc", "memory");
	faultregs_after.rip = reinterpret_cast<uint64_t>(faultregs_resume);
	// After the fault the code goes on where the faulting instruction
	// ends: compare rip with that, the rest with the state before.
	Regs expected = faultregs_before;
	expected.rip = faultregs_after.rip;
	check("before", expected, "after", faultregs_after, "Registers after page-fault");
	if (*reinterpret_cast<volatile uint32_t *>(UTEMP) != 0x42)
		cprintf("the faulting write did not happen\n");
}
