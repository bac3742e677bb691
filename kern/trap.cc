// Trap handling. The kernel runs with interrupts disabled; every gate is an
// interrupt gate. A fault in kernel mode is a kernel bug: it prints the
// registers with the CPU number and panics. A double fault runs on its own
// IST stack, so a kernel stack overflow is reported too.

#include <inc/assert.h>
#include <inc/atomic.h>
#include <inc/memlayout.h>
#include <inc/syscall.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/console.h>
#include <kern/cpu.h>
#include <kern/e1000.h>
#include <kern/env.h>
#include <kern/ipi.h>
#include <kern/kdebug.h>
#include <kern/lab.h>
#include <kern/lapic.h>
#include <kern/monitor.h>
#include <kern/pmap.h>
#include <kern/printf.h>
#include <kern/sched.h>
#include <kern/spinlock.h>
#include <kern/syscall.h>
#include <kern/trace.h>
#include <kern/trap.h>

extern "C" char vector_stubs[];

namespace {

constexpr int kStubSize = 16;	// matches STUB_SIZE in trapentry.S

Gatedesc idt[256];
Pseudodesc idt_pd;

const char *
trapname(uint64_t trapno)
{
	static const char *const excnames[] = {
		"Divide error", "Debug", "Non-Maskable Interrupt", "Breakpoint",
		"Overflow", "BOUND Range Exceeded", "Invalid Opcode", "Device Not Available",
		"Double Fault", "Coprocessor Segment Overrun", "Invalid TSS",
		"Segment Not Present", "Stack Fault", "General Protection", "Page Fault",
		"(unknown trap)", "x87 FPU Floating-Point Error", "Alignment Check",
		"Machine-Check", "SIMD Floating-Point Exception", "Virtualization Exception",
		"Control Protection Exception",
	};
	if (trapno < ARRAY_SIZE(excnames))
		return excnames[trapno];
	if (trapno == T_SYSCALL)
		return "System call";
	if (trapno == T_LAPIC_SPURIOUS)
		return "Spurious interrupt";
	if (trapno >= IRQ_OFFSET)
		return "Hardware Interrupt";
	return "(unknown trap)";
}

uint64_t
tss_desc_low(uint64_t base, uint32_t limit)
{
	return (limit & 0xFFFFUL) | ((base & 0xFFFFFFUL) << 16) |
	       (static_cast<uint64_t>(STS_T64A) << 40) | (1UL << 47) |
	       ((static_cast<uint64_t>(limit) >> 16 & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
}

// Which CPU's guard gap (kernel stack or IST) holds va, or -1.
int
guard_gap_owner(uint64_t va, const char **which)
{
	for (int i = 0; i < NCPU; i++) {
		uint64_t bottom = kstack_bottom(i);
		if (va >= bottom - KSTKGAP && va < bottom) {
			*which = "kernel stack";
			return i;
		}
		for (int k = 1; k <= NIST; k++) {
			uint64_t ist_bottom = ist_top(i, k) - ISTSIZE;
			if (va >= ist_bottom - ISTGAP && va < ist_bottom) {
				*which = k == IST_DF ? "double-fault stack" : "NMI stack";
				return i;
			}
		}
	}
	return -1;
}

// Runs on the #DF IST stack. The usual cause in a kernel is a stack
// overflow: the page fault on the guard gap cannot push its frame on the
// same stack, and the CPU escalates.
[[noreturn]] void
double_fault(Trapframe *tf)
{
	uint64_t cr2 = rcr2();
	const char *which = nullptr;
	int owner = guard_gap_owner(cr2, &which);
	if (owner < 0)
		owner = guard_gap_owner(tf->tf_rsp, &which);
	print_trapframe(tf);
	if (owner >= 0)
		panic("kernel stack overflow on CPU %d: fault address %#lx is in the "
		      "guard gap below CPU %d's %s", cpunum(), cr2, owner, which);
	panic("double fault on CPU %d (cr2 %#lx): a fault while delivering another fault",
	      cpunum(), cr2);
}

// The console_intr exercise's stub: the interrupt is dropped. Input still
// arrives whenever someone polls (the kernel monitor, a sys_cgetc), but an
// environment blocked in sys_cgetc_wait is never woken. Said once, on a
// line of its own: the interrupt comes as someone types, after a prompt.
[[maybe_unused]] void
warn_console_intr(int irq)
{
	static Atomic<bool> warned;
	if (!warned.exchange(true))
		cprintf_aside("trap: console interrupt (IRQ %d) dropped: console interrupts are not "
			      "handled (LAB 5 exercise console_intr); a program waiting for console "
			      "input will never get it\n", irq);
}

// A console interrupt, from the keyboard (IRQ_KBD) or COM1 (IRQ_SERIAL),
// in user or kernel mode; trap() has acknowledged it already.
void
console_trap(int irq)
{
	// LAB 5 EXERCISE console_intr BEGIN
	// The I/O APIC sends these two IRQs to the boot CPU
	// (cons_enable_interrupts, kern/ioapic.cc). Call the device's handler,
	// kbd_intr or serial_intr (kern/console.cc): it moves what the device
	// holds into the console's input buffer and notes that input came,
	// so that the environment blocked in sys_cgetc_wait (the shell,
	// waiting for a command) gets it once trap() holds the big kernel
	// lock (cons_wake_waiters). The handlers take no lock that they would
	// wait for: the boot CPU may be napping in a lock wait when the
	// interrupt comes.
	//> warn_console_intr(irq);
	if (irq == IRQ_KBD)
		kbd_intr();
	else
		serial_intr();
	// LAB 5 EXERCISE console_intr END
}

void
kernel_trap(Trapframe *tf)
{
	switch (tf->tf_trapno) {
	case T_BRKPT:
		monitor(tf);
		return;
	case T_LAPIC_SPURIOUS:
	case IRQ_OFFSET + IRQ_SPURIOUS:
		return;		// nothing to acknowledge (APIC or masked 8259)
	case IRQ_OFFSET + IRQ_TIMER:
	case T_IPI_WAKEUP:
		return;		// a wake-up: trap() looks for work if we were halted
	case IRQ_OFFSET + IRQ_KBD:
	case IRQ_OFFSET + IRQ_SERIAL:
		console_trap(static_cast<int>(tf->tf_trapno - IRQ_OFFSET));
		return;
	case IRQ_OFFSET + IRQ_NIC:
		return;		// trap() read the cause; waiters are woken under the lock
	case IRQ_OFFSET + IRQ_ERROR: {
		lapic_write(LAPIC_ESR, 0);
		cprintf("lapic: error interrupt on CPU %d (ESR %#x)\n", cpunum(),
			lapic_read(LAPIC_ESR));
		return;
	}
	case T_PGFLT: {
		uint64_t cr2 = rcr2();
		RipDebugInfo info;
		debuginfo_rip(tf->tf_rip, &info);
		print_trapframe(tf);
		panic("kernel page fault on CPU %d: %s va %#lx at rip %#lx (%s+%lu)", cpunum(),
		      (tf->tf_err & FEC_WR) ? "write to" : (tf->tf_err & FEC_I) ? "execute at" : "read from",
		      cr2, tf->tf_rip, info.fn_name, tf->tf_rip - info.fn_addr);
	}
	default:
		print_trapframe(tf);
		panic("unexpected trap %lu (%s) in kernel mode on CPU %d", tf->tf_trapno,
		      trapname(tf->tf_trapno), cpunum());
	}
}

void
dispatch_syscall(Trapframe *tf)
{
	uint64_t num = tf->tf_regs.reg_rax, to = tf->tf_regs.reg_rdx;
	uint32_t env = curenv->env_id;
	trace(num == SYS_ipc_recv ? TraceKind::IpcRecv : TraceKind::Syscall, env, num);
	tf->tf_regs.reg_rax = syscall(tf->tf_regs.reg_rax, tf->tf_regs.reg_rdx,
				      tf->tf_regs.reg_rcx, tf->tf_regs.reg_rbx,
				      tf->tf_regs.reg_rdi, tf->tf_regs.reg_rsi);
	if (num == SYS_ipc_try_send && tf->tf_regs.reg_rax == 0)
		trace(TraceKind::IpcSend, env, to);
}

// True if the invalid opcode at tf's rip is really "int $T_SYSCALL".
// Hypervisors that run guest user mode natively against their own IDT
// (PVM, the nested KVM of some cloud hosts) deliver that instruction as #UD
// at the instruction itself; it is still a system call.
bool
ud_is_int_syscall(const Trapframe *tf)
{
	const auto *insn = reinterpret_cast<const uint8_t *>(tf->tf_rip);
	uint8_t bytes[2];
	if (user_mem_check(curenv, insn, sizeof(bytes), PTE_U) < 0)
		return false;
	copy_from_user(bytes, insn, sizeof(bytes));
	return bytes[0] == 0xCD && bytes[1] == T_SYSCALL;
}

// The timer exercise's stub: without preemption an environment keeps its
// CPU until it gives it up, as in JOS before part C. Say so, once; and end
// the wait for an environment that keeps its CPU for seconds without once
// asking the kernel for anything: a hog that only preemption would stop (a
// test that needs preemption would otherwise hang until its timeout). One
// that makes system calls, such as a sender in primes, is making progress.
[[maybe_unused]] void
warn_no_preemption()
{
	static Atomic<bool> warned;
	if (!warned.exchange(true))
		cprintf_aside("trap: the timer interrupted user mode, but preemption is not "
			      "implemented (LAB 4 exercise timer): the environment keeps its CPU\n");
	thiscpu->slice_end = 0;		// a new slice: no storm of expired ones
	if (tsc_to_us(rdtsc() - thiscpu->asked_tsc) > 5000000)
		panic("environment %08x has kept CPU %d for 5 s without a system call, and nothing "
		      "takes it back: "
		      "preemption is not implemented (LAB 4 exercise timer)", curenv->env_id, cpunum());
}

// A fault (not a system call, breakpoint or interrupt) whose handling
// left the environment to resume at the very instruction that faulted
// faults again, for ever, unless something changed its memory. After
// kFaultLoop such faults in a row, say so and end the environment: a
// handler that returns without fixing the fault or ending the environment
// (trap dispatch, page_fault_handler) would otherwise fill the log until a
// grader's timeout. Returns whether it ended curenv.
constexpr uint32_t kFaultLoop = 100;

bool
resumes_a_fault_forever(const Trapframe *tf)
{
	bool fault = tf->tf_trapno < IRQ_OFFSET && tf->tf_trapno != T_BRKPT &&
		     tf->tf_trapno != T_NMI && tf->tf_trapno != T_ILLOP;
	if (!fault || tf->tf_rip != thiscpu->incoming_tf->tf_rip ||
	    tf->tf_rip != curenv->env_fault_rip) {
		curenv->env_fault_rip = fault ? tf->tf_rip : 0;
		curenv->env_fault_repeats = fault ? 1 : 0;
		return false;
	}
	if (++curenv->env_fault_repeats < kFaultLoop)
		return false;
	cprintf("[%08x] %s at ip %08lx %u times in a row: each time the kernel resumed the "
		"environment at the instruction that faulted, without fixing the fault or ending "
		"the environment (see trap dispatch and page_fault_handler in kern/trap.cc); "
		"destroying it\n", curenv->env_id, trapname(tf->tf_trapno), tf->tf_rip,
		curenv->env_fault_repeats);
	env_destroy(curenv);
	return true;
}

// JOS's "Incoming TRAP frame at": where the frame of the trap being
// reported arrived, on this CPU's kernel stack (curenv has a copy).
void
report_incoming()
{
	cprintf("Incoming TRAP frame at %p\n", thiscpu->incoming_tf);
}

// A page fault in user mode: the environment's own handler gets it, if it
// has one (sys_env_set_pgfault_upcall); otherwise the environment ends.
[[maybe_unused]] void
page_fault_handler(Trapframe *tf)
{
	uint64_t fault_va = rcr2();
	// LAB 4 EXERCISE page_fault_handler BEGIN
	// If curenv has a page-fault upcall, run it on the user exception
	// stack, [UXSTACKTOP - PGSIZE, UXSTACKTOP): push a UTrapframe there
	// (the fault, the error code, and the registers, rip, rflags and rsp
	// to resume with) and resume curenv at the upcall with rsp pointing at
	// it. If the fault happened on the exception stack itself (tf_rsp in
	// that range), push the new frame below the trap-time rsp, leaving one
	// empty 64-bit word first: the upcall returns through it. Check with
	// user_mem_assert that the frame lies in memory curenv may write and
	// that the upcall lies in memory it may read (it destroys curenv, and
	// does not return, if not). Write the frame with copy_to_user. Return:
	// trap() then resumes curenv with the registers in tf.
	//> (void)fault_va;
	//> if (curenv->env_pgfault_upcall != 0)
	//> 	panic("page_fault_handler: user page-fault upcalls are not implemented (LAB 4 exercise)");
	if (curenv->env_pgfault_upcall != 0) {
		uint64_t top = UXSTACKTOP;
		if (tf->tf_rsp >= UXSTACKTOP - PGSIZE && tf->tf_rsp < UXSTACKTOP)
			top = tf->tf_rsp - sizeof(uint64_t);
		auto *utf = reinterpret_cast<UTrapframe *>(top - sizeof(UTrapframe));
		user_mem_assert(curenv, utf, sizeof(*utf), PTE_W);
		user_mem_assert(curenv, reinterpret_cast<const void *>(curenv->env_pgfault_upcall), 1, 0);
		UTrapframe frame = {fault_va, tf->tf_err, tf->tf_regs, tf->tf_rip, tf->tf_rflags,
				    tf->tf_rsp};
		copy_to_user(utf, &frame, sizeof(frame));
		tf->tf_rsp = reinterpret_cast<uint64_t>(utf);
		tf->tf_rip = curenv->env_pgfault_upcall;
		return;
	}
	// LAB 4 EXERCISE page_fault_handler END
	cprintf("[%08x] user fault va %08lx ip %08lx\n", curenv->env_id, fault_va, tf->tf_rip);
	report_incoming();
	print_trapframe(tf);
	env_note_end(curenv, "a page fault at va %08lx, ip %08lx", fault_va, tf->tf_rip);
	env_destroy(curenv);
}

// A trap from user mode, with the big kernel lock held and tf in curenv.
void
user_trap(Trapframe *tf)
{
	// LAB 3 EXERCISE trap_dispatch BEGIN
	// What a trap from user mode does depends on its number: a system
	// call (T_SYSCALL) goes to syscall() through dispatch_syscall, which
	// puts the result in the frame's RAX; a page fault (T_PGFLT) to
	// page_fault_handler; a breakpoint (T_BRKPT) says where its frame came
	// in (report_incoming, JOS's "Incoming TRAP frame at") and enters the
	// kernel monitor (monitor(tf) shows the frame; its "continue" resumes
	// the environment), or, with monitor=off (kargs.monitor false), shows
	// the frame (print_trapframe), says so and destroys the environment.
	// The switch below ends the environment for anything else.
	//> if (tf->tf_trapno == T_SYSCALL || tf->tf_trapno == T_PGFLT || tf->tf_trapno == T_BRKPT)
	//> 	lab_todo(3, "trap dispatch (user_trap in kern/trap.cc)");
	switch (tf->tf_trapno) {
	case T_SYSCALL:
		dispatch_syscall(tf);
		return;
	case T_PGFLT:
		page_fault_handler(tf);
		return;
	case T_BRKPT:
		report_incoming();
		if (kargs.monitor) {
			monitor(tf);	// "continue" resumes the environment
			return;
		}
		print_trapframe(tf);
		cprintf("[%08x] breakpoint, and monitor=off: destroying the environment\n",
			curenv->env_id);
		env_destroy(curenv);
		return;
	}
	// LAB 3 EXERCISE trap_dispatch END
	switch (tf->tf_trapno) {
	case T_ILLOP:
		if (ud_is_int_syscall(tf)) {
			tf->tf_rip += 2;	// as if the int had trapped
			dispatch_syscall(tf);
			return;
		}
		break;
	case IRQ_OFFSET + IRQ_TIMER:
		// LAB 4 EXERCISE timer BEGIN
		// The LAPIC timer interrupted user mode (env_run armed it for the
		// rest of the time slice, and user code runs with FL_IF set):
		// preempt the environment if its slice is over (sched_slice_over),
		// by giving the CPU to the next one (sched_yield). An earlier tick
		// (one armed before a nap, say) is no reason to: return, and
		// trap() resumes curenv.
		//> warn_no_preemption();
		//> return;
		if (sched_slice_over())
			sched_yield();
		return;
		// LAB 4 EXERCISE timer END
	case T_IPI_WAKEUP:
		return;		// aimed at a halted CPU; this one is busy anyway
	case IRQ_OFFSET + IRQ_KBD:
	case IRQ_OFFSET + IRQ_SERIAL:
		console_trap(static_cast<int>(tf->tf_trapno - IRQ_OFFSET));
		return;
	case IRQ_OFFSET + IRQ_NIC:
		net_wake_waiters();
		return;
	case T_LAPIC_SPURIOUS:
	case IRQ_OFFSET + IRQ_SPURIOUS:
		return;
	default:
		break;
	}
	// Anything else the user caused (GP, divide error, invalid opcode ...)
	// ends only that environment.
	cprintf("[%08x] user %s at ip %08lx\n", curenv->env_id, trapname(tf->tf_trapno),
		tf->tf_rip);
	report_incoming();
	print_trapframe(tf);
	env_note_end(curenv, "a %s at ip %08lx", trapname(tf->tf_trapno), tf->tf_rip);
	env_destroy(curenv);
}

} // namespace

void
idt_init()
{
	auto base = reinterpret_cast<uint64_t>(vector_stubs);
	for (int i = 0; i < 256; i++)
		idt[i] = make_gate(base + i * kStubSize, STS_IG64, 0, 0);
	idt_pd.pd_lim = sizeof(idt) - 1;
	idt_pd.pd_base = reinterpret_cast<uint64_t>(idt);
	idt_load();
}

void
trap_init()
{
	// LAB 3 EXERCISE trap_init BEGIN
	// idt_init gave every vector a gate to its stub in trapentry.S
	// (vector_stubs + vector * kStubSize): an interrupt gate (STS_IG64,
	// so the kernel runs with interrupts off) that only the kernel may
	// use (DPL 0). From user mode, an `int $n` through a DPL-0 gate is a
	// general protection fault (JOS's softint). Make the two gates user
	// code may use callable from user mode (DPL 3, make_gate): the
	// breakpoint (T_BRKPT, JOS's int3 test) and the system call
	// (T_SYSCALL). Keep their IST field 0.
	//> lab_todo(3, "trap_init (kern/trap.cc)");
	auto base = reinterpret_cast<uint64_t>(vector_stubs);
	idt[T_BRKPT] = make_gate(base + T_BRKPT * kStubSize, STS_IG64, 3, 0);
	idt[T_SYSCALL] = make_gate(base + T_SYSCALL * kStubSize, STS_IG64, 3, 0);
	// LAB 3 EXERCISE trap_init END
}

void
idt_load()
{
	lidt(&idt_pd);
}

void
gdt_init_percpu()
{
	Cpu *c = thiscpu;
	c->cpu_ts = Taskstate{};
	c->cpu_ts.ts_iomb = sizeof(Taskstate);	// no I/O permission bitmap
	// The stacks go in before ltr: the IDT that APs load already sends
	// double faults and NMIs to IST stacks, and a TSS loaded without them
	// would turn the first such fault into a triple fault.
	trap_init_percpu();

	auto tss = reinterpret_cast<uint64_t>(&c->cpu_ts);
	c->gdt[0] = 0;
	c->gdt[GD_KT >> 3] = SEG_CODE64_KERNEL;
	c->gdt[GD_KD >> 3] = SEG_DATA_KERNEL;
	c->gdt[GD_UD >> 3] = SEG_DATA_USER;
	c->gdt[GD_UT >> 3] = SEG_CODE64_USER;
	c->gdt[GD_TSS0 >> 3] = tss_desc_low(tss, sizeof(Taskstate) - 1);
	c->gdt[(GD_TSS0 >> 3) + 1] = tss >> 32;

	Pseudodesc gdt_pd = {sizeof(c->gdt) - 1, reinterpret_cast<uint64_t>(c->gdt)};
	lgdt(&gdt_pd);
	reload_segments(GD_KT, GD_KD);
	// Each CPU must load its own TSS: ltr marks the descriptor busy, and a
	// second ltr of a busy descriptor faults.
	ltr(GD_TSS0);
}

void
trap_init_percpu()
{
	Cpu *c = thiscpu;
	int id = static_cast<int>(c->cpu_id);
	// LAB 4 EXERCISE trap_init_percpu BEGIN
	// Point this CPU's TSS at its own stacks: rsp0 (the stack a trap from
	// user mode switches to) at the top of CPU id's kernel stack, and the
	// IST entries IST_DF and IST_NMI at its interrupt stacks (kstack_top and
	// ist_top in inc/memlayout.h). The code below knows only CPU 0, as
	// JOS's did: two CPUs trapping on one stack corrupt each other.
	//> if (id != 0)
	//> 	panic("trap_init_percpu: only CPU 0's TSS is set up, not CPU %d's (LAB 4 exercise)", id);
	//> c->cpu_ts.ts_rsp[0] = KSTACKTOP;
	//> c->cpu_ts.ts_ist[IST_DF - 1] = ist_top(0, IST_DF);
	//> c->cpu_ts.ts_ist[IST_NMI - 1] = ist_top(0, IST_NMI);
	c->cpu_ts.ts_rsp[0] = kstack_top(id);
	c->cpu_ts.ts_ist[IST_DF - 1] = ist_top(id, IST_DF);
	c->cpu_ts.ts_ist[IST_NMI - 1] = ist_top(id, IST_NMI);
	// LAB 4 EXERCISE trap_init_percpu END
}

void
idt_init_percpu()
{
	// Now that this CPU's IST stacks are mapped, NMI and #DF may use them.
	// The IDT is shared; writing the same IST numbers again from another
	// CPU is benign.
	idt[T_DBLFLT].ist = IST_DF;
	idt[T_NMI].ist = IST_NMI;
	lidt(&idt_pd);
}

void
print_trapframe(const Trapframe *tf)
{
	const PushRegs &r = tf->tf_regs;
	ConsoleGuard guard;
	cprintf("TRAP frame at %p from CPU %d\n", tf, cpunum());
	cprintf("  rax %016lx  rbx %016lx  rcx %016lx\n", r.reg_rax, r.reg_rbx, r.reg_rcx);
	cprintf("  rdx %016lx  rsi %016lx  rdi %016lx\n", r.reg_rdx, r.reg_rsi, r.reg_rdi);
	cprintf("  rbp %016lx  r8  %016lx  r9  %016lx\n", r.reg_rbp, r.reg_r8, r.reg_r9);
	cprintf("  r10 %016lx  r11 %016lx  r12 %016lx\n", r.reg_r10, r.reg_r11, r.reg_r12);
	cprintf("  r13 %016lx  r14 %016lx  r15 %016lx\n", r.reg_r13, r.reg_r14, r.reg_r15);
	cprintf("  trap 0x%08lx %s\n", tf->tf_trapno, trapname(tf->tf_trapno));
	if (tf->tf_trapno == T_PGFLT || tf->tf_trapno == T_DBLFLT)
		cprintf("  cr2  0x%016lx\n", rcr2());
	cprintf("  err  0x%08lx", tf->tf_err);
	if (tf->tf_trapno == T_PGFLT)
		cprintf(" [%s, %s, %s]", (tf->tf_err & FEC_U) ? "user" : "kernel",
			(tf->tf_err & FEC_I) ? "execute" : (tf->tf_err & FEC_WR) ? "write" : "read",
			(tf->tf_err & FEC_PR) ? "protection" : "not-present");
	// A selector error code naming an IDT entry (bit 1): from user mode,
	// an int n whose gate's DPL is below 3.
	if (tf->tf_trapno == T_GPFLT && (tf->tf_err & 2) && (tf->tf_cs & 3))
		cprintf(" [IDT vector %lu: its gate's DPL keeps user mode out]", tf->tf_err >> 3);
	cprintf("\n");
	if (tf->tf_cs & 3) {
		cprintf("  rip  0x%016lx (user)\n", tf->tf_rip);
	} else {
		RipDebugInfo info;
		debuginfo_rip(tf->tf_rip, &info);
		cprintf("  rip  0x%016lx %s+%lu\n", tf->tf_rip, info.fn_name,
			tf->tf_rip - info.fn_addr);
	}
	cprintf("  cs   0x----%04lx\n", tf->tf_cs & 0xFFFF);
	cprintf("  flag 0x%016lx\n", tf->tf_rflags);
	cprintf("  rsp  0x%016lx\n", tf->tf_rsp);
	cprintf("  ss   0x----%04lx\n", tf->tf_ss & 0xFFFF);
}

namespace {

// An NMI may arrive while another CPU holds the console lock, and must not
// wait for it: the lock's nap enables interrupts, and the first interrupt
// to return (IRET) would unblock NMIs, letting a second one overwrite this
// one's frame on the NMI stack. So it prints only if the console is free,
// and otherwise leaves a note for this CPU's next trap.
void
nmi(const Trapframe *tf)
{
	Cpu *c = thiscpu;
	ConsoleGuard guard(ConsoleGuard::TryOnly);
	if (guard.ok()) {
		cprintf("NMI on CPU %d (rip %#lx, handled on stack %#lx); continuing\n", cpunum(),
			tf->tf_rip, read_rsp());
		return;
	}
	if (c->nmi_unreported < kNmiBacklog)
		c->nmi_rips[c->nmi_unreported] = tf->tf_rip;
	c->nmi_unreported++;
}

} // namespace

void
nmi_report_deferred()
{
	Cpu *c = thiscpu;
	if (c->nmi_unreported == 0)
		return;
	// Only this CPU's NMIs change the count, and while this CPU holds the
	// console they print instead: read it under the guard.
	ConsoleGuard guard;
	uint32_t n = c->nmi_unreported;
	for (uint32_t i = 0; i < n && i < kNmiBacklog; i++)
		cprintf("NMI on CPU %d (rip %#lx, reported late: the console was busy); "
			"continuing\n", cpunum(), c->nmi_rips[i]);
	if (n > kNmiBacklog)
		cprintf("NMI on CPU %d: %u more while the console was busy\n", cpunum(),
			n - kNmiBacklog);
	c->nmi_unreported = 0;
}

extern "C" void
trap(Trapframe *tf)
{
	if (tf->tf_trapno == T_DBLFLT)
		double_fault(tf);
	if (tf->tf_trapno == T_NMI) {
		// On the NMI IST stack. Nothing here sends NMIs: one comes from
		// outside (QEMU's "nmi" monitor command, a watchdog).
		nmi(tf);
		return;
	}
	// Another CPU's request (TLB shootdown, eviction) is answered without
	// any lock: the requester holds the big kernel lock while it waits.
	if (tf->tf_trapno == T_IPI_CALL) {
		lapic_eoi();
		ipi_call_handle(tf);
		return;
	}
	// The network card's interrupt is level triggered: its cause is read
	// (which lowers the line) before the EOI, or the I/O APIC would send
	// it again at once.
	if (tf->tf_trapno == IRQ_OFFSET + IRQ_NIC) {
		e1000_intr();
		lapic_eoi();
	}
	// Acknowledge a local APIC interrupt at once. Until the EOI, every
	// interrupt of its priority or lower stays blocked: the handler below
	// may wait for a lock, and waiting (Spinlock's nap) needs the timer.
	if (tf->tf_trapno == IRQ_OFFSET + IRQ_TIMER || tf->tf_trapno == IRQ_OFFSET + IRQ_ERROR ||
	    tf->tf_trapno == T_IPI_WAKEUP || tf->tf_trapno == IRQ_OFFSET + IRQ_KBD ||
	    tf->tf_trapno == IRQ_OFFSET + IRQ_SERIAL)
		lapic_eoi();

	// Another CPU is reporting a panic: stay out of its way.
	if (kernel_panicked() && !thiscpu->panicking)
		for (;;) {
			cli();
			hlt();
		}
	assert(!(read_rflags() & FL_IF));
	nmi_report_deferred();

	// A CPU halted in sched_halt gave the big kernel lock away: take it
	// back before looking for work. (Only HALTED changes here: an AP
	// interrupted while it boots has not reported in yet.)
	uint32_t halted = CPU_HALTED;
	bool was_halted = thiscpu->cpu_status.compare_exchange(halted, CPU_STARTED);
	if (was_halted)
		lock_kernel();

	if ((tf->tf_cs & 3) == 0) {
		kernel_trap(tf);
		if (was_halted) {
			cons_wake_waiters();
			net_wake_waiters();
			sched_yield();
		}
		return;
	}

	// The CPU pushed the frame at its TSS's rsp0: that must be this CPU's
	// own kernel stack, or CPUs that trap at once write over each other.
	auto at = reinterpret_cast<uintptr_t>(tf);
	if (at < kstack_bottom(cpunum()) || at >= kstack_top(cpunum()))
		panic("a trap from user mode on CPU %d pushed its frame at %#lx, outside the CPU's "
		      "own kernel stack [%#lx, %#lx): its TSS's rsp0 (trap_init_percpu) is wrong",
		      cpunum(), at, kstack_bottom(cpunum()), kstack_top(cpunum()));

	// From user mode: the big kernel lock, then work on curenv's copy of
	// the frame, since the kernel stack is this CPU's and any CPU may run
	// the environment next. (Lab 3's one environment needs no lock.)
	if (lab_smp()) {
		// LAB 4 EXERCISE kernel_lock BEGIN
		// Trapped from user mode: take the big kernel lock before doing
		// anything with kernel state.
		lock_kernel();
		// LAB 4 EXERCISE kernel_lock END
		cons_wake_waiters();	// lab 5's readers of console input
	}
	// While this CPU waited for the lock, another may have destroyed the
	// environment and evicted it from here (kern/ipi.cc).
	if (curenv == nullptr)
		sched_yield();
	if (curenv->env_status == ENV_DYING) {
		env_free(curenv);
		curenv = nullptr;
		sched_yield();
	}
	thiscpu->incoming_tf = tf;
	if (tf->tf_trapno == T_PGFLT)
		trace(TraceKind::Fault, curenv->env_id, rcr2());
	curenv->env_tf = *tf;
	tf = &curenv->env_tf;
	if (tf->tf_trapno < IRQ_OFFSET || tf->tf_trapno == T_SYSCALL)
		thiscpu->asked_tsc = rdtsc();
	user_trap(tf);
	// Lab 6: frames may have come while this CPU napped in a lock wait
	// (the card's interrupt noted it, and nobody has woken the receiver).
	if (lab_smp())
		net_wake_waiters();

	if (curenv && curenv->env_status == ENV_RUNNING && !resumes_a_fault_forever(tf))
		env_run(curenv);
	sched_yield();
}
